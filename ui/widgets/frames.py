"""Camera frames for reading a receipt's QR code, behind a small interface.

`FrameSource` hands out pictures while started: `CameraFrames` from the station's camera
(QtMultimedia), `StillFrames` from pictures it was given (tests, a demo without a camera).
`QrReader` decodes the frames of a source with zxing-cpp (a few a second, in grey) and says
what it read; `decode_qr` reads one picture. `video_input_count` probes the cameras once.

Signals (FrameSource):
    frame(QImage): the newest picture.
Signals (QrReader):
    decoded(str): the text of the first QR code read since `start`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from functools import cache

from PySide6.QtCore import QElapsedTimer, QObject, QTimer, Signal
from PySide6.QtGui import QImage

log = logging.getLogger(__name__)

# decoding a 1280x720 grey frame takes ~10 ms: a few a second is plenty for a held receipt
DECODE_EVERY_MS = 200


@cache
def _quiet_multimedia() -> None:  # also used by ui.voice
    from PySide6.QtCore import QLoggingCategory

    # QtMultimedia's FFmpeg backend warns when VA-API is missing (no GPU video decode);
    # reading frames does not need it, so that one category is silenced.
    QLoggingCategory.setFilterRules("qt.multimedia.symbolsresolver.warning=false")


def video_input_count() -> int:
    """How many cameras QtMultimedia sees (0 where it cannot load)."""
    _quiet_multimedia()
    try:
        from PySide6.QtMultimedia import QMediaDevices
    except ImportError:  # an install without the addons wheel
        return 0
    return len(QMediaDevices.videoInputs())


def qr_decoder_available() -> bool:
    """Whether zxing-cpp, which reads the QR codes, is installed."""
    try:
        import zxingcpp  # noqa: F401
    except ImportError:
        return False
    return True


def decode_qr(image: QImage) -> list[str]:
    """The texts of the QR codes in a picture (none found: [])."""
    import zxingcpp

    if image.isNull():
        return []
    grey = image.convertToFormat(QImage.Format.Format_Grayscale8)
    return [
        b.text
        for b in zxingcpp.read_barcodes(
            grey, formats=zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)
        )
    ]


class FrameSource(QObject):
    """Pictures while started; subclasses emit `frame`."""

    frame = Signal(QImage)

    def start(self) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError


class StillFrames(FrameSource):
    """Emits the given pictures one by one, `interval_ms` apart, then the last one again
    every interval (a receipt held still), until stopped."""

    def __init__(
        self, images: Sequence[QImage], interval_ms: int = 0, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        if not images:
            raise ValueError("StillFrames needs at least one picture")
        self.images = list(images)
        self.started = 0  # how often start() ran (tests check the camera was used)
        self._next = 0
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._emit)

    def start(self) -> None:
        self.started += 1
        self._next = 0
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    @property
    def running(self) -> bool:
        return self._timer.isActive()

    def _emit(self) -> None:
        image = self.images[min(self._next, len(self.images) - 1)]
        self._next += 1
        self.frame.emit(image)


class CameraFrames(FrameSource):
    """The default camera's live frames (QCamera into a QVideoSink)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._camera: QObject | None = None
        self._session: QObject | None = None
        self._sink: QObject | None = None

    def start(self) -> None:
        _quiet_multimedia()
        from PySide6.QtMultimedia import QCamera, QMediaCaptureSession, QMediaDevices, QVideoSink

        if self._camera is None:
            camera = QCamera(QMediaDevices.defaultVideoInput(), self)
            session = QMediaCaptureSession(self)
            sink = QVideoSink(self)
            session.setCamera(camera)
            session.setVideoSink(sink)
            sink.videoFrameChanged.connect(lambda f: self.frame.emit(f.toImage()))
            camera.errorOccurred.connect(lambda _e, msg: log.warning("camera: %s", msg))
            self._camera, self._session, self._sink = camera, session, sink
        assert isinstance(self._camera, QCamera)
        self._camera.start()

    def stop(self) -> None:
        if self._camera is not None:
            from PySide6.QtMultimedia import QCamera

            assert isinstance(self._camera, QCamera)
            self._camera.stop()


class QrReader(QObject):
    """Reads QR codes from a frame source while started; `decoded` once per start."""

    decoded = Signal(str)

    def __init__(
        self, source: FrameSource, parent: QObject | None = None, *, every_ms: int = DECODE_EVERY_MS
    ) -> None:
        super().__init__(parent)
        self.source = source
        self.every_ms = every_ms
        self.last_frame = QImage()
        self._active = False
        self._since = QElapsedTimer()
        source.frame.connect(self._on_frame)

    def start(self) -> None:
        self._active = True
        self._since.invalidate()
        self.source.start()

    def stop(self) -> None:
        self._active = False
        self.source.stop()

    @property
    def active(self) -> bool:
        return self._active

    def _on_frame(self, image: QImage) -> None:
        if not self._active:
            return
        self.last_frame = image
        if self._since.isValid() and self._since.elapsed() < self.every_ms:
            return
        self._since.start()
        texts = decode_qr(image)
        if texts and self._active:
            self.stop()
            self.decoded.emit(texts[0])
