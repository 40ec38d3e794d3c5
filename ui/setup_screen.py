"""First run: the station's code and name and the first (admin) operator's PIN.

Shown instead of the home screen while the store has no station code. Uses a physical
keyboard (whoever installs the kiosk has one).

Signals:
    finished(): the station is set up.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFormLayout, QLabel, QLineEdit, QWidget

from kiosk.station import Station
from kiosk.tracking import InvalidStationCode, check_station_code
from ui.i18n import I18n
from ui.strings import add
from ui.widgets.buttons import MIN_TOUCH_PX, BigButton
from ui.widgets.screen import Screen
from vocab.text import Text

add(
    {
        "setup.title": Text("首次使用：设置服务站", "First start: set up this station"),
        "setup.intro": Text(
            "请填写县里分配的服务站编码和站名，并为管理员设置密码（PIN）。",
            "Enter the station code the county gave you and the station's name, and set the "
            "administrator's PIN.",
        ),
        "setup.code": Text("服务站编码（如 LX03）", "Station code (e.g. LX03)"),
        "setup.name": Text("服务站名称", "Station name"),
        "setup.admin_id": Text("管理员账号", "Administrator ID"),
        "setup.admin_name": Text("管理员姓名", "Administrator's name"),
        "setup.pin": Text("PIN（4到12位数字）", "PIN (4 to 12 digits)"),
        "setup.pin2": Text("再输一次 PIN", "PIN again"),
        "setup.save": Text("保存并开始", "Save and start"),
        "setup.need_all": Text("请把每一项都填上", "Please fill in every item"),
        "setup.pin_mismatch": Text("两次输入的 PIN 不一样", "The two PINs differ"),
        "setup.pin_bad": Text("PIN 须为 4 到 12 位数字", "The PIN must be 4 to 12 digits"),
        "setup.bad_code": Text(
            "编码只能用数字和字母（不用 I、O、U、V），2到8位",
            "The code may use 2 to 8 digits and letters (not I, O, U, V)",
        ),
    }
)


class SetupScreen(Screen):
    finished = Signal()

    def __init__(self, station: Station, i18n: I18n, parent: QWidget | None = None) -> None:
        super().__init__(i18n, parent)
        self.station = station
        form = QFormLayout()
        form.setVerticalSpacing(14)
        form.setHorizontalSpacing(24)
        self.edits: dict[str, QLineEdit] = {}
        self.labels: dict[str, QLabel] = {}
        for key in ("code", "name", "admin_id", "admin_name", "pin", "pin2"):
            edit = QLineEdit()
            edit.setObjectName(f"setup_{key}")
            edit.setMinimumHeight(MIN_TOUCH_PX)
            if key.startswith("pin"):
                edit.setEchoMode(QLineEdit.EchoMode.Password)
            label = QLabel()
            label.setProperty("role", "fieldLabel")
            form.addRow(label, edit)
            self.edits[key], self.labels[key] = edit, label
        self.edits["admin_id"].setText("admin")
        self.error = QLabel()
        self.error.setObjectName("setup_error")
        self.error.setProperty("role", "error")
        self.error.setWordWrap(True)
        self._error_key: str | None = None
        self.body.addLayout(form)
        self.body.addWidget(self.error)
        self.body.addStretch(1)
        self.save_button = BigButton(primary=True)
        self.save_button.setObjectName("setup_save")
        self.save_button.clicked.connect(self.save)
        self.footer.addStretch(1)
        self.footer.addWidget(self.save_button)
        self.retranslate()

    def save(self) -> None:
        v = {k: e.text().strip() for k, e in self.edits.items()}
        if not all(v.values()):
            return self._fail("setup.need_all")
        try:
            code = check_station_code(v["code"])
        except InvalidStationCode:
            return self._fail("setup.bad_code")
        if v["pin"] != v["pin2"]:
            return self._fail("setup.pin_mismatch")
        if not (v["pin"].isdigit() and 4 <= len(v["pin"]) <= 12):
            return self._fail("setup.pin_bad")
        self.station.init(code, v["name"], operator=v["admin_id"])
        self.station.store.add_operator(v["admin_id"], v["admin_name"], v["pin"], role="admin")
        for edit in self.edits.values():
            edit.clear()
        self._fail(None)
        self.finished.emit()
        return None

    def _fail(self, key: str | None) -> None:
        self._error_key = key
        self.error.setText(self.i18n.t(key) if key else "")

    def retranslate(self) -> None:
        t = self.i18n.t
        self.title.setText(t("setup.title"))
        self.set_subtitle(t("setup.intro"))
        for key, label in self.labels.items():
            label.setText(t(f"setup.{key}"))
        self.save_button.setText(t("setup.save"))
        self._fail(self._error_key)
