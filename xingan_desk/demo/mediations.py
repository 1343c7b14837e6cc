"""Demo mediations (知识产权纠纷调解): parties (registry enterprises, stand-ins, people with ID
numbers), the dispute, its source, and the way through acceptance, mediation, agreement and
judicial confirmation."""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from .codes import random_application_no, random_id_number
from .corpus import corpus
from .enterprises import Enterprise, stand_in_enterprise
from .people import random_address, random_person, weighted
from .run import MEDIATOR, Made, made_created

if TYPE_CHECKING:
    from .run import DemoRun

__all__ = ["make_mediations", "mediation_raw"]


# the committee's roster (调解员名册): the demo mediator account's person and three more
ROSTER: tuple[dict[str, Any], ...] = (
    {"name": MEDIATOR[1], "gender": "female", "post": "专职调解员", "specialty": "专利侵权纠纷",
     "qualification": "二级人民调解员", "employment": "full", "active": True},
    {"name": "包银山", "gender": "male", "post": "主任", "specialty": "商标、著作权纠纷",
     "qualification": "律师执业资格", "employment": "part", "active": True},
    {"name": "刘海燕", "gender": "female", "post": "委员", "specialty": "专利代理与技术事实查明",
     "qualification": "专利代理师", "employment": "part", "active": True},
    {"name": "吴德力格尔", "gender": "male", "post": "委员", "specialty": "农牧业植物新品种",
     "qualification": "三级人民调解员", "employment": "part", "active": False},
)


def make_roster(run: DemoRun) -> None:
    """The mediator roster (League-wide reference data, not part of the demo's plan; made
    once per store)."""
    if run.desk.counts_by_kind().get("mediator"):
        return
    run.counts.setdefault("mediator", 0)
    rows = iter([(dict(r), None) for r in ROSTER])
    run.create_chunked("mediator", rows)


def make_mediations(run: DemoRun, n: int) -> None:
    rng = run.rng("mediation")
    make_roster(run)

    def rows() -> Iterator[tuple[dict[str, Any], Made]]:
        for i in range(n):
            raw, tag = mediation_raw(run, rng, i)
            yield raw, Made("", "", tag["day"], tag)

    run.mediations.extend(run.create_chunked(
        "mediation", rows(), made_created, lambda m: _advance_mediation(run, rng, m)))


def _org_party(rng: random.Random, ent: Enterprise | None = None) -> dict[str, Any]:
    if ent is None:
        ent = stand_in_enterprise(rng, "other", ("商贸", "农资", "食品", "农机销售"))
    return {"party_type": "org", "name": ent.name, "uscc": ent.uscc,
            "legal_rep": ent.legal_rep.name, "phone": ent.contact_phone or ent.contact.mobile,
            "address": ent.address}


def _person_party(run: DemoRun, rng: random.Random) -> dict[str, Any]:
    c = corpus()
    p = random_person(rng)
    county = rng.choice(c.counties)
    return {"party_type": "person", "name": p.name,
            "id_number": random_id_number(rng, p, run.today),
            "gender": p.gender, "ethnicity": p.ethnicity, "occupation": rng.choice(c.occupations),
            "phone": p.mobile, "address": random_address(rng, county)}


def mediation_raw(run: DemoRun, rng: random.Random,
                  index: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """(values for Desk.create, tag: day and the status to reach); index 0, 1, 2 are settled,
    refused and accepted so that every demo has them."""
    c = corpus()
    forced = {0: "settled", 1: "refused", 2: "accepted"}
    target = forced.get(index) or weighted(rng, (
        ("registered", 8), ("accepted", 12), ("mediating", 15), ("settled", 28),
        ("confirmed", 12), ("terminated", 12), ("withdrawn", 5), ("refused", 8)))
    # open cases are recent, so their statutory clocks (3/7 working days, 30 days) still run
    lo, hi = {"registered": (1, 2), "accepted": (4, 9), "mediating": (10, 30),
              "settled": (40, 365), "confirmed": (60, 365)}.get(target, (20, 365))
    day = run.past_day(rng, min_days=lo, max_days=hi)
    ent = rng.choice(run.enterprises) if run.enterprises else None
    applicant = _org_party(rng, ent) if rng.random() < 0.65 else _person_party(run, rng)
    respondent = _org_party(rng) if rng.random() < 0.65 else _person_party(run, rng)
    right = weighted(rng, (("patent", 50), ("trademark", 30), ("copyright", 10), ("gi", 5),
                            ("trade_secret", 5)))
    dispute = {"patent": ("infringement", "ownership", "license"),
               "trademark": ("infringement", "infringement", "contract"),
               "copyright": ("infringement", "contract")}.get(right, ("infringement", "other"))
    dispute_type = rng.choice(dispute)
    product = rng.choice(c.products)
    right_label = {"patent": "专利权", "trademark": "注册商标专用权", "copyright": "著作权",
                   "gi": "地理标志", "trade_secret": "商业秘密"}[right]
    a, r = applicant["name"], respondent["name"]
    amount = rng.randrange(50, 5000) * 100
    raw: dict[str, Any] = {
        "applied_on": day,
        "applicants": [applicant],
        "respondents": [respondent],
        "right_type": right,
        "dispute_type": dispute_type,
        "amount": f"{amount}.00",
        "facts": (f"申请人{a}称，被申请人{r}未经许可，在其销售的{product}上使用了申请人享有{right_label}"
                  f"的技术或标识，给申请人造成经济损失约{amount // 10000 or 1}万元。双方曾自行协商未果。"),
        "claims": f"1．被申请人停止侵权行为；2．被申请人赔偿经济损失{amount}元。",
        "evidence": "权利证书复印件、公证购买的产品及票据、网页截图。",
        "risk_flag": rng.random() < 0.08,
    }
    if right == "patent":
        raw["right_no"] = "ZL" + random_application_no(rng, rng.randint(2015, run.today.year - 1),
                                                 rng.choice(("invention", "utility")))
    elif right == "trademark":
        raw["right_no"] = f"第{rng.randint(10**7, 7 * 10**7)}号"
    elif right == "copyright":
        raw["right_no"] = f"蒙作登字-{day.year - 1}-F-{rng.randrange(10**7):08d}"
    source = weighted(rng, (("application", 70), ("initiative", 8), ("court", 14), ("admin", 8)))
    raw["source"] = source
    raw["mechanism"] = {"court": "court", "admin": "admin"}.get(source, "people")
    if source == "court":
        court = rng.choice(c.courts)
        raw["referring_body"] = court
        raw["referring_case_no"] = f"（{day.year}）内22{rng.randint(1, 24):02d}民诉前调{rng.randint(1, 400)}号"
    elif source == "admin":
        raw["referring_body"] = "兴安盟市场监督管理局"
    tag = {"day": day, "target": target, "applicant": a}
    return raw, tag


def _advance_mediation(run: DemoRun, rng: random.Random, m: Made) -> None:
    c = corpus()
    target = m.extra["target"]
    if target == "registered":
        return
    if target == "refused":
        run.act(MEDIATOR, m.id, "refuse", {
            "refusal_reason": "respondent_refused",
            "refusal_note": "经电话征询，被申请人明确表示不同意调解，已告知申请人可通过诉讼等途径解决。",
            "closed_on": run.later(rng, m.day, 1, 3) or run.today,
        })
        return
    accepted = run.later(rng, m.day, 1, 3)
    if accepted is None:
        return
    run.act(MEDIATOR, m.id, "accept", {"accepted_on": accepted, "mediator": MEDIATOR[1]})
    if target == "accepted":
        return
    if target == "withdrawn":
        run.act(MEDIATOR, m.id, "withdraw",
                 {"closed_on": run.later(rng, accepted, 1, 5) or run.today})
        return
    started = run.later(rng, accepted, 1, 6)
    if started is None:
        return
    run.act(MEDIATOR, m.id, "start", {"consent": "agreed", "consent_on": started,
                                       "started_on": started})
    if target == "mediating":
        return
    run.act(MEDIATOR, m.id, "record_session", {"sessions": [{
        "date": started, "time": "9:00—11:30", "place": "兴安盟知识产权纠纷人民调解委员会调解室",
        "mediators": MEDIATOR[1], "recorder": MEDIATOR[1], "present": "双方当事人或其代理人",
        "statements": "调解员告知当事人权利义务后，申请人陈述了专利权及被申请人的侵权事实，"
                      "被申请人对产品来源作了说明。双方围绕停止侵权和赔偿数额进行了协商。",
        "result": "none" if target == "terminated" else "agreed"}]})
    if target == "terminated":
        closed = run.later(rng, started, 5, 25)
        if closed:
            run.act(MEDIATOR, m.id, "terminate", {"termination_reason": "no_agreement",
                                                   "closed_on": closed})
        return
    effective = run.later(rng, started, 2, 20)
    if effective is None:
        return
    amount = int(rng.randrange(20, 2000) * 100)
    run.act(MEDIATOR, m.id, "settle", {
        "outcome": "written" if rng.random() < 0.85 else "oral",
        "agreement": (f"1．被申请人自协议生效之日起停止销售涉案产品；2．被申请人于15日内一次性支付申请人"
                      f"经济损失{amount}元；3．双方就本纠纷再无其他争议。"),
        "agreement_effective_on": effective,
    })
    if target == "confirmed":
        applied = run.later(rng, effective, 3, 20)
        if applied is None:
            return
        run.act(MEDIATOR, m.id, "apply_confirmation", {
            "confirmation_applied_on": applied, "confirmation_court": rng.choice(c.courts)})
        ruled = run.later(rng, applied, 5, 15)
        if ruled:
            run.act(MEDIATOR, m.id, "confirm", {"confirmation_result_on": ruled})
    else:
        visited = run.later(rng, effective, 15, 30)
        if visited and rng.random() < 0.6:
            run.act(MEDIATOR, m.id, "record_followup", {"followups": [{
                "date": visited, "visitor": MEDIATOR[1], "visited": m.extra["applicant"],
                "method": "phone", "performance": "done",
                "findings": "申请人确认被申请人已按协议支付赔偿款并停止销售涉案产品。"}]})
