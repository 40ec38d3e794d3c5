"""Bank accounts are masked on the operator's screens like ID numbers: the detail view (the
record and its amendments) shows the last four until the operator reveals on purpose, and
the reveal is audited."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kiosk.context import KioskContext
from kiosk.operators import Operator
from kiosk.printing import SaveToFolderPrinter
from kiosk.samples import SAMPLE_BANK_CARD, SAMPLE_FIELDS, make_id_number
from tests.ui.helpers import all_text
from ui.i18n import I18n
from ui.operator.detail import DetailView

RESIDENT = {
    "id_number": make_id_number("110105", "19491231", "002"),
    "name": "王秀英",
    "phone": "13812345678",
}


def test_operator_detail_masks_bank_accounts_until_revealed(
    qtbot: Any, ui_app: Any, station: Any, tmp_path: Path
) -> None:
    app = station.file("temp_relief", RESIDENT, SAMPLE_FIELDS["temp_relief"])
    station.store.add_amendment(
        app.uuid, note="换了卡", fields={"bank_account": "6228480000000000017"}, operator="op1"
    )
    context = KioskContext(station=station, printer=SaveToFolderPrinter(tmp_path / "r"))
    view = DetailView(context, I18n("zh"), Operator("op1", "李小红"))
    qtbot.addWidget(view)
    view.show_application(app.uuid)
    text = all_text(view)
    assert SAMPLE_BANK_CARD not in text and "6228480000000000017" not in text
    assert "*" * 12 + SAMPLE_BANK_CARD[-4:] in text and "0017" in text
    assert RESIDENT["id_number"] not in text
    assert not any(a["action"] == "resident.reveal" for a in station.store.audit_log())

    view.reveal()  # on purpose, and written down
    text = all_text(view)
    assert SAMPLE_BANK_CARD in text and "6228480000000000017" in text
    assert RESIDENT["id_number"] in text
    assert ("resident.reveal", "op1") in [
        (a["action"], a["operator"]) for a in station.store.audit_log()
    ]
