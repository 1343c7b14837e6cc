"""Demo pre-examination work: filings (专利预审备案) of the registry's enterprises taken through
registration, submission, correction and the result, and the cases (预审案件) of approved filings
through submission, conclusion, formal application and grant."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from ..catalogs import active_choices
from .codes import random_application_no, random_grant_pub_no
from .corpus import corpus
from .enterprises import Enterprise, stand_in_enterprise
from .people import random_person, weighted
from .run import CLERK, Made, made_created

if TYPE_CHECKING:
    from .run import DemoRun

__all__ = ["case_raw", "filing_raw", "make_cases", "make_filings"]


def make_filings(run: DemoRun, n: int) -> None:
    c = corpus()
    rng = run.rng("preexam_filing")
    pool = sorted(run.enterprises, key=lambda e: (e.industry not in c.preexam_field, rng.random()))
    by_uscc = {m.extra["uscc"]: m for m in run.consultations
               if m.extra["uscc"] and "preexam" in m.extra["topics"]}

    def rows() -> Iterator[tuple[dict[str, Any], Made]]:
        for i in range(n):
            ent = pool[i % len(pool)] if pool else None
            raw, tag = filing_raw(run, rng, i, ent, by_uscc)
            yield raw, Made("", "", tag["day"], tag)

    run.filings.extend(run.create_chunked(
        "preexam_filing", rows(), made_created, lambda m: _advance_filing(run, rng, m)))


def filing_raw(run: DemoRun, rng: random.Random, index: int, ent: Enterprise | None,
               consults: dict[str, Made]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(values for Desk.create, tag) of the `index`-th filing of `ent` (None: a stand-in);
    `consults` maps credit codes to the consultations a filing may name as its source."""
    c = corpus()
    if ent is None:  # only when asked for filings without enterprises (records < 6)
        ent = stand_in_enterprise(rng, "bio", ("生物科技",), invention=1, has_ip_rules=True)
    forced = {0: "approved", 1: "preparing"}  # every demo shows both ends of the flow
    target = forced.get(index) or weighted(rng, (
        ("preparing", 14), ("registered", 8), ("submitted", 10), ("correction", 5),
        ("approved", 52), ("rejected", 5), ("cancelled", 3), ("review", 3)))
    lo, hi = {"preparing": (1, 30), "registered": (4, 30), "submitted": (8, 30),
              "correction": (10, 40)}.get(target, (30, 365))
    day = run.past_day(rng, min_days=lo, max_days=hi)
    fld = c.preexam_field.get(ent.industry, "other")
    contact = ent.contact
    uses_agency = rng.random() < 0.6
    agency = rng.choice(c.agencies)
    statuses = ("received",) * 8 + ("not_needed",)
    materials = []
    for _, label in active_choices("preexam_materials"):
        status = rng.choice(statuses)
        note = None
        if target == "preparing" and rng.random() < 0.35:
            status, note = "missing", "企业正在准备，约定一周内补交"
        materials.append({"item": label, "status": status, "note": note})
    raw: dict[str, Any] = {
        "enterprise_uscc": ent.uscc,
        "enterprise_name": ent.name,
        "county_code": ent.county,
        "field": fld,
        "sub_field": rng.choice(c.sub_fields[fld]),
        "contact_name": contact.name,
        "contact_phone": contact.mobile,
        "invention_patents": max(ent.invention, 1) if rng.random() < 0.9 else ent.invention,
        "utility_patents": ent.utility,
        "design_patents": ent.design,
        "has_ip_rules": ent.has_ip_rules or rng.random() < 0.5,
        "gb29490_certified": ent.gb29490,
        "fee_reduction_done": rng.random() < 0.7,
        "uses_agency": uses_agency,
        "agency_name": agency[0] if uses_agency else None,
        "agency_code": agency[1] if uses_agency else None,
        "agency_on_whitelist": (rng.random() < 0.85) if uses_agency else None,
        "credit_issue_found": target == "rejected" and rng.random() < 0.5,
        "credit_checked_on": min(day + dt.timedelta(days=1), run.today),
        "credit_checked_by": CLERK[1],
        "materials": materials,
        "guided_on": day,
        "key_support": ent.key_support,
    }
    source = consults.get(ent.uscc)
    if source is not None and source.day <= day:
        raw["source_consultation"] = source.receipt
    tag = {"day": day, "target": target, "ent": ent, "contact": contact,
           "agency": agency[0] if uses_agency else None, "field": fld}
    return {k: val for k, val in raw.items() if val is not None}, tag


def _advance_filing(run: DemoRun, rng: random.Random, m: Made) -> None:
    target = m.extra["target"]
    m.extra["status"] = "preparing"
    if target == "preparing":
        return
    if target == "cancelled":
        run.act(CLERK, m.id, "cancel", {"cancel_reason": "企业决定暂不办理预审备案"})
        m.extra["status"] = "cancelled"
        return
    reg = run.later(rng, m.day, 1, 6)
    if reg is None:
        return
    run.act(CLERK, m.id, "register", {"platform_registered_on": reg})
    m.extra["status"] = "registered"
    if target == "registered":
        return
    sub = run.later(rng, reg, 1, 5)
    if sub is None:
        return
    run.act(CLERK, m.id, "submit", {"submitted_on": sub})
    m.extra["status"] = "submitted"
    if target == "submitted":
        return
    if target == "correction" or rng.random() < 0.15:
        back = run.later(rng, sub, 2, 6)
        if back is None:
            return
        run.act(CLERK, m.id, "request_correction", {
            "correction_deadline": run.cal.add_workdays(back, 10),
            "correction_note": "备案申请表未加盖公章，社保证明缺少研发人员，请补正后重新提交。",
        })
        m.extra["status"] = "correction"
        if target == "correction":
            return
        sub = run.later(rng, back, 2, 8)
        if sub is None:
            return
        run.act(CLERK, m.id, "submit", {"submitted_on": sub})
        m.extra["status"] = "submitted"
    result = run.later(rng, sub, 3, 12)
    if result is None:
        return
    if target == "rejected":
        run.act(CLERK, m.id, "reject", {
            "result_on": result,
            "result_reason": rng.choice(("近两年存在非正常专利申请记录",
                                         "无以第一申请人拥有的有效发明专利，不符合备案主体条件")),
        })
        m.extra["status"] = "rejected"
        return
    valid = dt.date(result.year + 3, result.month, min(result.day, 28))
    run.act(CLERK, m.id, "approve", {"result_on": result, "valid_until": valid})
    m.extra.update(status="approved", approved_on=result)
    if target == "review" and run.later(rng, result, 30, 90):
        run.act(CLERK, m.id, "start_review")
        m.extra["status"] = "review"

# --- pre-examination cases ----------------------------------------------------------------------
def make_cases(run: DemoRun, n: int) -> None:
    rng = run.rng("preexam_case")
    approved = [m for m in run.filings if m.extra.get("approved_on")]
    pool = approved or run.filings

    def rows() -> Iterator[tuple[dict[str, Any], Made]]:
        for i in range(n):
            raw, tag = case_raw(run, rng, i, rng.choice(pool))
            yield raw, Made("", "", tag["day"], tag)

    run.cases.extend(run.create_chunked(
        "preexam_case", rows(), made_created, lambda m: _advance_case(run, rng, m)))


def case_raw(run: DemoRun, rng: random.Random, index: int,
             filing: Made) -> tuple[dict[str, Any], dict[str, Any]]:
    c = corpus()
    ent: Enterprise = filing.extra["ent"]
    fld = filing.extra["field"]
    ptype = "invention" if rng.random() < 0.6 else "utility"
    title, ipc, extra, tech = rng.choice(c.cases[(fld, ptype)])
    base = filing.extra.get("approved_on") or filing.day
    inventors = "、".join(random_person(rng).name for _ in range(rng.randint(1, 4)))
    raw: dict[str, Any] = {
        "filing_no": filing.receipt,
        "applicant_name": ent.name,
        "applicant_uscc": ent.uscc,
        "patent_type": ptype,
        "title": title,
        "ipc_main": ipc,
        "ipc_extra": extra or None,
        "tech_field": tech,
        "inventors": inventors,
        "agency_name": filing.extra["agency"],
        "contact_name": filing.extra["contact"].name,
        "contact_phone": filing.extra["contact"].mobile,
    }
    if ptype == "invention" and fld != "other" and rng.random() < 0.2:
        raw["high_value"] = ["strategic"]
    forced = {0: "filed", 1: "submitted"}
    target = forced.get(index) or weighted(rng, (
        ("registered", 10), ("submitted", 14), ("qualified", 14), ("unqualified", 5),
        ("withdrawn", 3), ("filed", 27), ("granted", 27)))
    tag = {"day": base, "target": target, "type": ptype}
    return {k: val for k, val in raw.items() if val is not None}, tag


def _advance_case(run: DemoRun, rng: random.Random, m: Made) -> None:
    target = m.extra["target"]
    if target == "registered":
        return
    if target == "withdrawn":
        run.act(CLERK, m.id, "withdraw", {"conclusion_reason": "申请人主动撤回预审请求"})
        return
    recent = {"submitted": (2, 20), "qualified": (15, 45)}.get(target)
    sub: dt.date | None
    if recent:  # still open: submitted lately, whenever the filing was approved
        sub = max(run.past_day(rng, min_days=recent[0], max_days=recent[1]), m.day)
    else:
        sub = run.later(rng, m.day, 0, 60)
    if sub is None:
        return
    run.act(CLERK, m.id, "submit", {
        "submitted_on": sub, "center_case_no": f"NMYS{sub.year}{rng.randrange(1, 10**5):05d}"})
    m.day = sub
    if target == "submitted":
        return
    concluded = run.later(rng, sub, 3, 14)
    if concluded is None:
        return
    if target == "unqualified":
        run.act(CLERK, m.id, "disqualify", {
            "concluded_on": concluded,
            "conclusion_reason": rng.choice(("主分类号不在保护中心预审服务领域范围内",
                                             "权利要求书存在明显撰写缺陷，不符合预审要求")),
        })
        return
    run.act(CLERK, m.id, "qualify", {"concluded_on": concluded})
    if target == "qualified":
        return
    filed = run.later(rng, concluded, 1, 10)
    if filed is None:
        return
    ptype = m.extra["type"]
    run.act(CLERK, m.id, "file", {
        "filed_on": filed, "application_no": random_application_no(rng, filed.year, ptype),
        "consistency": "consistent",
    })
    if target == "filed":
        return
    lo, hi = (100, 220) if ptype == "invention" else (20, 45)
    granted = run.later(rng, filed, lo, hi)
    if granted is None:
        return
    run.act(CLERK, m.id, "grant", {"grant_pub_no": random_grant_pub_no(rng, ptype),
                                    "granted_on": granted})
