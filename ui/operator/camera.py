"""Photographing a document with a camera, behind a small interface.

`Camera.available()` says whether to show the "photograph" button at all; `capture(parent)`
opens a viewfinder dialog and returns the photo as JPEG bytes (None if cancelled). `QtCamera`
is the real one (QtMultimedia); `NoCamera` is for stations without one and for tests, which
cannot have a camera.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from PySide6.QtCore import QBuffer, QByteArray, QIODevice
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from ui import strings
from vocab.text import Text

strings.add(
    {
        "op.camera.title": Text("拍摄材料", "Photograph a document"),
        "op.camera.take": Text("拍照 (空格)", "Take photo (Space)"),
        "op.camera.cancel": Text("取消", "Cancel"),
        "op.camera.error": Text(
            "摄像头无法使用：{error}。请检查连接线，或改用“导入文件”。",
            "The camera cannot be used: {error}. Check its cable, or use “Import file”.",
        ),
    }
)


@runtime_checkable
class Camera(Protocol):
    """Takes a photograph for an application (or says there is no camera)."""

    def available(self) -> bool: ...

    def capture(self, parent: QWidget | None, lang: str = "zh") -> bytes | None: ...


class NoCamera:
    """No camera on this station: the photograph button stays hidden."""

    def available(self) -> bool:
        return False

    def capture(self, parent: QWidget | None, lang: str = "zh") -> bytes | None:
        return None


def image_to_jpeg(image: QImage, quality: int = 90) -> bytes:
    data = QByteArray()
    buf = QBuffer(data)
    buf.open(QIODevice.OpenModeFlag.WriteOnly)
    # PySide6 stubs type the format as bytes, but the binding only accepts str
    image.save(buf, "JPEG", quality)  # type: ignore[call-overload]
    buf.close()
    return bytes(data.data())


class QtCamera:
    """The first (or default) video input that QtMultimedia finds."""

    def __init__(self) -> None:
        self._probed: bool | None = None

    def available(self) -> bool:
        if self._probed is None:
            from PySide6.QtCore import QLoggingCategory

            # QtMultimedia's FFmpeg backend warns when VA-API is missing (no GPU video decode);
            # photos do not need it, so that one category is silenced.
            QLoggingCategory.setFilterRules("qt.multimedia.symbolsresolver.warning=false")
            from PySide6.QtMultimedia import QMediaDevices

            self._probed = bool(QMediaDevices.videoInputs())
        return self._probed

    def capture(self, parent: QWidget | None, lang: str = "zh") -> bytes | None:
        if not self.available():
            return None
        dialog = _CameraDialog(parent, lang)
        if dialog.exec() == QDialog.DialogCode.Accepted and dialog.photo is not None:
            return image_to_jpeg(dialog.photo)
        return None


class _CameraDialog(QDialog):
    """A live viewfinder with one big "take photo" button."""

    def __init__(self, parent: QWidget | None, lang: str) -> None:
        super().__init__(parent)
        from PySide6.QtMultimedia import QCamera, QImageCapture, QMediaCaptureSession, QMediaDevices
        from PySide6.QtMultimediaWidgets import QVideoWidget

        def t(key: str, **kw: object) -> str:
            text = strings.STRINGS[key].get(lang)
            return text.format(**kw) if kw else text

        self._t = t
        self.photo: QImage | None = None
        self.setWindowTitle(t("op.camera.title"))
        self.resize(960, 720)
        self._camera = QCamera(QMediaDevices.defaultVideoInput(), self)
        self._capture = QImageCapture(self)
        self._session = QMediaCaptureSession(self)
        self._session.setCamera(self._camera)
        self._session.setImageCapture(self._capture)
        self._video = QVideoWidget()
        self._session.setVideoOutput(self._video)
        self._error = QLabel()
        self._error.setWordWrap(True)
        self._error.setStyleSheet("color: #b71c1c;")
        self._error.hide()
        take = QPushButton(t("op.camera.take"))
        take.setMinimumHeight(56)
        take.setShortcut("Space")
        take.clicked.connect(self._capture.capture)
        cancel = QPushButton(t("op.camera.cancel"))
        cancel.clicked.connect(self.reject)
        self._capture.imageCaptured.connect(self._captured)
        self._camera.errorOccurred.connect(self._failed)
        self._capture.errorOccurred.connect(lambda _id, _e, msg: self._failed(None, msg))
        buttons = QHBoxLayout()
        buttons.addWidget(cancel)
        buttons.addStretch(1)
        buttons.addWidget(take)
        layout = QVBoxLayout(self)
        layout.addWidget(self._video, 1)
        layout.addWidget(self._error)
        layout.addLayout(buttons)
        self._camera.start()

    def _captured(self, _id: int, image: QImage) -> None:
        self.photo = image
        self._camera.stop()
        self.accept()

    def _failed(self, _error: object, message: str) -> None:
        self._error.setText(self._t("op.camera.error", error=message))
        self._error.show()

    def done(self, result: int) -> None:
        self._camera.stop()
        super().done(result)
