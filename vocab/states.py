"""Application states (kept by the kiosk) and county statuses (decided on the hub).

    draft ──finalize──▶ queued ──push acked──▶ uploaded ──county──▶ in_review ──▶ approved |
    rejected | needs_info

A state belongs to the station's copy of an application; a status is the county's word on it
and comes back by pull. Labels are what people read, in both languages.
"""

from __future__ import annotations

from typing import Literal, get_args

from vocab.text import Text

State = Literal["draft", "queued", "uploaded"]
STATES: tuple[State, ...] = get_args(State)

Status = Literal["in_review", "approved", "rejected", "needs_info"]
STATUSES: tuple[Status, ...] = get_args(Status)
FINAL_STATUSES: tuple[Status, ...] = ("approved", "rejected")

STATE_LABELS: dict[str, Text] = {
    "draft": Text("草稿", "Draft"),
    "queued": Text("待上传", "Queued"),
    "uploaded": Text("已上传", "Uploaded"),
}
STATUS_LABELS: dict[str, Text] = {
    "received": Text("县里已收到", "Received by the county"),
    "in_review": Text("审核中", "In review"),
    "approved": Text("已批准", "Approved"),
    "rejected": Text("未批准", "Rejected"),
    "needs_info": Text("需补材料", "Needs documents"),
}


def state_label(state: str) -> Text:
    return STATE_LABELS.get(state, Text(state, state))


def status_label(status: str | None) -> Text:
    if status is None:
        return STATUS_LABELS["received"]
    return STATUS_LABELS.get(status, Text(status, status))


IN_REVIEW: Status = "in_review"
APPROVED: Status = "approved"
REJECTED: Status = "rejected"
NEEDS_INFO: Status = "needs_info"
"""Each status by name, for code that means one of them (the hub's workflow)."""
