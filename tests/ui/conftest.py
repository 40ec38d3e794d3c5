"""Fixtures for the GUI tests: a real station in tmp_path, a KioskContext whose printer saves
PDFs to a folder, the I18n, and the main window under pytest-qt (offscreen)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kiosk.context import KioskContext
from kiosk.printing import SaveToFolderPrinter
from kiosk.samples import make_id_number

ADMIN_PIN = "4321"


@pytest.fixture(scope="session")
def qapp_args() -> list[str]:
    return ["kiosk-tests"]


@pytest.fixture
def ui_app(qapp: Any) -> Any:
    from ui.app import make_app

    return make_app()


@pytest.fixture
def receipts_dir(tmp_path: Path) -> Path:
    return tmp_path / "receipts"


@pytest.fixture
def context(station: Any, receipts_dir: Path) -> KioskContext:
    station.store.add_operator("admin", "李站长", ADMIN_PIN, role="admin")
    # no camera unless a test hands one in (extras["frames"]) and the system beep for the
    # chime: no probing of the machine's cameras and sound outputs
    return KioskContext(
        station=station,
        printer=SaveToFolderPrinter(receipts_dir),
        extras={"frames": None, "sound": False},
    )


@pytest.fixture
def i18n(ui_app: Any) -> Any:
    from ui.i18n import I18n

    return I18n("zh")


@pytest.fixture
def window(qtbot: Any, context: KioskContext, i18n: Any) -> Iterator[Any]:
    """The main window, 1920x1080-ish, with a short idle timeout available via `make_window`."""
    from ui.main_window import MainWindow

    w = MainWindow(context, i18n, hold_ms=200)
    qtbot.addWidget(w)
    w.resize(1600, 1000)
    w.show()
    qtbot.waitExposed(w)
    yield w
    w.close()


@pytest.fixture
def known_resident(station: Any) -> dict[str, str]:
    """A resident who filed before: the store holds the profile."""
    from kiosk.samples import SAMPLE_FIELDS

    resident = {
        "id_number": make_id_number("110105", "19491231", "002"),
        "name": "王秀英",
        "phone": "13812345678",
        "address": "柳溪村3组12号",
    }
    station.file("temp_relief", resident, SAMPLE_FIELDS["temp_relief"])
    return resident
