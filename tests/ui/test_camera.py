"""A photograph from the camera becomes JPEG bytes (Qt takes the image format as a str)."""

from __future__ import annotations

import io
from typing import Any

from PIL import Image
from PySide6.QtGui import QColor, QImage

from ui.operator.camera import image_to_jpeg


def test_image_to_jpeg(qapp: Any) -> None:
    image = QImage(64, 48, QImage.Format.Format_RGB32)
    image.fill(QColor("#336699"))
    data = image_to_jpeg(image, quality=80)
    with Image.open(io.BytesIO(data)) as decoded:
        assert decoded.format == "JPEG" and decoded.size == (64, 48)
