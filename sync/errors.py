"""What can stop a sync, as a small family of errors that say what the person should do.

Environment trouble (no link, hub down) is retried; a refused device, an old protocol or a
refused record waits for a person. Every error has a Chinese and an English message.
"""

from __future__ import annotations


class SyncError(Exception):
    """Base class: something stopped (part of) a sync. ``zh``/``en`` say what to do."""

    zh = "同步失败，稍后会自动重试。"
    en = "Sync failed; it will retry automatically."
    retryable = True

    def __init__(self, detail: str = "", *, retry_after: float | None = None) -> None:
        self.detail = detail
        self.retry_after = retry_after
        super().__init__(f"{self.zh} / {self.en}" + (f" ({detail})" if detail else ""))


class HubUnreachable(SyncError):
    """No link to the hub (no network, hub down, connection cut or timed out)."""

    zh = "连不上县里的服务器，申请已安全保存在本机，联网后会自动重试。"
    en = (
        "Cannot reach the county hub. Applications are safe on this kiosk; "
        "sync will retry automatically when the link is back."
    )
    mid_request: bool = False
    """The connection was made and then broke or stalled (as opposed to no link at all)."""


class AuthRejected(SyncError):
    """401: the device token is unknown or revoked."""

    zh = (
        "县里的服务器不认可本机（设备已停用或未登记）。"
        "请向县里索取新的登记码，再运行 kiosk enroll。"
    )
    en = (
        "The county hub does not accept this kiosk (device revoked or not enrolled). "
        "Ask the county for a new enrollment code and run kiosk enroll."
    )
    retryable = False


class ProtocolMismatch(SyncError):
    """426: the hub speaks another protocol version."""

    zh = "本机软件版本与县里服务器不兼容，请更新服务站软件。"
    en = "This kiosk's software does not match the county hub's; update the kiosk software."
    retryable = False


class HubError(SyncError):
    """5xx or an answer we did not expect: the hub's problem, retried later."""

    zh = "县里的服务器出错，稍后会自动重试；如一直失败请联系县里技术支持。"
    en = (
        "The county hub reported an error; sync will retry later. "
        "If it keeps failing, contact county support."
    )

    def __init__(
        self,
        detail: str = "",
        *,
        status: int | None = None,
        code: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        self.status = status
        self.code = code
        super().__init__(detail, retry_after=retry_after)


class EnrollmentRejected(SyncError):
    """The enrollment code is wrong, used or expired."""

    zh = "登记码无效、已使用或已过期。请向县里索取新的登记码。"
    en = "The enrollment code is wrong, already used or expired. Ask the county for a new code."
    retryable = False


class RecordRejected(SyncError):
    """The hub refused one application (or it failed validation before sending)."""

    retryable = False

    def __init__(self, tracking_no: str, reason: str) -> None:
        self.tracking_no = tracking_no
        self.reason = reason
        self.zh = f"申请 {tracking_no} 未被县里接收（{reason}）。请联系县里核对，本机已保留该申请。"
        self.en = (
            f"The county hub did not accept application {tracking_no} ({reason}). "
            "Contact the county to check it; the kiosk keeps it."
        )
        super().__init__(reason)


class LocalBlobCorrupt(SyncError):
    """An attachment file on this kiosk no longer matches its SHA-256: the disk damaged it."""

    retryable = False

    def __init__(self, sha256: str, detail: str = "") -> None:
        self.sha256 = sha256
        self.zh = (
            f"本机保存的附件 {sha256[:12]} 已损坏（校验不符），不会上传。"
            "请检查磁盘，并联系县里技术支持让申请人补交材料。"
        )
        self.en = (
            f"The attachment {sha256[:12]} stored on this kiosk is damaged (its checksum does "
            "not match) and was not uploaded. Check the disk and contact county support so the "
            "resident can hand in the document again."
        )
        super().__init__(detail or sha256)
