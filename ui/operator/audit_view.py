"""The audit log, read-only, newest first; "load more" pages back in time."""

from __future__ import annotations

import json

from PySide6.QtWidgets import (
    QHeaderView,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from offline.store import Store
from ui import strings
from ui.i18n import I18n
from ui.operator.common import heading
from ui.operator.queue_model import format_time
from vocab.text import Text

strings.add(
    {
        "op.audit.title": Text("操作记录", "Audit log"),
        "op.audit.at": Text("时间", "When"),
        "op.audit.operator": Text("操作员", "Operator"),
        "op.audit.action": Text("操作", "Action"),
        "op.audit.target": Text("对象", "Target"),
        "op.audit.detail": Text("详情", "Detail"),
        "op.audit.more": Text("加载更早的记录", "Load older entries"),
        "op.audit.refresh": Text("刷新", "Refresh"),
    }
)

PAGE = 200

# What each logged action means, in words (a code not listed yet is shown as it is).
ACTIONS: dict[str, Text] = {
    "application.draft": Text("保存草稿", "Draft saved"),
    "application.finalize": Text("提交申请", "Application filed"),
    "application.amend": Text("补充材料或说明", "Application amended"),
    "application.discard_draft": Text("删除草稿", "Draft discarded"),
    "backup.write": Text("写备份", "Backup written"),
    "backup.restore": Text("从备份恢复", "Restored from a backup"),
    "help.called": Text("居民找工作人员", "A resident called for help"),
    "help.answered": Text("工作人员去帮忙", "Staff answered a call for help"),
    "kiosk.quit": Text("关闭程序", "Program closed"),
    "operator.add": Text("添加操作员", "Operator added"),
    "operator.set": Text("修改操作员", "Operator changed"),
    "operator.login": Text("操作员登录", "Operator signed in"),
    "operator.login_failed": Text("密码错误，登录失败", "Sign-in failed (wrong PIN)"),
    "operator.logout": Text("操作员退出", "Operator signed out"),
    "operator.leave": Text("退出操作员模式", "Left operator mode"),
    "receipt.reprint": Text("补打回执", "Receipt reprinted"),
    "receipt.reprint_refused": Text("补打回执被拒绝", "Receipt reprint refused"),
    "resident.reveal": Text("查看完整身份信息", "Full resident details shown"),
    "setting.set": Text("修改设置", "Setting changed"),
    "status.lookup_refused": Text("查询被拒绝（信息不符）", "Status lookup refused"),
    "summary.save": Text("保存每日汇总", "Daily summary saved"),
    "sync.enroll": Text("登记到县平台", "Enrolled with the county hub"),
    "sync.bundle_export": Text("导出U盘同步包", "USB bundle exported"),
    "sync.bundle_import": Text("导入U盘同步包", "USB bundle imported"),
    "sync.escrow_data_key": Text("数据密钥托管到县里", "Data key escrowed with the county"),
    "sync.tls_pins": Text("更新县平台证书", "County hub certificate updated"),
}

# Setting names (the target of "setting.set") and detail keys, in words.
NAMES: dict[str, Text] = {
    "station_name": Text("服务站名称", "station name"),
    "station_phone": Text("服务站电话", "station phone"),
    "hub_url": Text("县平台地址", "hub address"),
    "printer": Text("打印机", "printer"),
    "receipt_layout": Text("回执版式", "receipt layout"),
    "idle_timeout_s": Text("无操作返回时间", "idle timeout"),
    "language": Text("默认语言", "default language"),
    "value": Text("新值", "new value"),
    "documents": Text("材料数", "documents"),
    "hub": Text("县平台", "hub"),
    "name": Text("姓名", "name"),
    "role": Text("角色", "role"),
}
HIDDEN_DETAIL = frozenset({"pins", "from", "to", "key_id", "backup_id"})  # long hex: no words


def action_words(action: str, lang: str) -> str:
    """A logged action code in the reader's words ("application.finalize" -> "提交申请")."""
    text = ACTIONS.get(action)
    return text.get(lang) if text is not None else action


def detail_words(detail: str, lang: str) -> str:
    """The JSON detail of an entry as "新值=…，材料数=2"; long key material left out."""
    try:
        data = json.loads(detail)
    except ValueError:
        return detail
    if not isinstance(data, dict):
        return detail
    sep = "，" if lang == "zh" else ", "
    parts = []
    for k, v in data.items():
        if k in HIDDEN_DETAIL:
            continue
        name = NAMES.get(k)
        value = "" if v is None else ("是" if lang == "zh" else "yes") if v is True else v
        if v is False:
            value = "否" if lang == "zh" else "no"
        parts.append(f"{name.get(lang) if name else k}={value}")
    return sep.join(parts)


class AuditView(QWidget):
    def __init__(self, store: Store, i18n: I18n, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._store = store
        self._i18n = i18n
        self.title = heading()
        self.table = QTableWidget(0, 5)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.horizontalHeader().setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        for col, width in enumerate((160, 110, 190, 220)):
            self.table.setColumnWidth(col, width)
        self.more_button = QPushButton()
        self.more_button.clicked.connect(self.load_more)
        self.refresh_button = QPushButton()
        self.refresh_button.clicked.connect(self.refresh)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.refresh_button)
        layout.addWidget(self.more_button)
        i18n.changed.connect(self._language_changed)
        self._retranslate()
        self.refresh()

    def _language_changed(self, _lang: str) -> None:
        self._retranslate()
        self.refresh()  # the actions in the other language

    def _retranslate(self) -> None:
        t = self._i18n.t
        self.title.setText(t("op.audit.title"))
        self.table.setHorizontalHeaderLabels(
            [
                t("op.audit.at"),
                t("op.audit.operator"),
                t("op.audit.action"),
                t("op.audit.target"),
                t("op.audit.detail"),
            ]
        )
        self.more_button.setText(t("op.audit.more"))
        self.refresh_button.setText(t("op.audit.refresh"))

    def refresh(self) -> None:
        self.table.setRowCount(0)
        self.load_more()

    def load_more(self) -> None:
        rows = self._store.audit_log(limit=PAGE, offset=self.table.rowCount())
        start = self.table.rowCount()
        self.table.setRowCount(start + len(rows))
        lang = self._i18n.lang
        for i, r in enumerate(rows, start=start):
            detail = detail_words(r.get("detail") or "", lang) if r.get("detail") else ""
            target = r.get("target") or ""
            if r["action"] == "setting.set" and target in NAMES:
                target = NAMES[target].get(lang)
            cells = [
                format_time(r["at"]),
                r.get("operator") or "",
                action_words(r["action"], lang),
                target,
                detail,
            ]
            for j, c in enumerate(cells):
                self.table.setItem(i, j, QTableWidgetItem(str(c)))
        self.more_button.setEnabled(len(rows) == PAGE)
