"""What can stop a sync, as a small family of errors that say what the person should do.

Environment trouble (no link, hub down) is retried; a refused device, an old protocol or a
refused record waits for a person. They are `vocab.errors.UserError`s: ``message`` (Chinese and
English) is what a person reads; ``detail`` (the HTTP exception, the hub's error body, a
validation error) is for the log only and never appears in ``str()`` or on a screen.
"""

from __future__ import annotations

from typing import ClassVar

from vocab.errors import UserError
from vocab.text import Text


class SyncError(UserError):
    """Base class: something stopped (part of) a sync. ``message`` says what to do."""

    message = Text("同步失败，稍后会自动重试。", "Sync failed; it will retry automatically.")
    retryable: ClassVar[bool] = True

    def __init__(
        self, detail: str = "", *, retry_after: float | None = None, message: Text | None = None
    ) -> None:
        self.retry_after = retry_after
        super().__init__(message, detail=detail)


class HubUnreachable(SyncError):
    """No link to the hub (no network, hub down, connection cut or timed out)."""

    message = Text(
        "连不上县里的服务器，申请已安全保存在本机，联网后会自动重试。",
        "Cannot reach the county hub. Applications are safe on this kiosk; "
        "sync will retry automatically when the link is back.",
    )
    mid_request: bool = False
    """The connection was made and then broke or stalled (as opposed to no link at all)."""


class BadHubAddress(SyncError):
    """The hub address cannot be used (malformed, or not http:// or https://)."""

    message = Text(
        "县里服务器的地址无效，请检查设置中的服务器地址（须以 http:// 或 https:// 开头）。",
        "The county hub address is not valid; check the hub address in the settings "
        "(it must start with http:// or https://).",
    )
    retryable: ClassVar[bool] = False


class AuthRejected(SyncError):
    """401: the device token is unknown or revoked."""

    message = Text(
        "县里的服务器不认可本机（设备已停用或未登记）。"
        "请向县里索取新的登记码，再运行 kiosk enroll。",
        "The county hub does not accept this kiosk (device revoked or not enrolled). "
        "Ask the county for a new enrollment code and run kiosk enroll.",
    )
    retryable: ClassVar[bool] = False


class ProtocolMismatch(SyncError):
    """426: the hub speaks another protocol version."""

    message = Text(
        "本机软件版本与县里服务器不兼容，请更新服务站软件。",
        "This kiosk's software does not match the county hub's; update the kiosk software.",
    )
    retryable: ClassVar[bool] = False


class HubError(SyncError):
    """5xx or an answer we did not expect: the hub's problem, retried later."""

    message = Text(
        "县里的服务器出错，稍后会自动重试；如一直失败请联系县里技术支持。",
        "The county hub reported an error; sync will retry later. "
        "If it keeps failing, contact county support.",
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

    message = Text(
        "登记码无效、已使用或已过期。请向县里索取新的登记码。",
        "The enrollment code is wrong, already used or expired. Ask the county for a new code.",
    )
    retryable: ClassVar[bool] = False


class RecordRejected(SyncError):
    """The hub refused one application (or it failed validation before sending).

    ``reason`` (the hub's or the validator's words, which may quote the record) goes to the
    log and the record's ``last_error``, not into the message.
    """

    retryable: ClassVar[bool] = False

    def __init__(self, tracking_no: str, reason: str) -> None:
        self.tracking_no = tracking_no
        self.reason = reason
        if tracking_no and tracking_no != "-":
            message = Text(
                f"申请 {tracking_no} 未被县里接收。请联系县里核对，本机已保留该申请。",
                f"The county hub did not accept application {tracking_no}. "
                "Contact the county to check it; the kiosk keeps it.",
            )
        else:
            message = Text(
                "县里未接收一份附件。请联系县里核对，本机已保留该附件。",
                "The county hub did not accept an attachment. Contact the county to check it; "
                "the kiosk keeps it.",
            )
        super().__init__(reason, message=message)


class LocalBlobCorrupt(SyncError):
    """An attachment file on this kiosk no longer matches its SHA-256: the disk damaged it."""

    retryable: ClassVar[bool] = False

    def __init__(self, sha256: str, detail: str = "") -> None:
        self.sha256 = sha256
        message = Text(
            f"本机保存的附件 {sha256[:12]} 已损坏（校验不符），不会上传。"
            "请检查磁盘，并联系县里技术支持让申请人补交材料。",
            f"The attachment {sha256[:12]} stored on this kiosk is damaged (its checksum does "
            "not match) and was not uploaded. Check the disk and contact county support so the "
            "resident can hand in the document again.",
        )
        super().__init__(detail or sha256, message=message)


class HubCertificateMismatch(SyncError):
    """The hub showed another TLS certificate than the pinned one; nothing was sent."""

    message = Text(
        "县里服务器的证书与登记时不同，可能有人在拦截连接。已停止同步，没有发送任何数据。"
        "请联系县里核实；如县里确实更换了证书，请用新的登记码重新运行 kiosk enroll。",
        "The county hub's certificate differs from the one pinned at enrollment: someone may "
        "be intercepting the link. Sync stopped and nothing was sent. Contact the county; if "
        "it really replaced its certificate, run kiosk enroll again with a new code.",
    )
    retryable: ClassVar[bool] = False


class EnrollmentIntercepted(SyncError):
    """The enrollment proofs did not match: a wrong code, or a man in the middle."""

    message = Text(
        "登记未完成：登记码不正确，或连接被拦截（对方的证书不是县里服务器的）。"
        "登记码没有用掉。请核对登记码，换一个可信的网络再试；仍失败请联系县里。",
        "Enrollment did not complete: the code is wrong, or the connection is being "
        "intercepted (the certificate shown is not the county hub's). The code was not used "
        "up. Check the code and try again from a trusted network; if it still fails, contact "
        "the county.",
    )
    retryable: ClassVar[bool] = False


class InsecureHubAddress(SyncError):
    """A plain http:// hub address that is not this computer, without --insecure-http."""

    message = Text(
        "县里服务器地址必须以 https:// 开头（http:// 只允许本机地址）。"
        "仅在实验室中可加 --insecure-http 登记。",
        "The county hub's address must start with https:// (http:// only to this computer). "
        "Only in a lab may kiosk enroll be given --insecure-http.",
    )
    retryable: ClassVar[bool] = False
