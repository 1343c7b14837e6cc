"""Demo ratings (好差评) of the services registered before, and the handling of each 差评:
verification, rectification, appeal and the call back."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from .corpus import corpus
from .people import random_person, weighted
from .run import CLERK, MEDIATOR, SUPERVISOR, Made, made_created

if TYPE_CHECKING:
    from .run import DemoRun

__all__ = ["make_ratings"]


def make_ratings(run: DemoRun, n: int) -> None:
    rng = run.rng("rating")
    sources = [(k, pool) for k, pool in (
        ("consultation", run.consultations), ("preexam_filing", run.filings),
        ("preexam_case", run.cases), ("mediation", run.mediations)) if pool]
    weights = {"consultation": 60, "preexam_filing": 15, "preexam_case": 10, "mediation": 15}
    ents = [e for e in run.enterprises if e.receipt]

    def rows() -> Iterator[tuple[dict[str, Any], Made]]:
        for i in range(n):
            if sources:
                kind, pool = weighted(rng, [((k, p), weights[k]) for k, p in sources])
                if i == 4:  # the 差评 every demo has: old enough to have been handled
                    pool = [m for m in pool if (run.today - m.day).days > 20] or pool
                target = rng.choice(pool)
                receipt, day = target.receipt, target.day
            else:
                kind, receipt, day = "enterprise", rng.choice(ents).receipt, run.today
            raw, tag = _rating_raw(run, rng, i, kind, receipt, day)
            yield raw, Made("", "", tag["day"], tag)

    bad = [0]

    def advance(m: Made) -> None:
        if m.extra["bad"]:
            _handle_bad_rating(run, rng, m, bad[0])
            bad[0] += 1

    run.ratings.extend(run.create_chunked("rating", rows(), made_created, advance))


def _rating_raw(run: DemoRun, rng: random.Random, index: int, kind: str, receipt: str,
                day: dt.date) -> tuple[dict[str, Any], dict[str, Any]]:
    c = corpus()
    level = weighted(rng, (("5", 62), ("4", 26), ("3", 7), ("2", 3), ("1", 2)))
    if index == 4:  # at least one 差评 to verify in every demo with five ratings or more
        level = "2"
    bad = level in ("1", "2")
    when = run.at(rng, min(day + dt.timedelta(days=rng.choice((0, 0, 0, 1, 2))), run.today))
    real_name = rng.random() < (0.6 if bad else 0.25)
    rater = random_person(rng)
    score = {"5": (5, 5), "4": (4, 5), "3": (3, 4)}.get(level, (1, 2))
    raw: dict[str, Any] = {
        "service_no": receipt,
        "service_item": c.service_items[kind],
        "staff": MEDIATOR[1] if kind == "mediation" else CLERK[1],
        "channel": weighted(rng, (("device", 55), ("qrcode", 25), ("paper", 10), ("online", 7),
                                   ("sms", 3))),
        "level": level,
        "score_efficiency": rng.randint(*score),
        "score_attitude": rng.randint(*score),
        "comment": rng.choice(c.bad_comments if bad else c.good_comments) or None,
        "rated_at": when,
        "real_name": real_name,
    }
    if real_name:
        raw["rater_name"] = rater.name
        raw["rater_phone"] = rater.mobile
    return ({k: val for k, val in raw.items() if val is not None},
            {"day": when.date(), "bad": bad})


def _handle_bad_rating(run: DemoRun, rng: random.Random, m: Made, index: int) -> None:
    """差评: verified by the supervisor within 3 working days, then fixed and called back;
    one in four is found unfounded, one in four is appealed."""
    verify_on = run.later(rng, m.day, 1, 3)
    if verify_on is None:
        return
    path = index % 4
    if path == 2 and (run.today - verify_on).days > 15:
        path = 0  # only a recent 差评 is still being fixed
    if path == 3:
        run.act(SUPERVISOR, m.id, "appeal", {"appeal": "pending"})
        run.act(SUPERVISOR, m.id, "appeal_decided", {"appeal": "revoked"})
    elif path == 1:
        run.act(SUPERVISOR, m.id, "verify_unfounded",
                 {"verifier": SUPERVISOR[1], "verification": "false"})
    else:
        run.act(SUPERVISOR, m.id, "verify", {
            "verifier": SUPERVISOR[1],
            "verification": "true" if path == 0 else "partly",
            "rectification": "调整窗口排班，高峰时段增设一名工作人员；统一一次性告知材料清单口径。",
            "rectify_by": run.cal.add_workdays(verify_on, 15),
        })
        if path == 2:
            return
        fixed = run.later(rng, verify_on, 3, 15)
        if fixed is None:
            return
        run.act(SUPERVISOR, m.id, "rectified", {"rectified_on": fixed})
    called = run.later(rng, verify_on, 5, 20)
    if called:
        run.act(SUPERVISOR, m.id, "call_back", {
            "callback_on": called, "callback_result": "已电话回访评价人，说明处理情况，评价人表示认可。"})
