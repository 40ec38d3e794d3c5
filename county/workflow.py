"""The county's workflow on one application: which status may follow which, what is open and
what is final, and the words a decision sends to the station.

    received ─▶ in_review ─▶ approved | rejected | needs_info
    needs_info ─(the station adds documents)─▶ amended ─▶ in_review

A final decision (approved, rejected) may be changed only with a reason, which the history
keeps.  ``received`` and ``amended`` are the hub's own words for "nobody decided yet" and
"documents came back"; they never travel to a station (they are not `vocab.states.Status`).
"""

from __future__ import annotations

from vocab.states import (
    APPROVED,
    FINAL_STATUSES,
    IN_REVIEW,
    NEEDS_INFO,
    REJECTED,
    STATUSES,
    Status,
    status_label,
)
from vocab.text import Text

RECEIVED = "received"
AMENDED = "amended"
QUEUE_STATUSES: tuple[str, ...] = (RECEIVED, IN_REVIEW, NEEDS_INFO, AMENDED, *FINAL_STATUSES)
"""Every status an application may have on the hub, in workflow order."""
OPEN_STATUSES: tuple[str, ...] = (RECEIVED, IN_REVIEW, AMENDED)
"""The county's clock runs: someone at the county must act (deadlines apply)."""
WAITING_STATUSES: tuple[str, ...] = (NEEDS_INFO,)
"""The resident must act: the deadline does not run out while they gather documents."""
UNDECIDED: tuple[str, ...] = (*OPEN_STATUSES, *WAITING_STATUSES)
"""Not finally decided (what "still open" means for a resident's other applications)."""

NEXT: dict[str, tuple[Status, ...]] = {
    RECEIVED: (IN_REVIEW, NEEDS_INFO),
    AMENDED: (IN_REVIEW, NEEDS_INFO),
    IN_REVIEW: (APPROVED, REJECTED, NEEDS_INFO),
    NEEDS_INFO: (IN_REVIEW,),
    APPROVED: STATUSES,
    REJECTED: STATUSES,
}
"""What may follow each status; from a final one, anything, with a reason (`needs_reason`)."""

_HUB_LABELS = {AMENDED: Text("已补材料待审", "Documents added, to review")}

REVIEW_RIGHT = Text(
    "如对本决定不服，可以自收到本决定之日起六十日内依法申请行政复议，"
    "或者六个月内依法向人民法院提起行政诉讼。",
    "If you disagree with this decision you may apply for administrative review within 60 days "
    "of receiving it, or bring an administrative lawsuit in a people's court within six months.",
)
"""The resident's right to administrative review, stated with every rejection."""

COMMON_REJECT_REASONS: tuple[str, ...] = (
    "申请人不符合该事项的申请条件",
    "所提交材料经核实与实际情况不符",
    "申请人已享受同类待遇，不能重复享受",
)
REJECT_REASONS: dict[str, tuple[str, ...]] = {
    "dibao": (
        "家庭月人均收入高于当地最低生活保障标准",
        "家庭财产状况不符合最低生活保障条件",
        "共同生活的家庭成员拒绝配合家庭经济状况核查",
    ),
    "temp_relief": ("困难情形不属于临时救助范围", "同一困难事由已在规定期限内获得救助"),
    "disability_subsidy": ("未持有第二代残疾人证或残疾等级不符合补贴条件",),
    "medical_insurance": ("已在其他地区参加基本医疗保险", "不在本年度集中参保期内且不属于特殊情形"),
    "pension_cert": ("未达到领取待遇的年龄或缴费年限",),
    "elderly_allowance": ("未达到高龄津贴发放年龄",),
    "household_cert": ("户籍信息与所证明事项不一致",),
    "employment_reg": ("登记信息与社保参保记录不一致",),
}
"""Rejection reasons a clerk ticks, per service (plus the common ones and free text)."""


def status_text(status: str | None) -> Text:
    """Both languages' label of a hub status (vocab.states, plus the hub's own ``amended``)."""
    if status in _HUB_LABELS:
        return _HUB_LABELS[status]
    return status_label(status)


def allowed(current: str) -> tuple[Status, ...]:
    """The statuses a clerk may set next."""
    return NEXT.get(current, ())


def needs_reason(current: str) -> bool:
    """Changing ``current`` needs a stated reason (it is a final decision)."""
    return current in FINAL_STATUSES


def reject_reasons(service_code: str) -> tuple[str, ...]:
    return REJECT_REASONS.get(service_code, ()) + COMMON_REJECT_REASONS


def station_note(
    status: str,
    note: str | None,
    items: list[str] | None = None,
    reasons: list[str] | None = None,
) -> str | None:
    """The note the station shows and prints: a needs_info notice lists every item once
    (一次性告知), a rejection states its reasons and the right to administrative review."""
    parts: list[str] = []
    if status == NEEDS_INFO and items:
        listed = "；".join(f"{i}. {t}" for i, t in enumerate(items, 1))
        parts.append("请一次性补齐以下材料：" + listed)
    if status == REJECTED and reasons:
        parts.append("不予批准的理由：" + "；".join(reasons))
    if note:
        parts.append(note)
    if status == REJECTED:
        parts.append(REVIEW_RIGHT.zh)
    return "\n".join(parts) or None
