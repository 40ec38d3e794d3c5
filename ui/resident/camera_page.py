"""The resident's full-screen camera page for a document field: a live picture, one big
shutter button, then the photo with the page's outline, "retake" and "use this photo".

The pictures come from a `ui.widgets.frames.FrameSource` (the station's camera through
QtMultimedia, or still pictures in tests); the shutter keeps the newest frame as a JPEG. The
page outline is `kiosk.docimage.find_page`, the crop document mode applies when the photo is
filed (`kiosk.filing.Filing.add_photo`, the operator's processing too).

Signals:
    photo_taken(bytes): "use this photo": the JPEG.
    cancelled(): "back" without a photo.
"""

from __future__ import annotations

import io

from PySide6.QtCore import QRect, Qt, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QWidget

from ui.i18n import I18n
from ui.operator.camera import image_to_jpeg
from ui.strings import add
from ui.widgets.buttons import BigButton
from ui.widgets.frames import FrameSource
from ui.widgets.screen import Screen
from vocab.text import Text

add(
    {
        "camera.title": Text("拍照：{label}", "Photograph: {label}"),
        "camera.hint": Text(
            "把材料平放在摄像头下面，整页都在画面里，然后按“拍照”。",
            "Lay the document flat under the camera, the whole page in the picture, then "
            "press “Take photo”.",
        ),
        "camera.check": Text(
            "看看字是否清楚。绿框是要保存的部分。",
            "Check that the text is clear. The green frame is the part that is kept.",
        ),
        "camera.shutter": Text("拍照", "Take photo"),
        "camera.retake": Text("重拍", "Retake"),
        "camera.use": Text("用这张照片", "Use this photo"),
        "camera.back": Text("返回", "Back"),
        "camera.waiting": Text("正在打开摄像头……", "Starting the camera…"),
        "camera.preview": Text("摄像头画面", "Camera picture"),
    }
)

SHUTTER_PX = 140
PAGE_PEN = QColor("#2e7d32")


def page_box(jpeg: bytes) -> tuple[int, int, int, int]:
    """Where document mode will crop the page (the whole picture if it does not stand out)."""
    from PIL import Image

    from kiosk.docimage import find_page

    with Image.open(io.BytesIO(jpeg)) as img:
        return find_page(img)


class CameraPage(Screen):
    photo_taken = Signal(bytes)
    cancelled = Signal()

    def __init__(
        self, source: FrameSource, i18n: I18n, label: Text, parent: QWidget | None = None
    ) -> None:
        super().__init__(i18n, parent)
        self.setObjectName("camera_page")
        # a QWidget subclass paints the stylesheet's background only when asked: the page
        # must hide the form it covers
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.source = source
        self.label = label
        self.frame = QImage()  # the newest picture
        self.photo: bytes | None = None  # taken, not yet used
        self.box: tuple[int, int, int, int] | None = None
        self.view = QLabel()
        self.view.setObjectName("camera_view")
        self.view.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.view.setMinimumSize(320, 240)
        self.view.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        self.view.setStyleSheet("background: #202020; color: white; border-radius: 12px;")
        self.shutter = BigButton(primary=True)
        self.shutter.setObjectName("button_shutter")
        # the stylesheet's button sizes are a floor for ordinary buttons: the shutter is bigger
        self.shutter.setStyleSheet(
            f"QPushButton {{ min-height: {SHUTTER_PX}px; min-width: {SHUTTER_PX * 2}px;"
            " border-radius: 24px; font-size: 36px; font-weight: bold; }"
        )
        self.shutter.setEnabled(False)  # until the first picture arrives
        self.retake_button = BigButton()
        self.retake_button.setObjectName("button_retake")
        self.use_button = BigButton(primary=True)
        self.use_button.setObjectName("button_use_photo")
        self.back_button = BigButton()
        self.back_button.setObjectName("button_camera_back")
        row = QHBoxLayout()
        row.setSpacing(24)
        row.addWidget(self.view, 1)
        self.body.addLayout(row, 1)
        actions = QHBoxLayout()
        actions.setSpacing(24)
        actions.addStretch(1)
        actions.addWidget(self.shutter)
        actions.addWidget(self.retake_button)
        actions.addWidget(self.use_button)
        actions.addStretch(1)
        self.body.addLayout(actions)
        self.footer.addWidget(self.back_button)
        self.footer.addStretch(1)
        source.frame.connect(self._on_frame)
        self.shutter.clicked.connect(self.take)
        self.retake_button.clicked.connect(self.retake)
        self.use_button.clicked.connect(self.use)
        self.back_button.clicked.connect(self.back)
        self._live(True)
        self.retranslate()

    # -- states ------------------------------------------------------------------------------

    def start(self) -> None:
        """Show the live picture (again) and start the camera."""
        self.photo, self.box, self.frame = None, None, QImage()
        self._live(True)
        self.view.setText(self.i18n.t("camera.waiting"))
        self.source.start()

    def stop(self) -> None:
        self.source.stop()

    @property
    def live(self) -> bool:
        return self.photo is None

    def _live(self, on: bool) -> None:
        self.shutter.setVisible(on)
        self.retake_button.setVisible(not on)
        self.use_button.setVisible(not on)
        self.shutter.setEnabled(on and not self.frame.isNull())
        self.retranslate()

    def _on_frame(self, image: QImage) -> None:
        if not self.live or image.isNull():
            return
        self.frame = image
        self.shutter.setEnabled(True)
        if self.isVisible():
            self._draw(image)

    def take(self) -> None:
        """The shutter: keep the newest picture, stop the camera, show it with its page."""
        if self.frame.isNull():
            return
        self.source.stop()
        self.photo = image_to_jpeg(self.frame)
        self.box = page_box(self.photo)
        self._live(False)
        self._draw(self.frame, self.box)

    def retake(self) -> None:
        self.start()

    def use(self) -> None:
        photo = self.photo
        if photo is None:
            return
        self.stop()
        self.photo = None
        self.photo_taken.emit(photo)

    def back(self) -> None:
        self.stop()
        self.photo = None
        self.cancelled.emit()

    def _draw(self, image: QImage, box: tuple[int, int, int, int] | None = None) -> None:
        pixmap = QPixmap.fromImage(image).scaled(
            self.view.size(),
            Qt.AspectRatioMode.KeepAspectRatio,
            Qt.TransformationMode.SmoothTransformation,
        )
        if box is not None and image.width() > 0:
            scale = pixmap.width() / image.width()
            left, top, right, bottom = (round(v * scale) for v in box)
            painter = QPainter(pixmap)
            painter.setPen(QPen(PAGE_PEN, 6))
            painter.drawRect(QRect(left, top, right - left, bottom - top))
            painter.end()
        self.view.setPixmap(pixmap)

    def spoken_notes(self) -> list[str]:
        return [self.i18n.t("camera.hint" if self.live else "camera.check")]

    def retranslate(self) -> None:
        t = self.i18n.t
        self.title.setText(t("camera.title", label=self.i18n.text(self.label)))
        self.set_subtitle(t("camera.hint" if self.live else "camera.check"))
        self.view.setAccessibleName(t("camera.preview"))
        for button, key in (
            (self.shutter, "camera.shutter"),
            (self.retake_button, "camera.retake"),
            (self.use_button, "camera.use"),
            (self.back_button, "camera.back"),
        ):
            button.setText(t(key))
            button.setAccessibleName(t(key))
