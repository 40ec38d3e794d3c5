"""The catalog page: validation by the kiosk's rules (errors in Chinese and English change
nothing), the structured diff, confirmation, CSRF, admins only, audit, the CLI's path."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from county import db
from county.cli import main
from county.queries import catalogs
from tests.county.conftest import CATALOG, Hub


def _shipped(version: int) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(CATALOG.read_text(encoding="utf-8"))
    body["version"] = version
    return body


def _text(body: dict[str, Any]) -> str:
    return json.dumps(body, ensure_ascii=False)


@pytest.mark.parametrize(
    ("text", "expect"),
    [
        ("{not json", "不是有效的 JSON"),
        ("[1, 2]", "应为一个 JSON 对象"),
        ('{"version": 2, "services": []}', "业务目录格式有误"),
        ('{"version": 2, "services": [{"code": 1}]}', "services[0].code"),
    ],
)
def test_a_bad_catalog_is_refused_in_both_languages_and_changes_nothing(
    hub: Hub, text: str, expect: str
) -> None:
    hub.publish_shipped_catalog(1)
    admin = hub.console()
    for path, extra in (("/catalog/preview", {}), ("/catalog/publish", {"confirm": "1"})):
        r = admin.post(path, {"catalog": text, **extra})
        assert r.status_code == 422, r.text
        assert expect in r.text
        assert "malformed" in r.text or "JSON" in r.text  # the English half
        assert text.replace('"', "&#34;")[:10] in r.text  # what was typed is kept to fix
    assert hub.store.latest_catalog_version() == 1
    assert not [e for e in hub.store.audit_entries(action="catalog_publish")]


def test_a_field_the_kiosk_would_refuse_is_refused_by_the_hub(hub: Hub) -> None:
    hub.publish_shipped_catalog(1)
    body = _shipped(2)
    body["services"][0]["fields"][0]["type"] = "colour"
    r = hub.console().post("/catalog/preview", {"catalog": _text(body)})
    assert r.status_code == 422 and "unknown field type" in r.text
    assert hub.store.latest_catalog_version() == 1


def test_an_old_version_number_is_refused_with_the_next_one_to_use(hub: Hub) -> None:
    hub.publish_shipped_catalog(3)
    admin = hub.console()
    r = admin.post("/catalog/preview", {"catalog": _text(_shipped(3))})
    assert r.status_code == 409 and "请改为 4" in r.text
    r = admin.post("/catalog/publish", {"catalog": _text(_shipped(2)), "confirm": "1"})
    assert r.status_code == 409
    assert hub.store.latest_catalog_version() == 3


def test_preview_shows_a_structured_diff_then_publish_after_confirmation(hub: Hub) -> None:
    hub.publish_shipped_catalog(1)
    body = _shipped(2)
    dibao = body["services"][0]
    dibao["processing_days"] = 45
    dibao["fields"][0]["label"] = {"zh": "共同生活的家庭人数", "en": "Household members"}
    dibao["fields"].append(
        {
            "name": "test_extra",
            "type": "text",
            "required": True,
            "label": {"zh": "测试项", "en": "T"},
        }
    )
    removed = body["services"].pop()
    admin = hub.console()
    r = admin.post("/catalog/preview", {"catalog": _text(body)})
    assert r.status_code == 200, r.text
    assert "删除 removed" in r.text and removed["name"]["zh"] in r.text
    assert "办理时限（天）Processing days" in r.text and ">45<" in r.text
    assert "共同生活的家庭人数" in r.text and "测试项" in r.text
    assert hub.store.latest_catalog_version() == 1  # a preview publishes nothing
    r = admin.post("/catalog/publish", {"catalog": _text(body)})  # not confirmed
    assert r.status_code == 422 and hub.store.latest_catalog_version() == 1
    r = admin.post("/catalog/publish", {"catalog": _text(body), "confirm": "1"})
    assert r.status_code == 200 and "已发布第 2 版" in r.text
    assert hub.store.latest_catalog_version() == 2
    (entry,) = hub.store.audit_entries(action="catalog_publish")
    assert entry["actor"] == "王科长" and entry["target"] == "v2"
    assert entry["detail"]["previous"] == 1


def test_diff_lists_services_and_fields_added_removed_and_changed() -> None:
    old = _shipped(1)
    new = copy.deepcopy(old)
    new["version"] = 2
    gone = new["services"].pop(1)
    extra = copy.deepcopy(new["services"][0])
    extra["code"] = "test_service"
    extra["name"] = {"zh": "测试事项", "en": "Test service"}
    new["services"].append(extra)
    first = new["services"][0]
    first["processing_days"] = old["services"][0]["processing_days"] + 5
    dropped = first["fields"].pop(0)
    changed = first["fields"][0]
    changed["required"] = not changed.get("required", False)
    d = catalogs.diff(old, new)
    assert [s["code"] for s in d["added"]] == ["test_service"]
    assert d["added"][0]["department"] == "minzheng"
    assert [s["code"] for s in d["removed"]] == [gone["code"]]
    (svc,) = d["changed"]
    assert svc["code"] == first["code"]
    assert [c["key"] for c in svc["changes"]] == ["processing_days"]
    assert [f["name"] for f in svc["fields_removed"]] == [dropped["name"]]
    (fc,) = svc["fields_changed"]
    assert fc["name"] == changed["name"] and [c["key"] for c in fc["changes"]] == ["required"]
    assert d["unchanged"] == len(old["services"]) - 2 and not d["empty"]
    assert catalogs.diff(old, {**old, "version": 2})["empty"]
    assert catalogs.diff(None, old)["added"] and catalogs.diff(None, old)["old_version"] is None


def test_clerks_see_the_catalog_but_cannot_publish(hub: Hub) -> None:
    hub.publish_shipped_catalog(1)
    clerk = hub.console("测试科员", "clerk", ("minzheng",))
    page = clerk.get("/catalog")
    assert page.status_code == 200 and "current-version" in page.text
    assert "/catalog/preview" not in page.text
    for path in ("/catalog/preview", "/catalog/publish"):
        r = clerk.post(path, {"catalog": _text(_shipped(2)), "confirm": "1"})
        assert r.status_code == 403
    assert hub.store.latest_catalog_version() == 1


def test_publishing_needs_the_csrf_token_and_a_session(hub: Hub) -> None:
    hub.publish_shipped_catalog(1)
    admin = hub.console()
    admin.get("/catalog")
    r = admin.http.post(
        admin.url + "/catalog/publish",
        data={"csrf": "forged", "catalog": _text(_shipped(2)), "confirm": "1"},
        headers={"Origin": admin.url},
        timeout=30,
    )
    assert r.status_code == 403
    assert hub.store.latest_catalog_version() == 1


def test_the_cli_publishes_through_the_same_checks_and_is_audited(
    hub: Hub, tmp_path: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    db_args = ["--db", hub.db_url]
    bad = tmp_path / "bad.json"
    bad.write_text('{"version": 2, "services": []}', encoding="utf-8")
    assert main([*db_args, "catalog", "publish", str(bad)]) != 0
    assert "业务目录格式有误" in capsys.readouterr().err
    good = tmp_path / "good.json"
    good.write_text(_text(_shipped(2)), encoding="utf-8")
    assert main([*db_args, "catalog", "publish", str(good)]) == 0
    assert hub.store.latest_catalog_version() == 2
    (entry,) = hub.store.audit_entries(action="catalog_publish")
    assert entry["actor_kind"] == "cli"


def test_a_station_s_reported_version_is_stored_once_per_change(hub: Hub) -> None:
    hub.publish_shipped_catalog(2)
    token = hub.enroll("S07")
    for _ in range(2):
        assert hub.request("GET", "/v1/pull?catalog_version=1", token).status_code == 200
    with db.read_tx(hub.store.engine) as conn:
        (row,) = catalogs.station_versions(conn)
    assert (row["station"], row["version"]) == ("S07", 1)
    hub.request("GET", "/v1/pull?catalog_version=2", token)
    with db.read_tx(hub.store.engine) as conn:
        (row,) = catalogs.station_versions(conn)
    assert row["version"] == 2
    page = hub.console().get("/catalog").text
    assert "S07" in page and "当前 current" in page
