"""The PIN pad that lets an operator into operator mode (reached by the hidden corner
gesture or Ctrl+Alt+O). Every attempt is audited by `Store.verify_operator`; after
`MAX_FAILURES` wrong PINs in a row the pad locks for `lock_ms`.

Signals:
    accepted(object): the `kiosk.operators.Operator` after a right PIN.
    cancelled(): back to resident mode.
    rejected(): a wrong PIN (tests wait on it).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from kiosk.operators import sign_in
from offline.store import Store
from ui.i18n import I18n
from ui.strings import add
from ui.widgets.buttons import MIN_TOUCH_PX, BigButton
from ui.widgets.keypad import NumericKeypad
from ui.widgets.screen import Screen
from vocab.text import Text

add(
    {
        "gate.title": Text("工作人员登录", "Operator sign-in"),
        "gate.who": Text(
            "请选择工作人员，再输入密码（PIN）", "Choose the operator, then enter the PIN"
        ),
        "gate.enter": Text("进入", "Sign in"),
        "gate.cancel": Text("返回", "Back"),
        "gate.wrong": Text("PIN 不对，请重试", "Wrong PIN; try again"),
        "gate.pick": Text("请先选择工作人员", "Choose an operator first"),
        "gate.locked": Text(
            "错误次数太多，请 {s} 秒后再试", "Too many wrong PINs; try again in {s} seconds"
        ),
        "gate.no_operators": Text(
            "还没有工作人员账号。请用 kiosk operator 命令添加。",
            "No operator accounts yet. Add one with the kiosk operator command.",
        ),
    }
)

MAX_FAILURES = 5
LOCK_MS = 30_000


class OperatorGate(Screen):
    accepted = Signal(object)
    cancelled = Signal()
    rejected = Signal()

    def __init__(
        self, store: Store, i18n: I18n, parent: QWidget | None = None, *, lock_ms: int = LOCK_MS
    ) -> None:
        super().__init__(i18n, parent)
        self.store = store
        self.lock_ms = lock_ms
        self.failures = 0
        self._message: tuple[str, dict[str, Any]] | None = None
        self._lock = QTimer(self)
        self._lock.setSingleShot(True)
        self._lock.timeout.connect(self._unlock)
        row = QHBoxLayout()
        row.setSpacing(40)
        left = QVBoxLayout()
        self.who = QLabel()
        self.who.setProperty("role", "help")
        self.who.setWordWrap(True)
        self.operators_box = QGridLayout()
        self.operators_box.setSpacing(12)
        self.group = QButtonGroup(self)
        self.operator_buttons: dict[str, BigButton] = {}
        self.pin = QLineEdit()
        self.pin.setObjectName("input_pin")
        self.pin.setEchoMode(QLineEdit.EchoMode.Password)
        self.pin.setMaxLength(12)
        self.pin.setMinimumHeight(MIN_TOUCH_PX)
        self.pin.returnPressed.connect(self.try_login)
        self.message = QLabel()
        self.message.setObjectName("gate_message")
        self.message.setProperty("role", "error")
        self.message.setWordWrap(True)
        left.addWidget(self.who)
        left.addLayout(self.operators_box)
        left.addWidget(self.pin)
        left.addWidget(self.message)
        left.addStretch(1)
        self.keypad = NumericKeypad(extra="")
        self.keypad.target = self.pin
        row.addLayout(left, 3)
        row.addWidget(self.keypad, 2)
        self.body.addLayout(row, 1)
        self.cancel_button = BigButton()
        self.cancel_button.setObjectName("gate_cancel")
        self.enter_button = BigButton(primary=True)
        self.enter_button.setObjectName("gate_enter")
        self.footer.addWidget(self.cancel_button)
        self.footer.addStretch(1)
        self.footer.addWidget(self.enter_button)
        self.cancel_button.clicked.connect(self._cancel)
        self.enter_button.clicked.connect(self.try_login)
        self.reset()

    def reset(self) -> None:
        """Reload the operator list and forget any typed PIN."""
        for button in self.operator_buttons.values():
            self.group.removeButton(button)
            button.deleteLater()
        self.operator_buttons.clear()
        operators = [o for o in self.store.operators() if o.get("active", 1)]
        for i, op in enumerate(operators):
            button = BigButton(str(op["name"]))
            button.setObjectName(f"operator_{op['id']}")
            button.setCheckable(True)
            self.group.addButton(button)
            self.operators_box.addWidget(button, i // 2, i % 2)
            self.operator_buttons[str(op["id"])] = button
        if len(operators) == 1:
            next(iter(self.operator_buttons.values())).setChecked(True)
        self.pin.clear()
        self._set_message("gate.no_operators" if not operators else None)
        self.retranslate()

    def selected(self) -> str | None:
        for op_id, button in self.operator_buttons.items():
            if button.isChecked():
                return op_id
        return None

    def try_login(self) -> None:
        if self._lock.isActive():
            return
        op_id = self.selected()
        if op_id is None:
            self._set_message("gate.pick")
            return
        pin = self.pin.text()
        self.pin.clear()
        operator = sign_in(self.store, op_id, pin) if pin else None
        if operator is None:
            self.failures += 1
            if self.failures >= MAX_FAILURES:
                self._lock.start(self.lock_ms)
                self.enter_button.setEnabled(False)
                self._set_message("gate.locked", s=max(1, self.lock_ms // 1000))
            else:
                self._set_message("gate.wrong")
            self.rejected.emit()
            return
        self.failures = 0
        self._set_message(None)
        self.accepted.emit(operator)

    def _unlock(self) -> None:
        self.failures = 0
        self.enter_button.setEnabled(True)
        self._set_message(None)

    def _cancel(self) -> None:
        self.pin.clear()
        self.cancelled.emit()

    def _set_message(self, key: str | None, **params: Any) -> None:
        self._message = (key, params) if key else None
        self.message.setText(self.i18n.t(key, **params) if key else "")
        self.message.setVisible(key is not None)

    def retranslate(self) -> None:
        t = self.i18n.t
        self.title.setText(t("gate.title"))
        self.who.setText(t("gate.who"))
        self.enter_button.setText(t("gate.enter"))
        self.cancel_button.setText(t("gate.cancel"))
        self.keypad.retranslate(self.i18n)
        if self._message:
            self.message.setText(t(self._message[0], **self._message[1]))
