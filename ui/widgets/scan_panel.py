"""The camera's view while a resident holds up a receipt's QR code: a live picture, one line
of help and a big "cancel". It reads the code with `ui.widgets.frames.QrReader`.

Signals:
    decoded(str): the text of the code read.
    cancelled(): the resident gave up.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QLabel, QSizePolicy, QVBoxLayout, QWidget

from kiosk.context import KioskContext
from ui.i18n import I18n
from ui.strings import add
from ui.widgets.buttons import BigButton
from ui.widgets.frames import CameraFrames, FrameSource, QrReader, video_input_count
from vocab.text import Text

add(
    {
        # short: it shares a column with the field beside the keys, at 1.5x on 1280x800
        "scan.button": Text("扫描回执上的二维码", "Scan the QR code"),
        "scan.hint": Text(
            "把回执上的二维码对准摄像头，放稳一点",
            "Hold the QR code on the receipt up to the camera, and keep it still",
        ),
        "scan.cancel": Text("不扫了", "Stop scanning"),
        "scan.not_ours": Text(
            "这个二维码不是本站回执上的。请扫描回执上的二维码，或输入受理编号。",
            "That QR code is not from one of our receipts. Scan the receipt's code, or type "
            "the tracking number.",
        ),
    }
)


def frame_source(context: KioskContext) -> FrameSource | None:
    """The camera that reads codes: one handed in as ``context.extras["frames"]`` (tests; None
    there means no camera), else the station's default camera if it has one."""
    if "frames" in context.extras:
        given = context.extras["frames"]
        return given if isinstance(given, FrameSource) else None
    if video_input_count() == 0:
        context.extras["frames"] = None
        return None
    source = CameraFrames()
    context.extras["frames"] = source  # one camera object for every screen
    return source


class ScanPanel(QWidget):
    decoded = Signal(str)
    cancelled = Signal()

    def __init__(self, source: FrameSource, i18n: I18n, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.i18n = i18n
        self.reader = QrReader(source, self)
        self.view = QLabel()
        self.view.setObjectName("scan_view")
        self.view.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.view.setMinimumSize(320, 240)
        self.view.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        self.view.setStyleSheet("background: #202020; border-radius: 12px;")
        self.hint = QLabel()
        self.hint.setProperty("role", "help")
        self.hint.setWordWrap(True)
        self.hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.cancel_button = BigButton()
        self.cancel_button.setObjectName("button_scan_cancel")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.hint)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.cancel_button, 0, Qt.AlignmentFlag.AlignHCenter)
        source.frame.connect(self._show_frame)
        self.reader.decoded.connect(self.decoded)
        self.cancel_button.clicked.connect(self._cancel)
        self.retranslate()

    def start(self) -> None:
        self.view.clear()
        self.reader.start()

    def stop(self) -> None:
        self.reader.stop()
        self.view.clear()

    def _cancel(self) -> None:
        self.stop()
        self.cancelled.emit()

    def _show_frame(self, image: QImage) -> None:
        if not self.reader.active or not self.isVisible():
            return
        self.view.setPixmap(
            QPixmap.fromImage(image).scaled(
                self.view.size(),
                Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.FastTransformation,
            )
        )

    def retranslate(self) -> None:
        self.hint.setText(self.i18n.t("scan.hint"))
        self.cancel_button.setText(self.i18n.t("scan.cancel"))
