"""Station settings (name, phone, hub, printer, receipt layout, idle timeout, scanner folder,
the ID card reader's port) and, for admins, operator management.

Values are saved together with `Station.update_settings`, which checks them all first: a bad
value shows its message and nothing is saved. A new printer choice takes effect at once.

Signals:
    saved(object): the new `Settings`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from kiosk.context import KioskContext
from kiosk.idcard import IdCardReader, serial_ports
from kiosk.operators import Operator
from kiosk.printing import PDF_CHOICE
from kiosk.settings import SettingsError
from ui import strings
from ui.i18n import I18n
from ui.idcard_poller import READER_KEY
from ui.operator.common import heading, message_label, set_error
from ui.operator.filing import SCANNER_FOLDER_KEY
from ui.qt_printer import make_printer
from vocab.text import Text

strings.add(
    {
        "op.settings.title": Text("设置", "Settings"),
        "op.settings.station_name": Text("服务站名称", "Station name"),
        "op.settings.station_phone": Text("服务站电话", "Station phone"),
        "op.settings.hub_url": Text("县平台地址", "County hub address"),
        "op.settings.printer": Text("回执打印机", "Receipt printer"),
        "op.settings.printer_pdf": Text("不打印，保存为 PDF", "No printer: save as PDF"),
        "op.settings.layout": Text("回执版式", "Receipt layout"),
        "op.settings.layout.roll80": Text("80 毫米热敏纸", "80 mm thermal roll"),
        "op.settings.layout.a4": Text("A4 纸", "A4 paper"),
        "op.settings.idle": Text("无操作返回首页（秒）", "Idle timeout (seconds)"),
        "op.settings.scanner": Text("扫描仪文件夹", "Scanner folder"),
        "op.settings.id_card_reader": Text("身份证读卡器端口", "ID card reader port"),
        "op.settings.id_card_reader_none": Text("没有读卡器", "No reader"),
        "op.settings.browse": Text("选择…", "Browse…"),
        "op.settings.save": Text("保存设置", "Save settings"),
        "op.settings.saved": Text("设置已保存。", "Settings saved."),
        "op.settings.not_saved": Text(
            "未保存，请修改：{error}", "Not saved; please correct: {error}"
        ),
        "op.settings.operators": Text("操作员", "Operators"),
        "op.settings.op_id": Text("工号", "Operator ID"),
        "op.settings.op_name": Text("姓名", "Name"),
        "op.settings.op_pin": Text("PIN（4–12 位数字）", "PIN (4–12 digits)"),
        "op.settings.op_role": Text("角色", "Role"),
        "op.settings.role.operator": Text("操作员", "Operator"),
        "op.settings.role.admin": Text("管理员", "Administrator"),
        "op.settings.op_add": Text("添加 / 更新操作员", "Add / update operator"),
        "op.settings.op_added": Text("操作员 {id} 已保存。", "Operator {id} saved."),
        "op.settings.op_missing": Text("请填写工号和姓名。", "Enter an operator ID and a name."),
        "op.settings.op_active": Text("启用", "Active"),
    }
)


def printer_choices() -> list[str]:
    """System printers Qt knows (CUPS queues on Linux); empty when there are none."""
    try:
        from PySide6.QtPrintSupport import QPrinterInfo

        return list(QPrinterInfo.availablePrinterNames())
    except Exception:  # no print support plugin: the PDF choice still works
        return []


class SettingsView(QWidget):
    saved = Signal(object)

    def __init__(
        self, context: KioskContext, i18n: I18n, operator: Operator, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._context = context
        self._station = context.station
        self._i18n = i18n
        self._operator = operator
        self.is_admin = operator.is_admin

        self.title = heading()
        self.station_name = QLineEdit()
        self.station_phone = QLineEdit()
        self.hub_url = QLineEdit()
        self.printer = QComboBox()
        self.layout_box = QComboBox()
        self.idle = QSpinBox()
        self.idle.setRange(1, 99999)  # the allowed range is checked by Settings, with a message
        self.scanner = QLineEdit()
        self.id_card_reader = QComboBox()
        self.id_card_reader.setObjectName("setting_id_card_reader")
        self.browse = QPushButton()
        self.browse.clicked.connect(self._browse)
        self.save_button = QPushButton()
        self.save_button.setMinimumHeight(44)
        self.save_button.clicked.connect(self.save)
        self.message = message_label()
        set_error(self.message, None)

        self.form = QFormLayout()
        self.labels: dict[str, Any] = {}
        scanner_row = QHBoxLayout()
        scanner_row.addWidget(self.scanner, 1)
        scanner_row.addWidget(self.browse)
        for key, widget in (
            ("station_name", self.station_name),
            ("station_phone", self.station_phone),
            ("hub_url", self.hub_url),
            ("printer", self.printer),
            ("layout", self.layout_box),
            ("idle", self.idle),
            ("scanner", scanner_row),
            ("id_card_reader", self.id_card_reader),
        ):
            from PySide6.QtWidgets import QLabel

            label = QLabel()
            self.labels[key] = label
            self.form.addRow(label, widget)

        self.operators_box = QGroupBox()
        self.operators = QTableWidget(0, 4)
        self.operators.verticalHeader().setVisible(False)
        self.operators.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.operators.horizontalHeader().setStretchLastSection(True)
        self.op_id = QLineEdit()
        self.op_name = QLineEdit()
        self.op_pin = QLineEdit()
        self.op_pin.setEchoMode(QLineEdit.EchoMode.Password)
        self.op_role = QComboBox()
        self.op_add = QPushButton()
        self.op_add.clicked.connect(self.add_operator)
        self.op_message = message_label()
        set_error(self.op_message, None)
        add_row = QHBoxLayout()
        for w in (self.op_id, self.op_name, self.op_pin, self.op_role, self.op_add):
            add_row.addWidget(w)
        box = QVBoxLayout(self.operators_box)
        box.addWidget(self.operators)
        box.addLayout(add_row)
        box.addWidget(self.op_message)

        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addLayout(self.form)
        layout.addWidget(self.message)
        layout.addLayout(buttons)
        layout.addWidget(self.operators_box, 1)
        # only once it has a parent: setVisible(True) on a parentless widget opens a window
        self.operators_box.setVisible(self.is_admin)
        if not self.is_admin:
            layout.addStretch(1)
        i18n.changed.connect(self._language_changed)
        self.retranslate()
        self.load()

    # ------------------------------------------------------------------ public

    def load(self) -> None:
        s = self._station.settings
        self.station_name.setText(s.station_name or "")
        self.station_phone.setText(s.station_phone or "")
        self.hub_url.setText(s.hub_url or "")
        self._fill_printers(s.printer)
        self.layout_box.setCurrentIndex(max(0, self.layout_box.findData(s.receipt_layout)))
        self.idle.setValue(s.idle_timeout_s)
        self.scanner.setText(str(self._station.store.get_setting(SCANNER_FOLDER_KEY) or ""))
        self._fill_readers(s.id_card_reader)
        self._load_operators()

    def values(self) -> dict[str, Any]:
        printer = self.printer.currentData()
        return {
            "station_name": self.station_name.text().strip() or None,
            "station_phone": self.station_phone.text().strip() or None,
            "hub_url": self.hub_url.text().strip() or None,
            "printer": None if printer == PDF_CHOICE else printer,
            "receipt_layout": self.layout_box.currentData(),
            "idle_timeout_s": self.idle.value(),
            "id_card_reader": self.id_card_reader.currentData() or None,
        }

    def save(self) -> bool:
        """Check and save all values at once; show the problem and save nothing if one is bad."""
        values = {
            k: v
            for k, v in self.values().items()
            if v is not None or k in ("printer", "station_phone", "id_card_reader")
        }
        old_reader = self._station.settings.id_card_reader
        try:
            settings = self._station.update_settings(values, operator=self._operator.id)
        except SettingsError as exc:
            set_error(self.message, self._i18n.t("op.settings.not_saved", error=str(exc)))
            return False
        folder = self.scanner.text().strip()
        if folder != (self._station.store.get_setting(SCANNER_FOLDER_KEY) or ""):
            self._station.store.set_setting(SCANNER_FOLDER_KEY, folder, operator=self._operator.id)
        self._context.printer = make_printer(settings, self._station.store.data_dir)
        if settings.id_card_reader != old_reader:
            self._forget_reader()
        set_error(self.message, self._i18n.t("op.settings.saved"), ok=True)
        self.saved.emit(settings)
        return True

    def add_operator(self) -> bool:
        if not self.is_admin:
            return False
        op_id, name, pin = (
            self.op_id.text().strip(),
            self.op_name.text().strip(),
            self.op_pin.text().strip(),
        )
        if not op_id or not name:
            set_error(self.op_message, self._i18n.t("op.settings.op_missing"))
            return False
        try:
            self._station.store.add_operator(op_id, name, pin, role=self.op_role.currentData())
        except ValueError as exc:
            zh, _, en = str(exc).partition(" / ")
            set_error(self.op_message, (en if self._i18n.lang == "en" else zh) or str(exc))
            return False
        self._station.store.audit("operator.add", operator=self._operator.id, target=op_id)
        self.op_pin.clear()
        set_error(self.op_message, self._i18n.t("op.settings.op_added", id=op_id), ok=True)
        self._load_operators()
        return True

    # ------------------------------------------------------------------ internals

    def _fill_printers(self, current: str | None) -> None:
        self.printer.clear()
        self.printer.addItem(self._i18n.t("op.settings.printer_pdf"), PDF_CHOICE)
        names = printer_choices()
        for name in names:
            self.printer.addItem(name, name)
        for name in names:
            self.printer.addItem(f"CUPS: {name}", f"cups:{name}")
        if current and self.printer.findData(current) < 0:
            self.printer.addItem(current, current)  # configured but not connected now
        self.printer.setCurrentIndex(max(0, self.printer.findData(current or PDF_CHOICE)))

    def _fill_readers(self, current: str | None) -> None:
        """ "No reader", then the serial ports this computer has (and the configured one if it
        is not plugged in now)."""
        self.id_card_reader.clear()
        self.id_card_reader.addItem(self._i18n.t("op.settings.id_card_reader_none"), None)
        ports = serial_ports()
        if current and current not in ports:
            ports.append(current)
        for port in ports:
            self.id_card_reader.addItem(port, port)
        self.id_card_reader.setCurrentIndex(max(0, self.id_card_reader.findData(current)))

    def _forget_reader(self) -> None:
        """A new port takes effect with the next form: the old reader is closed and
        forgotten (`ui.idcard_poller.id_card_source` opens the new one)."""
        old = self._context.extras.pop(READER_KEY, None)
        if isinstance(old, IdCardReader):
            old.close()

    def _load_operators(self) -> None:
        if not self.is_admin:
            return
        ops = self._station.store.operators()
        self.operators.setRowCount(len(ops))
        for i, op in enumerate(ops):
            role = op["role"]
            key = f"op.settings.role.{role}"
            cells = [
                op["id"],
                op["name"],
                self._i18n.t(key) if key in strings.STRINGS else role,
                "✓" if op["active"] else "",
            ]
            for j, c in enumerate(cells):
                self.operators.setItem(i, j, QTableWidgetItem(str(c)))

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self, self._i18n.t("op.settings.scanner"), self.scanner.text() or str(Path.home())
        )
        if folder:
            self.scanner.setText(folder)

    def _language_changed(self, _lang: str) -> None:
        # a bound method, not a lambda: Qt drops the connection when this widget goes
        self.retranslate()

    def retranslate(self) -> None:
        t = self._i18n.t
        self.title.setText(t("op.settings.title"))
        for key, label in self.labels.items():
            label.setText(t(f"op.settings.{key}"))
        self.browse.setText(t("op.settings.browse"))
        self.save_button.setText(t("op.settings.save"))
        self.printer.setItemText(0, t("op.settings.printer_pdf"))
        self.id_card_reader.setItemText(0, t("op.settings.id_card_reader_none"))
        current = self.layout_box.currentData()
        self.layout_box.clear()
        for key in ("roll80", "a4"):
            self.layout_box.addItem(t(f"op.settings.layout.{key}"), key)
        self.layout_box.setCurrentIndex(max(0, self.layout_box.findData(current)))
        role = self.op_role.currentData()
        self.op_role.clear()
        for key in ("operator", "admin"):
            self.op_role.addItem(t(f"op.settings.role.{key}"), key)
        self.op_role.setCurrentIndex(max(0, self.op_role.findData(role)))
        self.operators_box.setTitle(t("op.settings.operators"))
        self.operators.setHorizontalHeaderLabels(
            [
                t("op.settings.op_id"),
                t("op.settings.op_name"),
                t("op.settings.op_role"),
                t("op.settings.op_active"),
            ]
        )
        self.op_id.setPlaceholderText(t("op.settings.op_id"))
        self.op_name.setPlaceholderText(t("op.settings.op_name"))
        self.op_pin.setPlaceholderText(t("op.settings.op_pin"))
        self.op_add.setText(t("op.settings.op_add"))
        self._load_operators()
