"""Document previews on the hub: an attachment may name a small preview of itself, which is
uploaded through the same resumable PATCH as any blob, listed before every full attachment,
served to staff under exactly the attachment's department scoping, and shown on the
application page while the full page is still on its way.  Older kiosks send no preview."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from tests.county.conftest import Hub, app_record, attachment
from tests.county.test_blobs import _patch
from vocab.limits import PREVIEW_MAX_BYTES

FULL = b"RIFF\x00\x00\x00\x00WEBPVP8 " + b"full-page-of-a-hukou" * 400
"""A fake full document page (WebP magic, so the hub serves it as an image)."""
PREVIEW = b"RIFF\x00\x00\x00\x00WEBPVP8 " + b"small-preview" * 60


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def page(full: bytes = FULL, preview: bytes | None = PREVIEW) -> dict[str, Any]:
    """An attachment ref of a photographed page (WebP), with its preview when given."""
    ref = attachment(full, "hukou_photo") | {"mime": "image/webp", "filename": "户口簿.webp"}
    if preview is not None:
        ref["preview"] = {"sha256": sha(preview), "size": len(preview), "mime": "image/webp"}
    return ref


def upload(hub: Hub, token: str, data: bytes, offset: int = 0, end: int | None = None) -> Any:
    """PATCH ``data[offset:end]`` at ``offset`` (the whole rest by default)."""
    return _patch(hub, token, sha(data), offset, len(data), data[offset:end])


def test_previews_are_listed_before_every_full_attachment(hub: Hub) -> None:
    token = hub.enroll("S01")
    first_full, second_full = FULL + b"1", FULL + b"2"
    first_preview, second_preview = PREVIEW + b"1", PREVIEW + b"2"
    apps = [
        app_record(attachments=[page(first_full, first_preview)]),
        app_record(attachments=[page(second_full, second_preview)]),
    ]
    r = hub.push(token, apps)
    assert r.status_code == 200, r.text
    assert r.json()["missing_blobs"] == [
        sha(first_preview),
        sha(second_preview),
        sha(first_full),
        sha(second_full),
    ]
    # the preview goes through the same resumable path: in two pieces, then it is whole
    half = len(first_preview) // 2
    assert upload(hub, token, first_preview, 0, half).json()["complete"] is False
    done = upload(hub, token, first_preview, half)
    assert done.status_code == 200 and done.json()["complete"] is True
    again = hub.push(token, apps).json()  # re-sent: only what is still missing
    assert again["missing_blobs"] == [sha(second_preview), sha(first_full), sha(second_full)]


def test_an_older_kiosk_without_previews_is_accepted_as_before(hub: Hub) -> None:
    token = hub.enroll("S01")
    old = app_record(attachments=[page(preview=None)])
    assert "preview" not in json.dumps(old)
    r = hub.push(token, [old])
    assert r.status_code == 200 and r.json()["results"][0]["result"] == "stored"
    assert r.json()["missing_blobs"] == [sha(FULL)]
    assert upload(hub, token, FULL).json()["complete"] is True
    admin = hub.console("管理员", "admin")
    html = admin.get(f"/app/{old['tracking_no']}").text
    assert f"/v1/staff/blobs/{sha(FULL)}" in html and "预览图" not in html
    states = admin.get(f"/app/{old['tracking_no']}/documents").json()["documents"]
    assert states == [{"sha256": sha(FULL), "complete": True, "percent": 100, "preview": None}]


def test_a_preview_is_bounded_and_must_be_referenced_with_its_size(hub: Hub) -> None:
    token = hub.enroll("S01")
    huge = page() | {"preview": {"sha256": sha(b"x"), "size": PREVIEW_MAX_BYTES + 1, "mime": "a"}}
    r = hub.push(token, [app_record(attachments=[huge])])
    assert r.status_code == 422 and r.json()["error"] == "invalid"
    assert hub.count() == 0  # nothing stored
    assert hub.push(token, [app_record(attachments=[page()])]).status_code == 200
    wrong = _patch(hub, token, sha(PREVIEW), 0, len(PREVIEW) + 1, PREVIEW + b"!")
    assert wrong.status_code == 422 and wrong.json()["error"] == "length_mismatch"
    other = hub.enroll("S02")  # another station's kiosk references no such preview
    refused = upload(hub, other, PREVIEW)
    assert refused.status_code == 403 and refused.json()["error"] == "not_referenced"


def test_a_medical_clerk_cannot_fetch_a_dibao_preview(hub: Hub) -> None:
    hub.publish_shipped_catalog()
    token = hub.enroll("S01")
    dibao = app_record(service="dibao", name="甲某", attachments=[page()])
    medical = app_record(service="medical_insurance", name="乙某")
    assert hub.push(token, [dibao, medical]).status_code == 200
    assert upload(hub, token, PREVIEW).json()["complete"] is True
    clerk = hub.console("医保科员", "clerk", ("yibao",))
    assert clerk.get(f"/v1/staff/blobs/{sha(PREVIEW)}").status_code == 404
    assert clerk.get(f"/app/{dibao['tracking_no']}/documents").status_code == 404
    key = hub.staff_key("医保脚本", "clerk", ("yibao",))
    assert hub.request("GET", f"/v1/staff/blobs/{sha(PREVIEW)}", key).status_code == 404
    civil = hub.console("民政科员", "clerk", ("minzheng",))
    got = civil.get(f"/v1/staff/blobs/{sha(PREVIEW)}")
    assert got.status_code == 200 and got.content == PREVIEW
    assert got.headers["content-type"] == "image/webp"


def test_the_page_shows_the_preview_until_the_full_page_is_whole(hub: Hub) -> None:
    token = hub.enroll("S01")
    app = app_record(attachments=[page()])
    assert hub.push(token, [app]).status_code == 200
    admin = hub.console("管理员", "admin")
    path = f"/app/{app['tracking_no']}"
    html = admin.get(path).text  # nothing here yet: no broken image, the percent
    assert "上传中" in html and "<img" not in html.split('id="viewer"')[0]
    assert upload(hub, token, PREVIEW).json()["complete"] is True
    cut = len(FULL) * 62 // 100 + 1
    assert upload(hub, token, FULL, 0, cut).json()["complete"] is False
    html = admin.get(path).text
    assert f'<img src="/v1/staff/blobs/{sha(PREVIEW)}"' in html
    assert '预览图，完整图片上传中 <b class="pct">62</b>%' in html
    assert 'Preview — full image still uploading, <b class="pct">62</b>%' in html
    assert f'data-full="/v1/staff/blobs/{sha(FULL)}"' in html
    states = admin.get(f"{path}/documents").json()["documents"]
    assert states == [
        {"sha256": sha(FULL), "complete": False, "percent": 62, "preview": sha(PREVIEW)}
    ]
    assert upload(hub, token, FULL, cut).json()["complete"] is True
    html = admin.get(path).text
    assert f'<img src="/v1/staff/blobs/{sha(FULL)}"' in html and "预览图" not in html
    assert admin.get(f"{path}/documents").json()["documents"][0]["complete"] is True


def test_the_share_shown_counts_a_page_still_streaming_in(hub: Hub) -> None:
    """The percent beside a preview moves while one PATCH is still arriving (the folder
    store's live count), not only when a request ends."""
    import threading
    import time

    from tests.sync.proxy import FaultProxy

    token = hub.enroll("S01")
    app = app_record(attachments=[page()])
    assert hub.push(token, [app]).status_code == 200
    assert upload(hub, token, PREVIEW).json()["complete"] is True
    admin = hub.console("管理员", "admin")
    path = f"/app/{app['tracking_no']}/documents"
    answers: list[Any] = []
    with FaultProxy(hub.url, rate=len(FULL) / 4, rtt=0.05) as proxy:  # the page takes ~4 s

        def send() -> None:
            answers.append(
                hub.http.patch(
                    proxy.url + f"/v1/blobs/{sha(FULL)}",
                    data=FULL,
                    headers={
                        "X-Kiosk-Protocol": "1",
                        "Authorization": f"Bearer {token}",
                        "Upload-Offset": "0",
                        "Upload-Length": str(len(FULL)),
                        "Content-Type": "application/offset+octet-stream",
                    },
                    timeout=60,
                )
            )

        sender = threading.Thread(target=send)
        sender.start()
        seen: set[int] = set()
        deadline = time.monotonic() + 30
        while sender.is_alive() and time.monotonic() < deadline:
            state = admin.get(path).json()["documents"][0]
            if not state["complete"]:
                seen.add(state["percent"])
            time.sleep(0.2)
        sender.join(60)
    assert answers and answers[0].status_code == 200 and answers[0].json()["complete"]
    assert any(0 < p < 100 for p in seen), seen  # part of the page, while it arrived
    assert admin.get(path).json()["documents"][0] == {
        "sha256": sha(FULL),
        "complete": True,
        "percent": 100,
        "preview": sha(PREVIEW),
    }
