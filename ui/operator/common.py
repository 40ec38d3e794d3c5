"""Small helpers shared by the operator screens (no logic of their own)."""

from __future__ import annotations

from PySide6.QtGui import QFont
from PySide6.QtWidgets import QLabel, QWidget

from kiosk.station import Station
from vocab.text import Text


def service_name(station: Station, code: str) -> Text:
    """A service's name from the catalog; the bare code if the catalog no longer has it."""
    try:
        return station.service(code).name
    except KeyError:
        return Text(code, code)


def human_size(n: float) -> str:
    """1234567 -> "1.2 MB" (decimal units, as a stick's box prints them)."""
    for unit, step in (("GB", 1_000_000_000), ("MB", 1_000_000), ("KB", 1000)):
        if n >= step:
            return f"{n / step:.1f} {unit}"
    return f"{n:.0f} B"


def heading(text: str = "", parent: QWidget | None = None) -> QLabel:
    label = QLabel(text, parent)
    font = QFont(label.font())
    font.setPointSizeF(font.pointSizeF() * 1.4)
    font.setBold(True)
    label.setFont(font)
    return label


def message_label(parent: QWidget | None = None) -> QLabel:
    """A wrapping label for plain-words messages (errors say what to do)."""
    label = QLabel(parent)
    label.setWordWrap(True)
    label.setTextInteractionFlags(label.textInteractionFlags())
    return label


def set_error(label: QLabel, text: str | None, *, ok: bool = False) -> None:
    label.setText(text or "")
    label.setVisible(bool(text))
    label.setStyleSheet("color: #1b5e20;" if ok else "color: #b71c1c;")


def upload_error_words(reason: str) -> Text:
    """Why the last upload of a record failed, in plain words (the stored reason is a code
    for the log: "link: ConnectionError", "hub: HTTP 503", "rejected: …")."""
    if reason.startswith("link:"):
        return Text(
            "连不上县平台（网络断了或县里服务器没开），有网后会自动重试。",
            "Could not reach the county hub (no network, or the hub is down); it retries "
            "by itself once the link is back.",
        )
    if reason.startswith("rejected:"):
        why = reason.removeprefix("rejected:").strip()
        return Text(
            f"县平台没有接收这条申请（{why}），请联系县里。",
            f"The county hub refused this application ({why}); please contact the county.",
        )
    return Text(
        "县平台暂时没有接收，会自动重试。",
        "The county hub did not take it just now; it retries by itself.",
    )
