"""Demo enterprises: names from brand and trade words (and 农民专业合作社), unique credit codes
and names (also against a store that already holds a demo), and their registry entries."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..catalogs import county_name
from ..views import Query
from .codes import random_uscc
from .corpus import corpus
from .people import Person, random_address, random_landline, random_person, weighted
from .run import CHUNK

if TYPE_CHECKING:
    from .run import DemoRun

__all__ = ["Enterprise", "enterprise_raw", "make_enterprises", "random_enterprise",
           "stand_in_enterprise"]


@dataclass(slots=True)
class Enterprise:
    uscc: str
    name: str
    county: str
    industry: str
    address: str
    legal_rep: Person
    contact: Person
    contact_phone: str
    invention: int
    utility: int
    design: int
    has_ip_rules: bool
    gb29490: bool
    key_support: bool
    receipt: str = ""


def make_enterprises(run: DemoRun, n: int) -> None:
    rng = run.rng("enterprise")
    taken_codes, taken_names = _existing_enterprises(run)

    def rows() -> Iterator[tuple[dict[str, Any], Enterprise]]:
        for _ in range(n):
            ent = random_enterprise(rng, taken_codes, taken_names)
            yield enterprise_raw(run, rng, ent), ent

    def created(ent: Enterprise, _id: str, receipt: str) -> None:
        ent.receipt = receipt

    run.enterprises.extend(run.create_chunked("enterprise", rows(), created))


def _existing_enterprises(run: DemoRun) -> tuple[set[str], set[str]]:
    codes: set[str] = set()
    names: set[str] = set()
    ids = run.desk.find_ids(Query(kind="enterprise", include_voided=True))
    for start in range(0, len(ids), CHUNK):
        for view in run.desk.rows_for_ids(ids[start : start + CHUNK]).values():
            codes.add(str(view.values.get("uscc") or ""))
            names.add(str(view.values.get("name") or ""))
    return codes, names


def random_enterprise(rng: random.Random, codes: set[str], names: set[str]) -> Enterprise:
    """A new enterprise whose credit code and name are not in `codes` and `names` (both are
    updated)."""
    c = corpus()
    county = weighted(rng, c.county_weights)
    industry = weighted(rng, c.industry_weights)
    for attempt in range(50):
        r = rng.random()
        region = "兴安盟" if r < 0.15 else "内蒙古" if r < 0.25 else county_name(county)
        brand = rng.choice(c.brands)
        if attempt > 20:  # the simple names are used up: two brand words
            brand += rng.choice(c.brands)
        word = rng.choice(c.industry_words[industry])
        category = "1"
        if industry == "green_agri" and rng.random() < 0.3:  # 农民专业合作社: code 93…
            word, form = rng.choice(c.cooperatives)
            category = "3"
            region = county_name(county)
        else:
            form = weighted(rng, (("有限公司", 70), ("有限责任公司", 22), ("股份有限公司", 8)))
        name = f"{region}{brand}{word}{form}"
        if name not in names:
            break
    names.add(name)
    code = random_uscc(rng, county, category)
    while code in codes:
        code = random_uscc(rng, county, category)
    codes.add(code)
    legal_rep, contact = random_person(rng), random_person(rng)
    big = industry in ("bio", "biopharma", "new_materials")
    return Enterprise(
        uscc=code, name=name, county=county, industry=industry,
        address=random_address(rng, county), legal_rep=legal_rep, contact=contact,
        contact_phone=random_landline(rng) if rng.random() < 0.2 else contact.mobile,
        invention=rng.choice((0, 0, 1, 1, 2, 3, 4, 6, 9) if big else (0, 0, 0, 0, 1, 1, 2)),
        utility=rng.choice((0, 1, 2, 3, 5, 8, 12, 20)),
        design=rng.choice((0, 0, 0, 1, 2, 4)),
        has_ip_rules=rng.random() < (0.7 if big else 0.35),
        gb29490=rng.random() < 0.08,
        key_support=rng.random() < 0.12,
    )


def stand_in_enterprise(rng: random.Random, industry: str, trades: tuple[str, ...], *,
                        invention: int = 0, has_ip_rules: bool = False) -> Enterprise:
    """An enterprise that is not in the registry (a mediation's other party, a filing made
    without enterprises): "<county><brand><trade>有限公司", the trade drawn from `trades`."""
    c = corpus()
    county = weighted(rng, c.county_weights)
    code = random_uscc(rng, county)
    brand = rng.choice(c.brands)
    trade = trades[0] if len(trades) == 1 else rng.choice(trades)  # one trade: no draw
    return Enterprise(code, f"{county_name(county)}{brand}{trade}有限公司", county, industry,
                      random_address(rng, county), random_person(rng), random_person(rng), "",
                      invention, 0, 0, has_ip_rules, False, False)


def enterprise_raw(run: DemoRun, rng: random.Random, ent: Enterprise) -> dict[str, Any]:
    """The registry entry of `ent` (values for Desk.create)."""
    employees = rng.randint(6, 320)
    earliest = dt.date(1996, 1, 1).toordinal()
    established = dt.date.fromordinal(rng.randint(earliest, run.today.toordinal() - 400))
    raw: dict[str, Any] = {
        "uscc": ent.uscc,
        "name": ent.name,
        "county_code": ent.county,
        "address": ent.address,
        "legal_rep": ent.legal_rep.name,
        "established_on": established,
        "industry": ent.industry,
        "main_business": rng.choice(corpus().main_business[ent.industry]),
        "employees_insured": employees,
        "rd_staff": max(1, int(employees * rng.uniform(0.04, 0.3))),
        "contact_name": ent.contact.name,
        "contact_phone": ent.contact_phone,
        "invention_patents": ent.invention,
        "utility_patents": ent.utility,
        "design_patents": ent.design,
        "has_ip_rules": ent.has_ip_rules,
        "gb29490_certified": ent.gb29490,
        "key_support": ent.key_support,
    }
    if rng.random() < 0.5:
        raw["contact_email"] = f"xa{rng.randrange(10**4, 10**7)}@{rng.choice(('163.com', 'qq.com', '126.com'))}"
    if ent.gb29490:
        raw["gb29490_cert_no"] = f"{rng.choice(('165', '181', '241'))}IP{rng.randint(21, 25)}{rng.randrange(10**4):04d}R0M"
    if ent.key_support:
        raw["key_support_year"] = rng.randint(2022, run.today.year)
        raw["notes"] = "纳入兴安盟高价值专利培育重点帮扶企业库，安排专人对接服务。"
    return raw
