"""Test-wide set-up: Qt offscreen, a throwaway keyring, and a fresh station store."""

from __future__ import annotations

import os

# Qt aborts without a display unless told to render offscreen ("Fatal Python error: Aborted").
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PYTHON_KEYRING_BACKEND", "keyrings.alt.file.PlaintextKeyring")
os.environ.setdefault("KIOSK_INSECURE_KEYRING", "1")  # the kiosk refuses that backend otherwise

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture(autouse=True)
def _isolated_env(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No test reads or writes the user's real data dir or keychain."""
    home = tmp_path_factory.mktemp("xdg")
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.delenv("KIOSK_DATA_DIR", raising=False)
    for name in list(os.environ):
        if name.startswith("KIOSK_") and name not in (
            "KIOSK_TEST_PG_URL",
            "KIOSK_CJK_FONT",
            "KIOSK_INSECURE_KEYRING",
        ):
            monkeypatch.delenv(name, raising=False)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "station"


@pytest.fixture
def store(data_dir: Path) -> Iterator[object]:
    from offline.store import Store

    s = Store(data_dir)
    yield s
    s.close()


@pytest.fixture
def station(store: object) -> object:
    from kiosk.station import Station

    st = Station(store)  # type: ignore[arg-type]
    st.init("LX03", "柳溪村便民服务站")
    return st


@pytest.fixture
def receipt(station: Any) -> tuple[str, bytes]:
    """A filed application's tracking number and its receipt PDF."""
    service = station.service("employment_reg")
    app = station.file(
        "employment_reg",
        {"id_number": "11010519491231002X", "name": "张三丰"},
        {
            "reg_type": service.field("reg_type").choices[0].value,
            "change_date": "2024-03-01",
            "education": service.field("education").choices[0].value,
            "wants_training": service.field("wants_training").choices[0].value,
        },
    )
    return app.tracking_no, station.receipt_pdf(app.tracking_no)


@dataclass
class HubDatabase:
    """Where a test hub keeps its data: its database and its attachment store."""

    db_url: str
    blob_store: str  # county.blobstore: "folder" or "postgresql"


@pytest.fixture(
    params=[
        ("sqlite", "folder"),
        pytest.param(("postgresql", "folder"), marks=pytest.mark.postgres),
        pytest.param(("postgresql", "postgresql"), marks=pytest.mark.postgres),
    ],
    ids=["sqlite-folder", "pg-folder", "pg-database"],
)
def hub_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[HubDatabase]:
    """Each database the hub runs on with each attachment store it can use (PostgreSQL's
    only when KIOSK_TEST_PG_URL names a server; a private schema, dropped after)."""
    from county.testing import pg_schema

    kind, blob_store = request.param
    if kind == "sqlite":
        yield HubDatabase(f"sqlite:///{tmp_path / 'hub.db'}", blob_store)
        return
    pg_url = os.environ.get("KIOSK_TEST_PG_URL", "")
    if not pg_url:
        pytest.skip("PostgreSQL tests need KIOSK_TEST_PG_URL (postgresql://…/test)")
    with pg_schema(pg_url) as url:
        yield HubDatabase(url, blob_store)
