"""Store errors: few, specific, and each says what the person should do.

Every message has a Chinese and an English form (`zh`, `en`) so the kiosk can show it in the
resident's language; `str()` gives both.
"""

from __future__ import annotations


class StoreError(Exception):
    """Base class: environment trouble with the local store (never a bug)."""

    zh = "本地数据库出错，请联系县里技术支持。"
    en = "The local database has a problem; contact county support."

    def __init__(self, detail: str = "") -> None:
        self.detail = detail
        super().__init__(f"{self.zh} / {self.en}" + (f" ({detail})" if detail else ""))


class StoreFull(StoreError):
    """The disk is full: nothing was written; free space and try again."""

    zh = "磁盘已满，本次未保存任何内容。请清理磁盘空间后重试，已保存的申请不受影响。"
    en = (
        "The disk is full; nothing was saved this time. Free some disk space and try again; "
        "applications already saved are safe."
    )


class StoreBusy(StoreError):
    """Another process holds the database lock for too long."""

    zh = "数据库正忙（可能另一个程序正在使用），本次未保存。请稍后重试。"
    en = "The database is busy (another program may be using it); nothing was saved. Try again."


class StoreReadOnly(StoreError):
    """The data directory cannot be written (permissions or a read-only disk)."""

    zh = "数据目录不可写，本次未保存。请检查磁盘或权限。"
    en = "The data folder cannot be written; nothing was saved. Check the disk or permissions."


class ImmutableApplication(StoreError):
    """A finalized application was asked to change; corrections are amendments."""

    zh = "申请已提交，不能修改；如需更正请添加补充说明。"
    en = "This application is already filed and cannot be changed; add an amendment instead."


class NotFound(StoreError):
    """No such application, resident, operator or blob."""

    zh = "未找到该记录。"
    en = "No such record."
