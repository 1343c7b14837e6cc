"""Demo data: every kind, valid codes, a healthy store, deterministic for a seed."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ADMIN_PASSWORD
from xingan_desk import validation as V
from xingan_desk.demo import DEMO_USERS, KIND_ORDER, generate, plan
from xingan_desk.demo.mediations import ROSTER
from xingan_desk.desk import Desk
from xingan_desk.records.kinds import KINDS
from xingan_desk.timeutil import today_cst
from xingan_desk.views import Query

LEAGUE = ("152201", "152202", "152221", "152222", "152223", "152224")


def _all(desk: Any, kind: str) -> list[Any]:
    return desk.search(Query(kind=kind, include_voided=True))


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """One 60-record demo shared by the read-only checks below (generation takes ~1 s)."""
    d = Desk.initialise(tmp_path_factory.mktemp("demo"), "152223", "02",
                        admin_password=ADMIN_PASSWORD)
    d.use_account("admin")
    seen: list[tuple[int, int]] = []
    counts = generate(d, 60, progress=lambda done, total: seen.append((done, total)))
    yield d, counts, seen
    d.close()


def test_plan_splits_the_records() -> None:
    assert plan(0) == dict.fromkeys(KIND_ORDER, 0)
    assert sum(plan(3).values()) == 3
    for n in (11, 12, 19, 60, 2000, 200_000):
        p = plan(n)
        assert sum(p.values()) == n
        assert all(p[k] >= 1 for k in KIND_ORDER)
    assert plan(2000) == {"enterprise": 300, "consultation": 670, "preexam_filing": 200,
                          "preexam_case": 200, "mediation": 100, "rating": 400,
                          "pledge": 40, "patent": 60, "insurance": 20, "navigation": 6,
                          "agency": 4}


def test_generate_60_makes_every_kind_and_keeps_the_store_healthy(demo_store: Any) -> None:
    desk, counts, seen = demo_store
    assert {k: n for k, n in counts.items() if k != "mediator"} == plan(60)
    assert counts["mediator"] == len(ROSTER)  # the roster comes with the mediations
    assert desk.counts_by_kind() == {k: n for k, n in counts.items() if n}
    assert all(desk.counts_by_kind()[k] >= 1 for k in KINDS)
    assert desk.check() == []
    assert seen and seen[-1] == (60, 60)
    done = [n for n, _ in seen]  # the progress advances: no figure twice, none past the total
    assert done == sorted(set(done)) and {t for _, t in seen} == {60}
    assert desk.user.username == "admin"  # the caller's account is restored
    users = {u.username: (u.display_name, u.role) for u in desk.list_users()}
    for username, name, role in DEMO_USERS:
        assert users[username] == (name, role)


def test_codes_are_valid(demo_store: Any) -> None:
    desk, _, _ = demo_store
    ents = _all(desk, "enterprise")
    codes = [e.values["uscc"] for e in ents]
    assert len(set(codes)) == len(codes)
    for code in codes:
        assert V.check_uscc(code) is None, code
        assert V.warn_uscc(code) is None, code  # the embedded org code checks out too
        assert code[2:8] in LEAGUE
    for e in ents:
        for key in ("legal_rep", "contact_name"):
            assert V.check_person_name(e.values[key]) is None
        assert V.check_phone(e.values["contact_phone"]) is None
    for m in _all(desk, "mediation"):
        for party in [*m.values["applicants"], *m.values["respondents"]]:
            if party.get("uscc"):
                assert V.check_uscc(party["uscc"]) is None
            if party.get("id_number"):
                number = party["id_number"]
                assert V.check_id_number(number) is None, number
                assert number[:4] == "1522" and number[:6] in LEAGUE
                assert V.id_sex(number) == {"male": "男", "female": "女"}[party["gender"]]
    for c in _all(desk, "preexam_case"):
        if c.values.get("application_no"):
            assert V.check_patent_application_number(c.values["application_no"]) is None
        assert V.check_ipc(c.values["ipc_main"]) is None
    for f in _all(desk, "preexam_filing"):
        assert V.check_mobile(f.values["contact_phone"]) is None


def test_generated_people_and_numbers_are_valid() -> None:
    """The generators behind the demo, over many samples (mediation person parties are few)."""
    import random

    from xingan_desk import demo

    rng = random.Random(1)
    today = today_cst()
    names = set()
    for _ in range(500):
        p = demo.random_person(rng)
        names.add(p.name)
        assert V.check_person_name(p.name) is None, p.name
        assert V.check_mobile(p.mobile) is None and V.warn_mobile(p.mobile) is None, p.mobile
        number = demo.random_id_number(rng, p, today)
        assert V.check_id_number(number) is None, number
        assert number[:6] in LEAGUE
        assert V.id_sex(number) == {"male": "男", "female": "女"}[p.gender]
        code = demo.random_uscc(rng, rng.choice(LEAGUE))
        assert V.check_uscc(code) is None and V.warn_uscc(code) is None, code
        year = rng.randint(2003, today.year)
        app = demo.random_application_no(rng, year, rng.choice(("invention", "utility")))
        assert V.check_patent_application_number(app) is None, app
    assert any(len(n) == 2 for n in names)  # 王芳-style one-character given names
    assert any(any(c in n for c in "赟堃喆犇燚翀昇淼珺玥旻垚芃䶮") for n in names)  # rare characters


def test_dates_are_spread_and_never_in_the_future(demo_store: Any) -> None:
    desk, _, _ = demo_store
    today = today_cst()
    year_ago = today - dt.timedelta(days=366)
    days = [c.values["started_at"].date() for c in _all(desk, "consultation")]
    days += [f.values["guided_on"] for f in _all(desk, "preexam_filing")]
    days += [m.values["applied_on"] for m in _all(desk, "mediation")]
    assert all(year_ago <= d <= today for d in days)
    assert len({d.month for d in days}) >= 4
    for kind in ("preexam_filing", "preexam_case", "mediation"):
        for rec in _all(desk, kind):
            for f in KINDS[kind].fields:
                value = rec.values.get(f.key)
                if f.stage == "action" and isinstance(value, dt.date) and "deadline" not in f.key \
                        and f.key not in ("valid_until", "rectify_by"):
                    assert value <= today, (rec.receipt_no, f.key, value)


def test_workflows_are_exercised(demo_store: Any) -> None:
    desk, _, _ = demo_store
    statuses = {k: Counter(r.status for r in _all(desk, k)) for k in KINDS if KINDS[k].workflow}
    assert statuses["mediation"]["refused"] >= 1
    assert statuses["mediation"]["settled"] + statuses["mediation"]["confirmed"] >= 1
    assert statuses["mediation"]["accepted"] >= 1
    ratings = _all(desk, "rating")
    assert any(r.values["level"] in ("1", "2") for r in ratings)
    assert any(r.values.get("verification") for r in ratings)  # a 差评 was verified
    good = sum(r.values["level"] in ("4", "5") for r in ratings)
    assert good >= len(ratings) / 2
    services = {r.receipt_no for k in KINDS if k != "rating" for r in _all(desk, k)}
    assert all(r.values["service_no"] in services for r in ratings)
    assert len(set(statuses["preexam_filing"])) >= 2
    cases = _all(desk, "preexam_case")
    filings = {f.receipt_no: f for f in _all(desk, "preexam_filing")}
    assert all(c.values["filing_no"] in filings for c in cases)
    assert all(c.values["applicant_uscc"] == filings[c.values["filing_no"]].values["enterprise_uscc"]
               for c in cases)
    actors = {e.actor for m in _all(desk, "mediation") for e in desk.history(m.id)[0]}
    assert actors <= {"zhaomin", "lina"} and "zhaomin" in actors
    assert {r.created_by for k in KINDS for r in _all(desk, k)} == {"lina"}


def test_consultations_reference_enterprises(demo_store: Any) -> None:
    desk, _, _ = demo_store
    registry = {e.values["uscc"]: e.values["name"] for e in _all(desk, "enterprise")}
    linked = [c for c in _all(desk, "consultation") if c.values.get("enterprise_uscc")]
    assert linked
    assert all(registry[c.values["enterprise_uscc"]] == c.values["enterprise_name"] for c in linked)


def test_same_seed_same_enterprises(tmp_path: Path) -> None:
    names = []
    for i in range(2):
        d = Desk.initialise(tmp_path / f"s{i}", "152201", "01", admin_password=ADMIN_PASSWORD)
        d.use_account("admin")
        generate(d, 12, seed=7)
        names.append(sorted((e.values["uscc"], e.values["name"]) for e in _all(d, "enterprise")))
        d.close()
    assert names[0] == names[1] and names[0]
    d = Desk.initialise(tmp_path / "other", "152201", "01", admin_password=ADMIN_PASSWORD)
    d.use_account("admin")
    generate(d, 12, seed=8)
    assert sorted((e.values["uscc"], e.values["name"]) for e in _all(d, "enterprise")) != names[0]
    d.close()


def test_a_second_run_adds_without_clashes(desk: Any) -> None:
    generate(desk, 8)
    generate(desk, 8)  # same seed on the same store: new codes and names, no duplicate error
    ents = _all(desk, "enterprise")
    assert len({e.values["uscc"] for e in ents}) == len(ents) == 2 * plan(8)["enterprise"]
    assert len({e.values["name"] for e in ents}) == len(ents)
    assert desk.check() == []


def test_small_counts_and_a_clerk_caller(desk: Any) -> None:
    assert generate(desk, 0) == dict.fromkeys(KIND_ORDER, 0)
    counts = generate(desk, 3)
    assert sum(counts.values()) == 3 and counts["enterprise"] == 1
    desk.use_account("lina")  # the demo accounts exist now; a clerk may run the demo again
    generate(desk, 6, seed=99)
    assert desk.user.username == "lina"
    assert desk.check() == []


def test_the_demo_command_prints_an_advancing_progress_line(tmp_path: Path) -> None:
    """`xingan-desk demo` shows one progress line on stderr whose figures only go up and end
    at the requested number once (it used to print "已生成 40/40" again for every kind made
    after the roster pushed the count past the total)."""
    from tests.core.test_cli import run

    d = str(tmp_path / "w")
    admin = {"XINGAN_DESK_PASSWORD": "Admin2026x"}
    ok = run("init", "--data-dir", d, "--county", "152223", "--window", "02", env=admin)
    assert ok.returncode == 0, ok.stderr
    demo = run("demo", "--data-dir", d, "--records", "40", env=admin)
    assert demo.returncode == 0, demo.stderr
    # (text mode reads the line's carriage returns as line ends)
    shown = [part for part in demo.stderr.splitlines() if part]
    assert shown and all(p.startswith("已生成 ") and p.endswith("/40") for p in shown), shown
    figures = [int(p.removeprefix("已生成 ").split("/")[0]) for p in shown]
    assert figures == sorted(set(figures)) and figures[-1] == 40, shown
    assert f"已生成演示数据 {40 + len(ROSTER)} 条" in demo.stdout
