"""The kiosk's settings: environment first, then the station's stored settings, then defaults.

Typed, checked once at start-up (a bad value fails fast with a message naming the variable),
and secrets never appear here: the device token lives in the OS keychain (kiosk.credentials).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields
from datetime import tzinfo
from pathlib import Path
from typing import Any

from kiosk import localtime
from vocab.errors import UserError
from vocab.text import Text

APP_NAME = "village-kiosk"


class SettingsError(UserError, ValueError):
    """A setting has a value we cannot use; the message names it and what is allowed."""

    def __init__(self, message: Text, *, detail: str = "") -> None:
        super().__init__(message, detail=detail)


def default_data_dir() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir(APP_NAME, appauthor=False))


def resolve_data_dir(cli_value: str | Path | None = None) -> Path:
    """`--data-dir`, else KIOSK_DATA_DIR, else the platform's user data directory."""
    if cli_value:
        return Path(cli_value).expanduser()
    env = os.environ.get("KIOSK_DATA_DIR")
    if env:
        return Path(env).expanduser()
    return default_data_dir()


@dataclass(frozen=True, slots=True)
class Settings:
    """What the station can configure. Field name ↔ env var KIOSK_<NAME upper>."""

    station_code: str | None = None
    station_name: str | None = None
    station_phone: str | None = None
    hub_url: str | None = None
    device_id: str | None = None
    printer: str | None = None  # a Qt/CUPS printer name; None = offer the PDF
    receipt_layout: str = "roll80"
    idle_timeout_s: int = 90
    language: str = "zh"
    large_text: bool = False
    timezone: str | None = None  # IANA name, e.g. Asia/Shanghai; None = the system's zone
    sync_daily_budget: int = 0  # bytes per local day on a metered link; 0 = no budget
    voice_muted: bool = False  # the resident screens never speak ("read aloud" hidden)
    voice_auto_read: bool = False  # read every resident screen aloud as it opens
    tts_engine: str | None = None  # a Qt TextToSpeech engine; None = the first real one
    id_card_reader: str | None = None  # the ID card reader's serial port; None = no reader

    @classmethod
    def load(cls, stored: dict[str, Any], environ: dict[str, str] | None = None) -> Settings:
        environ = dict(os.environ if environ is None else environ)
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw: Any = environ.get("KIOSK_" + f.name.upper())
            if raw is None:
                raw = stored.get(f.name)
            if raw is None:
                continue
            values[f.name] = _coerce(f.name, f.type, raw)
        settings = cls(**values)
        settings.check()
        return settings

    def check(self) -> None:
        if self.receipt_layout not in ("roll80", "a4"):
            raise SettingsError(
                Text(
                    f"回执版式应为 roll80 或 a4，不能是 {self.receipt_layout!r}",
                    f"receipt_layout must be roll80 or a4, not {self.receipt_layout!r}",
                )
            )
        if not 15 <= self.idle_timeout_s <= 3600:
            raise SettingsError(
                Text(
                    f"无操作返回时间应在 15 到 3600 秒之间，不能是 {self.idle_timeout_s}",
                    f"idle_timeout_s must be between 15 and 3600 seconds, "
                    f"not {self.idle_timeout_s}",
                )
            )
        if self.language not in ("zh", "en"):
            raise SettingsError(
                Text(
                    f"语言应为 zh 或 en，不能是 {self.language!r}",
                    f"language must be zh or en, not {self.language!r}",
                )
            )
        if self.hub_url and not self.hub_url.startswith(("http://", "https://")):
            raise SettingsError(
                Text(
                    f"县里服务器地址应以 http:// 或 https:// 开头：{self.hub_url!r}",
                    f"hub_url must start with http:// or https://: {self.hub_url!r}",
                )
            )
        if self.sync_daily_budget < 0:
            raise SettingsError(
                Text(
                    f"每日同步流量上限应为 0（不限）或正数字节，不能是 {self.sync_daily_budget}",
                    f"sync_daily_budget must be 0 (no budget) or a positive number of bytes, "
                    f"not {self.sync_daily_budget}",
                )
            )
        self.zone()

    def zone(self) -> tzinfo:
        """The station's time zone (SettingsError naming the setting if it is unknown)."""
        try:
            return localtime.zone(self.timezone)
        except localtime.BadTimeZone as exc:
            raise SettingsError(exc.message, detail=exc.detail) from exc


def _coerce(name: str, type_name: Any, raw: Any) -> Any:
    t = str(type_name)
    try:
        if t.startswith("int"):
            return int(raw)
        if t.startswith("bool"):
            if isinstance(raw, bool):
                return raw
            return str(raw).strip().lower() in ("1", "true", "yes", "on")
        return str(raw)
    except (TypeError, ValueError) as exc:
        raise SettingsError(
            Text(
                f"设置项 {name}（环境变量 KIOSK_{name.upper()}）的值 {raw!r} 无效",
                f"setting {name} (env KIOSK_{name.upper()}): bad value {raw!r}",
            )
        ) from exc


SETTING_NAMES = tuple(f.name for f in fields(Settings))


class StationNotSetUp(RuntimeError):
    """The store has no station code yet: run `kiosk init --station CODE --name NAME`.

    Here rather than in `kiosk.station` (which re-exports it) so the command line can catch
    it without loading the station's code first."""

    message = Text(
        "本站尚未设置。请运行 kiosk init --station 编码 --name 站名。",
        "This station is not set up yet. Run: kiosk init --station CODE --name NAME",
    )

    def __init__(self) -> None:
        super().__init__(str(self.message))
