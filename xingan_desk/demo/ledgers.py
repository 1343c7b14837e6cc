"""Demo entries of the plan's ledgers (records/ledger_kinds.py): pledge financing from the
demand survey to release, the 高价值专利培育库 (patents of demo enterprises, some pledged,
awarded or with overseas family members, some confirmed by the supervisor), IP insurance
policies, patent navigation projects and the patent agencies serving the League."""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
from collections.abc import Iterator
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ..catalogs import LEAGUE_CODE
from ..records.ledger_kinds import high_value_categories
from .codes import random_application_no, random_uscc
from .corpus import corpus
from .people import random_landline, random_person
from .run import CLERK, SUPERVISOR, Made, made_created

if TYPE_CHECKING:
    from .enterprises import Enterprise
    from .run import DemoRun

__all__ = ["make_agencies", "make_insurance", "make_navigation", "make_patents",
           "make_pledges"]

BANKS = ("中国银行兴安盟分行", "中国农业银行兴安分行", "中国建设银行兴安盟分行", "兴安盟农村商业银行",
         "内蒙古银行兴安分行", "中国邮政储蓄银行兴安盟分行")
INSURERS = ("中国人民财产保险股份有限公司兴安盟分公司", "中国平安财产保险股份有限公司兴安中心支公司",
            "中华联合财产保险股份有限公司兴安盟中心支公司")
SEI_BY_INDUSTRY = {"bio": "bio", "biopharma": "bio", "new_materials": "materials",
                   "new_energy": "energy", "energy_saving": "green",
                   "agri_machinery": "equipment"}
PORTFOLIOS = ("兴安盟生物发酵高价值专利组合", "兴安盟新能源装备高价值专利组合")


def _ents(run: DemoRun) -> list[Enterprise]:
    """The demo enterprises a ledger entry may name: at a county window its county's (a county
    window keeps its own county's ledgers), at the League window all of them."""
    ents = [e for e in run.enterprises if e.receipt] or list(run.enterprises)
    county = run.desk.identity.county_code
    if county == LEAGUE_CODE:
        return ents
    return [e for e in ents if e.county == county] or [_local(e, county) for e in ents[:3]]


def _local(ent: Enterprise, county: str) -> Enterprise:
    """A stand-in of `ent` registered in `county` (a small demo with no local enterprise)."""
    return dataclasses.replace(ent, county=county)


def _patent_numbers(run: DemoRun, n: int) -> list[tuple[str, int]]:
    """(application number, filing year) of the ledger's patents, drawn before the pledges
    so that pledges can name them; inventions mostly, filed 2010–2024."""
    rng = run.rng("patent-numbers")
    out: list[tuple[str, int]] = []
    for i in range(n):
        year = rng.randint(2010, min(2024, run.today.year - 1))
        ptype = "utility" if i % 5 == 4 else "invention"
        out.append((random_application_no(rng, year, ptype), year))
    return out


def make_pledges(run: DemoRun, n: int) -> None:
    rng = run.rng("pledge")
    ents = _ents(run)
    numbers = _patent_numbers(run, max(n, 1) * 2)
    run.patent_numbers = numbers

    def rows() -> Iterator[tuple[dict[str, Any], Made]]:
        for i in range(n):
            ent = ents[i % len(ents)] if ents else None
            day = run.past_day(rng, min_days=20, max_days=700)
            wanted = Decimal(rng.choice((200, 300, 500, 800, 1000, 1500, 2000, 3000)))
            offered = numbers[i % len(numbers)][0]
            contact = random_person(rng)
            raw: dict[str, Any] = {
                "surveyed_on": day,
                "enterprise_name": ent.name if ent else "兴安盟示例科技有限公司",
                "enterprise_uscc": ent.uscc if ent else random_uscc(rng, "152201"),
                "county_code": ent.county if ent else "152201",
                "contact_name": contact.name, "contact_phone": contact.mobile,
                "amount_wanted_wan": wanted,
                "ip_offered": offered,
                "preferred_bank": rng.choice(BANKS),
                "purpose": rng.choice(("购置生产设备", "补充流动资金", "研发投入", "扩大产能")),
            }
            yield raw, Made("", "", day, {"wanted": wanted, "patent": offered,
                                          "bank": raw["preferred_bank"], "index": i})

    run.pledges.extend(run.create_chunked(
        "pledge", rows(), made_created,
        advance=lambda m: _advance_pledge(run, rng, m, m.extra["index"])))


def _advance_pledge(run: DemoRun, rng: random.Random, m: Made, index: int) -> None:
    """Most surveyed demands are matched with a bank; most matched ones registered, lent and
    some released; one in six does not succeed; the newest stay open for the push list."""
    path = index % 6
    if path == 5 and index:
        return  # still an open demand
    matched = run.later(rng, m.day, 5, 30)
    if matched is None:
        return
    run.act(CLERK, m.id, "match", {"matched_on": matched, "matched_bank": m.extra["bank"]})
    if path == 4:
        run.act(CLERK, m.id, "close", {"close_reason": "银行评估后授信额度不足，企业暂缓融资"})
        return
    registered = run.later(rng, matched, 10, 40)
    if registered is None:
        return
    amount = (m.extra["wanted"] * Decimal(rng.choice(("0.6", "0.8", "1")))).quantize(
        Decimal("1"))
    year = registered.year
    run.act(CLERK, m.id, "register", {
        "pledgee": m.extra["bank"], "amount_wan": amount, "term_months": rng.choice((12, 24, 36)),
        "registration_no": f"Y{year}98{rng.randrange(10**6):06d}",
        "registered_on": registered, "pledged_patents": m.extra["patent"]})
    m.extra["amount"] = amount
    m.extra["registered_on"] = registered
    loan = run.later(rng, registered, 3, 15)
    if loan is None:
        return
    run.act(CLERK, m.id, "disburse", {"loan_on": loan, "loan_wan": amount})
    if path == 3:
        released = run.later(rng, loan, 200, 400)
        if released is not None:
            run.act(CLERK, m.id, "release", {"released_on": released})


def make_patents(run: DemoRun, n: int) -> None:
    rng = run.rng("patent")
    ents = _ents(run)
    c = corpus()
    numbers = run.patent_numbers or _patent_numbers(run, n)
    pledged = {p.extra["patent"]: p for p in run.pledges if p.extra.get("amount")}
    titles = [t for (fld, ptype), rows in sorted(c.cases.items()) if ptype == "invention"
              for t in rows]

    def rows() -> Iterator[tuple[dict[str, Any], tuple[int, dict[str, Any]]]]:
        for i in range(n):
            number, year = numbers[i % len(numbers)]
            if i >= len(numbers):  # more patents than numbers drawn: a fresh one
                number = random_application_no(rng, year, "invention")
            ent = ents[i % len(ents)] if ents else None
            title, ipc, _extra, _tech = titles[i % len(titles)]
            filed = dt.date(year, rng.randint(1, 12), rng.randint(1, 28))
            grant_day = filed + dt.timedelta(days=rng.randint(400, 1100))
            granted = grant_day if grant_day <= run.today else None
            raw: dict[str, Any] = {
                "patent_no": number, "title": title,
                "patentee_name": ent.name if ent else "兴安盟示例科技有限公司",
                "patentee_uscc": ent.uscc if ent else random_uscc(rng, "152201"),
                "county_code": ent.county if ent else "152201",
                "contact_name": ent.contact.name if ent else None,
                "contact_phone": ent.contact_phone if ent else None,
                "filed_on": filed, "granted_on": granted, "ipc_main": ipc,
                "legal_status": "valid", "in_pool": True,
                "pool_year": max(2022, granted.year if granted else run.today.year),
            }
            if i % 9 == 8 and granted:
                raw["legal_status"] = "lapsed"
                raw["lapsed_on"] = min(granted + dt.timedelta(days=900), run.today)
            if ent and ent.industry in SEI_BY_INDUSTRY and i % 3 != 2:
                raw["sei_field"] = SEI_BY_INDUSTRY[ent.industry]
            if i % 7 == 1:
                raw["overseas_family"] = rng.choice((["US"], ["EP", "JP"], ["MN", "RU"]))
            if i % 11 == 3 and granted:
                raw["awards"] = [{"award": "nm_patent", "level": "second",
                                  "year": min(run.today.year, granted.year + 2)}]
            if i % 17 == 5 and granted:
                raw["awards"] = [{"award": "cn_patent", "level": "excellence",
                                  "year": min(run.today.year, granted.year + 3)}]
            p = pledged.get(number)
            if p is not None:
                raw["pledges"] = [{"pledge_no": p.receipt, "amount_wan": p.extra["amount"],
                                   "registered_on": p.extra["registered_on"]}]
            if i % 4 == 0 and raw.get("sei_field"):
                raw["portfolio"] = PORTFOLIOS[i % 8 // 4]
            yield {k: v for k, v in raw.items() if v is not None}, (i, raw)

    def confirm(tag: tuple[int, dict[str, Any]]) -> None:
        i, raw = tag
        if i % 3 != 0 and raw.get("granted_on"):  # two in three confirmed by the supervisor
            cats = high_value_categories(raw, run.today)
            run.act(SUPERVISOR, "", "confirm", {"hv_confirmed": cats,
                                                "hv_confirmed_on": run.today})

    run.create_chunked("patent", rows(), advance=confirm)


def make_insurance(run: DemoRun, n: int) -> None:
    rng = run.rng("insurance")
    ents = _ents(run)
    products = ("enforcement", "pledge_guarantee", "liability", "infringed_loss")

    def rows() -> Iterator[tuple[dict[str, Any], None]]:
        for i in range(n):
            ent = ents[(i * 3 + 1) % len(ents)] if ents else None
            start = run.past_day(rng, min_days=10, max_days=600)
            insured = Decimal(rng.choice((50, 100, 200, 300)))
            contact = random_person(rng)
            raw: dict[str, Any] = {
                "insured_name": ent.name if ent else "兴安盟示例科技有限公司",
                "insured_uscc": ent.uscc if ent else random_uscc(rng, "152201"),
                "county_code": ent.county if ent else "152201",
                "contact_name": contact.name, "contact_phone": contact.mobile,
                "insurer": rng.choice(INSURERS), "product": products[i % len(products)],
                "policy_no": f"PZAE{start.year}1522{rng.randrange(10**8):08d}",
                "sum_insured_wan": insured,
                "premium_wan": (insured * Decimal("0.015")).quantize(Decimal("0.01")),
                "subsidy_wan": (insured * Decimal("0.0075")).quantize(Decimal("0.01")),
                "starts_on": start, "ends_on": start + dt.timedelta(days=364),
            }
            if i % 4 == 2:
                raw["claims"] = [{"claimed_on": min(start + dt.timedelta(days=120), run.today),
                                  "paid_wan": Decimal("6.5"), "result": "已赔付维权律师费"}]
            yield raw, None

    run.create_chunked("insurance", rows())


def make_navigation(run: DemoRun, n: int) -> None:
    rng = run.rng("navigation")
    projects = (
        ("兴安盟绿色农畜产品加工产业专利导航", "industry", "green_agri", "兴安盟市场监督管理局（知识产权局）",
         "内蒙古知识产权保护中心；兴安职业技术学院"),
        ("新能源装备制造产业专利导航", "industry", "new_energy", "乌兰浩特市市场监督管理局",
         "内蒙古工业大学；北京金信知识产权代理有限公司"),
        ("生物发酵企业经营类专利导航", "enterprise", "bio", "扎赉特旗市场监督管理局",
         "内蒙古大学生命科学学院"),
    )

    def rows() -> Iterator[tuple[dict[str, Any], None]]:
        for i in range(n):
            name, ntype, industry, lead, partners = projects[i % len(projects)]
            if i >= len(projects):
                name = f"{name}（第{i // len(projects) + 1}期）"
            start = run.past_day(rng, min_days=60, max_days=500)
            done = i % 3 == 1
            raw: dict[str, Any] = {
                "name": name, "nav_type": ntype, "industry": industry,
                "county_code": _county(run, i),
                "lead_unit": lead, "partners": partners,
                "budget_wan": Decimal(rng.choice((30, 50, 80))),
                "starts_on": start, "ends_on": start + dt.timedelta(days=365),
                "progress": "accepted" if done else "running",
                "deliverables": "专利导航报告1份；重点企业专利布局建议；产业技术路线图" if done else
                "阶段性检索报告",
            }
            yield raw, None

    run.create_chunked("navigation", rows())


def _county(run: DemoRun, i: int) -> str:
    """A project's or agency's county: the window's, or at the League window 盟本级 and
    乌兰浩特市 in turn."""
    county = run.desk.identity.county_code
    if county != LEAGUE_CODE:
        return county
    return LEAGUE_CODE if i % 3 == 0 else "152201"


def make_agencies(run: DemoRun, n: int) -> None:
    rng = run.rng("agency")
    c = corpus()

    def rows() -> Iterator[tuple[dict[str, Any], None]]:
        for i in range(n):
            name, code = c.agencies[i % len(c.agencies)]
            branch = i % 2 == 1
            since = run.past_day(rng, min_days=30, max_days=900)
            raw: dict[str, Any] = {
                "name": (f"{name}兴安盟分公司" if branch and "有限公司" in name
                         else f"{name}兴安盟分所" if branch else name),
                "agency_code": code,
                "licence_no": f"{code}{rng.randrange(10**4):04d}",
                "licensed_on": since - dt.timedelta(days=rng.randint(200, 2000)),
                "is_branch": branch, "parent_name": name if branch else None,
                "county_code": _county(run, 1), "address": "兴安盟政务服务中心知识产权窗口旁",
                "resident_agents": rng.randint(1, 3), "serving_since": since,
                "contact_phone": random_landline(rng),
            }
            yield {k: v for k, v in raw.items() if v is not None}, None

    run.create_chunked("agency", rows())
