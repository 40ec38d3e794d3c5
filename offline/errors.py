"""Store errors: few, specific, and each says what the person should do.

They are `vocab.errors.UserError`s: ``message`` (Chinese and English) is what a person reads;
``detail`` holds the technical cause (the SQLite or OS message) for the log only and never
appears in ``str()`` or on a screen.
"""

from __future__ import annotations

from typing import ClassVar

from vocab.errors import UserError
from vocab.text import Text


class StoreError(UserError):
    """Base class: environment trouble with the local store (never a bug)."""

    message = Text(
        "本地数据库出错，请联系县里技术支持。",
        "The local database has a problem; contact county support.",
    )

    def __init__(self, detail: str = "", *, message: Text | None = None) -> None:
        super().__init__(message, detail=detail)


class StoreFull(StoreError):
    """The disk is full: nothing was written; free space and try again."""

    message = Text(
        "磁盘已满，本次未保存任何内容。请清理磁盘空间后重试，已保存的申请不受影响。",
        "The disk is full; nothing was saved this time. Free some disk space and try again; "
        "applications already saved are safe.",
    )


class StoreBusy(StoreError):
    """Another process holds the database lock for too long."""

    message = Text(
        "数据库正忙（可能另一个程序正在使用），本次未保存。请稍后重试。",
        "The database is busy (another program may be using it); nothing was saved. Try again.",
    )
    retryable: ClassVar[bool] = True


class StoreReadOnly(StoreError):
    """The data directory cannot be written (permissions or a read-only disk)."""

    message = Text(
        "数据目录不可写，本次未保存。请检查磁盘或权限。",
        "The data folder cannot be written; nothing was saved. Check the disk or permissions.",
    )


class ImmutableApplication(StoreError):
    """A finalized application was asked to change; corrections are amendments."""

    message = Text(
        "申请已提交，不能修改；如需更正请添加补充说明。",
        "This application is already filed and cannot be changed; add an amendment instead.",
    )


class NotFound(StoreError):
    """No such application, resident, operator or blob (``detail``: what was looked up)."""

    message = Text("未找到该记录。", "No such record.")


class DataDamaged(StoreError):
    """An encrypted value or document does not open: altered, damaged, or not this store's."""

    message = Text(
        "本地保存的数据已损坏或被改动，无法读取。请从备份恢复，或联系县里技术人员。",
        "Data stored on this kiosk is damaged or was altered and cannot be read. Restore from "
        "a backup or contact the county's IT staff.",
    )


class DataKeyMissing(StoreError):
    """The store is encrypted under a key this PC's keychain does not hold (or another key)."""

    message = Text(
        "找不到本地数据的密钥（系统钥匙串中没有，或不是这份数据的密钥）。请用备份和恢复密钥"
        "恢复（kiosk restore --recovery-key），或联系县里技术人员。",
        "The key to this station's data is not in the OS keychain (or it is another key). "
        "Restore from a backup with a recovery key (kiosk restore --recovery-key) or contact "
        "the county's IT staff.",
    )
