"""`ConfirmPanel`: a question the resident answers with one of two big buttons, drawn over
the whole screen it belongs to (no desktop dialog: same fonts, sizes and colours as the
resident screens, nothing the window manager could put behind the kiosk).

    panel = ConfirmPanel(screen)
    panel.ask(question, yes_text, no_text)   # shows it, covering `screen`
    panel.answered(bool)                      # True: the resident tapped "yes"

The safe answer ("no", keep going) is the primary button, so a hurried tap changes nothing.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from ui.widgets.buttons import BigButton


class ConfirmPanel(QFrame):
    answered = Signal(bool)

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("confirmPanel")
        self.setAutoFillBackground(True)
        self.setStyleSheet("#confirmPanel { background: rgba(20, 30, 45, 150); }")
        self.card = QFrame()
        self.card.setObjectName("confirmCard")
        self.card.setStyleSheet("#confirmCard { background: #ffffff; border-radius: 16px; }")
        self.card.setMaximumWidth(900)
        self.question = QLabel()
        self.question.setObjectName("confirm_question")
        self.question.setProperty("role", "subtitle")
        self.question.setWordWrap(True)
        self.question.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.yes_button = BigButton()
        self.yes_button.setObjectName("button_confirm_yes")
        self.no_button = BigButton(primary=True)
        self.no_button.setObjectName("button_confirm_no")
        self.yes_button.setAccessibleName("是 · Yes")  # until `ask` names the answers
        self.no_button.setAccessibleName("否 · No")
        self.yes_button.clicked.connect(lambda: self._answer(True))
        self.no_button.clicked.connect(lambda: self._answer(False))
        buttons = QHBoxLayout()
        buttons.setSpacing(32)
        buttons.addWidget(self.yes_button, 1)
        buttons.addWidget(self.no_button, 1)
        inner = QVBoxLayout(self.card)
        inner.setContentsMargins(40, 36, 40, 36)
        inner.setSpacing(32)
        inner.addWidget(self.question)
        inner.addLayout(buttons)
        outer = QVBoxLayout(self)
        outer.addStretch(1)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.card, 4)
        row.addStretch(1)
        outer.addLayout(row)
        outer.addStretch(1)
        parent.installEventFilter(self)
        self.hide()

    def ask(self, question: str, yes: str, no: str) -> None:
        self.question.setText(question)
        self.yes_button.setText(yes)
        self.yes_button.setAccessibleName(yes)
        self.no_button.setText(no)
        self.no_button.setAccessibleName(no)
        self._cover()
        self.show()
        self.raise_()

    def _answer(self, yes: bool) -> None:
        self.hide()
        self.answered.emit(yes)

    def _cover(self) -> None:
        parent = self.parentWidget()
        if parent is not None:
            self.setGeometry(parent.rect())

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize and self.isVisible():
            self._cover()
        return False
