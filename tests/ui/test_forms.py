"""The resident's form fits the answers given: a field that does not apply is not shown and a
page of such fields is skipped (both screens follow `kiosk.filing`); help for jargon shows
under the label; 不办了 asks first."""

from __future__ import annotations

from typing import Any

from kiosk.samples import make_id_number
from tests.ui.helpers import button, tap, tap_keys, type_text, visible_text

ID = make_id_number("430124", "19560312", "021")


def _start(qtbot: Any, window: Any, service: str) -> Any:
    tap(qtbot, window.home.start_tile)
    tap(qtbot, window.picker.tiles[service])
    assert window.current_screen() == "form"
    form = window.form
    tap_keys(qtbot, form.pages.currentWidget(), ID)
    type_text(qtbot, form.editors["name"].edit, "测试一")
    tap(qtbot, form.next_button)
    assert form.page == 1
    return form


def test_a_page_that_does_not_apply_is_skipped_and_comes_back(qtbot: Any, window: Any) -> None:
    form = _start(qtbot, window, "medical_insurance")
    place = form._page_of["previous_place"]
    assert "第 2 步" in form.subtitle.text()
    tap(qtbot, button(form, "choice_enrol_type_renew"))
    total_renew = len(form.applying_pages())
    assert f"共 {total_renew} 步" in form.subtitle.text()
    assert place not in form.applying_pages()
    form.editors["coverage_year"].edit.setFocus()
    tap_keys(qtbot, form.pages.currentWidget(), "2027")
    tap(qtbot, form.next_button)
    tap(qtbot, button(form, "choice_special_group_none"))
    tap(qtbot, form.next_button)
    assert form.page == form._page_of["hukou_photo"]  # "where insured before" skipped
    tap(qtbot, form.back_button)
    tap(qtbot, form.back_button)
    assert form.page == 1
    tap(qtbot, button(form, "choice_enrol_type_transfer_in"))  # moving in: now it applies
    assert len(form.applying_pages()) == total_renew + 1
    assert f"共 {total_renew + 1} 步" in form.subtitle.text()
    tap(qtbot, form.next_button)
    tap(qtbot, form.next_button)
    assert form.page == place
    assert form.editors["previous_place"].isVisible()
    tap(qtbot, form.next_button)  # required now that it applies
    assert form.page == place
    assert form.editors["previous_place"].error is not None


def test_a_field_that_does_not_apply_is_hidden_on_its_page_and_the_review(
    qtbot: Any, window: Any
) -> None:
    form = _start(qtbot, window, "elderly_allowance")
    tap(qtbot, button(form, "choice_living_status_alone"))
    tap(qtbot, form.next_button)
    tap(qtbot, button(form, "choice_applicant_relation_child"))
    tap(qtbot, form.next_button)
    assert form.editors["agent_phone"].isVisible()
    assert "帮老人办理的人的手机号" in visible_text(form)  # help under the label
    tap(qtbot, form.back_button)
    tap(qtbot, button(form, "choice_applicant_relation_self"))
    tap(qtbot, form.next_button)
    assert not form.editors["agent_phone"].isVisible()
    assert form.editors["bank_account"].isVisible()
    assert "代办人联系电话" not in visible_text(form)


def test_jargon_help_is_shown_under_the_label(qtbot: Any, window: Any) -> None:
    form = _start(qtbot, window, "medical_insurance")
    tap(qtbot, button(form, "choice_enrol_type_new"))
    form.editors["coverage_year"].edit.setFocus()
    tap_keys(qtbot, form.pages.currentWidget(), "2027")
    tap(qtbot, form.next_button)
    editor = form.editors["special_group"]
    assert editor.help_widget.isVisible() and "防返贫监测对象" in editor.help_widget.text()
    assert editor.help_widget.y() > editor.label_widget.y()
    window.i18n.set_lang("en")
    assert "poverty" in editor.help_widget.text()


def test_cancel_asks_first(qtbot: Any, window: Any) -> None:
    form = _start(qtbot, window, "dibao")
    tap(qtbot, form.cancel_button)
    panel = form.cancel_panel
    assert panel.isVisible() and "清除" in panel.question.text()
    assert panel.geometry() == form.rect()  # covers the form: nothing else can be tapped
    assert panel.yes_button.height() >= 64 and panel.no_button.height() >= 64
    tap(qtbot, panel.no_button)  # keep going: nothing lost
    assert window.current_screen() == "form" and form.page == 1
    assert form.filing.get("name") == "测试一"
    tap(qtbot, form.cancel_button)
    tap(qtbot, panel.yes_button)
    assert window.current_screen() == "home"
    assert form.filing.get("name") is None


def test_operator_filing_follows_the_same_condition(qtbot: Any, context: Any, i18n: Any) -> None:
    from kiosk.operators import Operator
    from ui.operator.filing import FilingView

    view = FilingView(context, i18n, Operator("op1", "测试员"))
    qtbot.addWidget(view)
    view.set_service("elderly_allowance")
    phone = view.editors["agent_phone"]

    def shown(w: Any) -> bool:
        return bool(w.isVisibleTo(view))

    assert not shown(phone) and not shown(phone.label_widget)
    assert shown(view.editors["bank_account"])
    view.editors["applicant_relation"].set_value("spouse")
    assert shown(phone) and shown(phone.label_widget)
    view.editors["applicant_relation"].set_value("self")
    assert not shown(phone)


def test_the_id_number_is_shown_grouped(qtbot: Any, window: Any) -> None:
    from ui.resident.application_form import group_typed_id

    assert group_typed_id("43012419560312002") == "430124 1956 0312 002"
    assert group_typed_id("4301") == "4301"
    tap(qtbot, window.home.start_tile)
    tap(qtbot, window.picker.tiles["dibao"])
    form = window.form
    page = form.pages.currentWidget()
    tap_keys(qtbot, page, ID)
    assert form.id_grouped.text() == f"{ID[:6]} {ID[6:10]} {ID[10:14]} {ID[14:17]} {ID[17]}"
