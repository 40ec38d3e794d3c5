"""The queue as a Qt table model: a windowed cache over `Store.queue(limit, offset)`.

`rowCount` is one COUNT query; rows are fetched a page at a time only when the view asks for
them (what is on screen), and only a few pages are kept. So 100,000 applications scroll
smoothly and the first paint reads one page, not the table.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from datetime import tzinfo
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QFont

from kiosk import localtime
from kiosk.privacy import mask_name
from kiosk.summary import STATE_LABELS, STATUS_LABELS
from offline.store import QueueFilter, QueueRow, Store
from ui import strings
from ui.i18n import I18n
from ui.operator.common import upload_error_words
from vocab.text import Text

strings.add(
    {
        "op.queue.col.tracking": Text("受理编号", "Tracking no."),
        "op.queue.col.service": Text("业务", "Service"),
        "op.queue.col.resident": Text("申请人", "Resident"),
        "op.queue.col.state": Text("本站状态", "State"),
        "op.queue.col.status": Text("县里结果", "County status"),
        "op.queue.col.filed": Text("提交时间", "Filed at"),
        "op.queue.no_tracking": Text("（草稿）", "(draft)"),
        "op.queue.last_error": Text("上次上传未成功：{error}", "The last upload failed: {error}"),
    }
)

# A draft in the operator's queue is almost always a resident's form that waits for the
# documents only the operator can scan: say so, and make the row stand out.
WAITING_FOR_DOCUMENTS = Text("等待补材料", "Waiting for documents")
DRAFT_BACKGROUND = QColor("#fff1c2")


def state_label(state: str) -> Text:
    """The operator's word for a kiosk state ("draft" reads as waiting for documents)."""
    if state == "draft":
        return WAITING_FOR_DOCUMENTS
    return STATE_LABELS.get(state) or Text(state, state)


COLUMNS = ("tracking", "service", "resident", "state", "status", "filed")
UuidRole = Qt.ItemDataRole.UserRole + 1

_Index = QModelIndex | QPersistentModelIndex


def format_time(iso: str | None, zone: tzinfo | None = None) -> str:
    """ "2024-03-15T06:30:12.000+00:00" -> "2024-03-15 14:30" on the station's clock
    (`zone`, default the system's)."""
    return localtime.format_datetime(iso, zone or localtime.system_zone())


class QueueModel(QAbstractTableModel):
    """Read-only model of the station's applications, newest first, filterable."""

    PAGE = 100
    MAX_PAGES = 8  # pages kept in memory (LRU)

    def __init__(
        self,
        store: Store,
        i18n: I18n,
        service_name: Callable[[str], Text],
        parent: QObject | None = None,
        *,
        zone: tzinfo | None = None,
    ) -> None:
        super().__init__(parent)
        self._store = store
        self._zone = zone or localtime.system_zone()
        self._i18n = i18n
        self._service_name = service_name
        self._filter = QueueFilter()
        self._count = store.count(self._filter)
        self._pages: OrderedDict[int, list[QueueRow]] = OrderedDict()
        self.rows_fetched = 0  # total rows read from the store since the last reset
        i18n.changed.connect(self._language_changed)

    # ------------------------------------------------------------------ public

    @property
    def filter(self) -> QueueFilter:
        return self._filter

    def set_filter(self, flt: QueueFilter) -> None:
        self._filter = flt
        self.refresh()

    def refresh(self) -> None:
        """Re-count and drop the cache (after a filing, a sync pass or a new filter)."""
        self.beginResetModel()
        self._pages.clear()
        self.rows_fetched = 0
        self._count = self._store.count(self._filter)
        self.endResetModel()

    def cached_rows(self) -> int:
        return sum(len(p) for p in self._pages.values())

    def row_at(self, row: int) -> QueueRow | None:
        if not 0 <= row < self._count:
            return None
        page_no, pos = divmod(row, self.PAGE)
        page = self._page(page_no)
        return page[pos] if pos < len(page) else None

    def uuid_at(self, row: int) -> str | None:
        r = self.row_at(row)
        return r.uuid if r else None

    # ------------------------------------------------------------------ model

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self._count

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(COLUMNS):
            return self._i18n.t(f"op.queue.col.{COLUMNS[section]}")
        if orientation == Qt.Orientation.Vertical:
            return str(section + 1)
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or role not in (
            Qt.ItemDataRole.DisplayRole,
            UuidRole,
            Qt.ItemDataRole.ToolTipRole,
            Qt.ItemDataRole.BackgroundRole,
            Qt.ItemDataRole.FontRole,
        ):
            return None
        r = self.row_at(index.row())
        if r is None:
            return None
        if role == UuidRole:
            return r.uuid
        if role == Qt.ItemDataRole.BackgroundRole:
            return QBrush(DRAFT_BACKGROUND) if r.state == "draft" else None
        if role == Qt.ItemDataRole.FontRole:
            if r.state != "draft" or COLUMNS[index.column()] != "state":
                return None
            font = QFont()
            font.setBold(True)
            return font
        col = COLUMNS[index.column()]
        if role == Qt.ItemDataRole.ToolTipRole:
            if col == "state" and r.last_error:
                words = self._i18n.text(upload_error_words(r.last_error))
                return self._i18n.t("op.queue.last_error", error=words)
            return None
        lang = self._i18n.lang
        if col == "tracking":
            return r.tracking_no or self._i18n.t("op.queue.no_tracking")
        if col == "service":
            return self._service_name(r.service_code).get(lang)
        if col == "resident":
            return mask_name(r.resident_name)
        if col == "state":
            return state_label(r.state).get(lang)
        if col == "status":
            label = STATUS_LABELS.get(r.status or "")
            return label.get(lang) if label else (r.status or "—")
        if col == "filed":
            return format_time(r.created_at, self._zone)
        return None

    def flags(self, index: _Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return (
            Qt.ItemFlag.ItemIsEnabled
            | Qt.ItemFlag.ItemIsSelectable
            | Qt.ItemFlag.ItemNeverHasChildren
        )

    # ------------------------------------------------------------------ internals

    def _page(self, page_no: int) -> list[QueueRow]:
        page = self._pages.get(page_no)
        if page is not None:
            self._pages.move_to_end(page_no)
            return page
        page = self._store.queue(self._filter, limit=self.PAGE, offset=page_no * self.PAGE)
        self.rows_fetched += len(page)
        self._pages[page_no] = page
        while len(self._pages) > self.MAX_PAGES:
            self._pages.popitem(last=False)
        return page

    def _language_changed(self, _lang: str) -> None:
        self.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, len(COLUMNS) - 1)
        if self._count:
            self.dataChanged.emit(self.index(0, 0), self.index(self._count - 1, len(COLUMNS) - 1))
