"""Demo consultations (咨询登记): topics, questions and answers from the corpus, the visitor
(often an enterprise of the registry), how it was handled, and the follow-ups done since."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from ..catalogs import county_name
from .codes import random_application_no
from .corpus import corpus
from .people import random_person, weighted
from .run import CLERK, Made, made_created

if TYPE_CHECKING:
    from .run import DemoRun

__all__ = ["consultation_raw", "make_consultations"]


def make_consultations(run: DemoRun, n: int) -> None:
    rng = run.rng("consultation")

    def rows() -> Iterator[tuple[dict[str, Any], Made]]:
        for _ in range(n):
            raw, tag = consultation_raw(run, rng)
            yield raw, Made("", "", tag["day"], tag)

    # 转办 cases come back and are closed; some closed ones get their follow-up call
    def advance(made: Made) -> None:
        if made.extra["handling"] == "referred":
            done = run.later(rng, made.day, 3, 12)
            if done:
                run.act(CLERK, made.id, "close")
                made.extra["closed"] = True
        if (made.extra["handling"] in ("answered", "notice") or made.extra.get("closed")) \
                and made.extra["followup"] and made.extra["followup"] <= run.today:
            run.act(CLERK, made.id, "follow_up",
                    {"followup_result": rng.choice(corpus().followup_results)})

    run.consultations.extend(run.create_chunked("consultation", rows(), made_created, advance))


def consultation_raw(run: DemoRun, rng: random.Random) -> tuple[dict[str, Any], dict[str, Any]]:
    """(values for Desk.create, what later stages need: day, handling, followup, uscc, topics)."""
    c = corpus()
    handling = weighted(rng, (("answered", 60), ("notice", 15), ("referred", 8),
                              ("to_center", 6), ("to_mediation", 4), ("appointment", 7)))
    # still open (预约, 转办) only when recent: an old demo record would sit overdue in 待办
    recent = {"appointment": 14, "referred": 40}.get(handling)
    day = run.past_day(rng, max_days=recent or 365)
    started = run.at(rng, day)
    ended = started + dt.timedelta(minutes=rng.randint(6, 50))
    topic = weighted(rng, c.topic_weights)
    topics = [topic]
    if rng.random() < 0.25:
        second = weighted(rng, c.topic_weights)
        if second != topic:
            topics.append(second)
    question, answer, basis = rng.choice(c.topic_texts[topic])
    product = rng.choice(c.products)
    visitor = random_person(rng)
    raw: dict[str, Any] = {
        "started_at": started,
        "ended_at": min(ended, run.now),
        "channel": weighted(rng, (("onsite", 62), ("phone", 24), ("online", 8), ("visit", 4),
                                  ("hotline", 2))),
        "first_responder": CLERK[1] if rng.random() < 0.8 else rng.choice(("王晓东", "包其其格")),
        "topics": topics,
        "question": question.format(product=product, n=rng.randint(2, 6)),
        "answer": answer,
        "basis": basis or None,
    }
    ent_uscc = None
    if run.enterprises and rng.random() < 0.5:
        ent = rng.choice(run.enterprises)
        ent_uscc = ent.uscc
        raw.update(visitor_type="enterprise", enterprise_name=ent.name, enterprise_uscc=ent.uscc,
                   visitor_region=ent.county)
        if rng.random() < 0.6:
            visitor = ent.contact
    else:
        vt = weighted(rng, (("person", 55), ("enterprise", 20), ("institute", 15), ("agency", 10)))
        raw["visitor_type"] = vt
        raw["visitor_region"] = weighted(rng, c.county_weights)
        if vt == "enterprise":
            raw["enterprise_name"] = (f"{county_name(raw['visitor_region'])}{rng.choice(c.brands)}"
                                      f"{rng.choice(('商贸', '农资', '食品', '建材'))}有限公司")
        elif vt == "institute":
            raw["enterprise_name"] = rng.choice(c.institutes)
        elif vt == "agency":
            raw["enterprise_name"] = rng.choice(c.agencies)[0]
    if topic == "mediation" and handling == "answered" and rng.random() < 0.5:
        handling = "to_mediation"
    raw["handling"] = handling
    if handling == "notice":
        raw["notice_items"] = rng.choice(c.notice_items)
    elif handling == "referred":
        raw["referred_to"] = c.refer_to.get(topic, c.refer_default)
        raw["referral_deadline"] = run.cal.add_workdays(day, 5)
    followup = None
    if handling in ("answered", "notice", "referred") and rng.random() < 0.22:
        followup = day + dt.timedelta(days=rng.randint(7, 30))
        raw.update(followup_needed=True, followup_date=followup)
    if rng.random() < 0.7 or followup:
        raw["visitor_name"] = visitor.name
    if rng.random() < 0.5 or followup:
        raw["visitor_phone"] = visitor.mobile
        raw.setdefault("visitor_name", visitor.name)
    if topic in ("protection", "pledge", "licensing") and rng.random() < 0.5:
        year = rng.randint(2016, run.today.year - 1)
        raw["ip_numbers"] = "ZL" + random_application_no(rng, year,
                                                         rng.choice(("invention", "utility")))
    elif topic == "trademark" and rng.random() < 0.4:
        raw["ip_numbers"] = f"第{rng.randint(10**7, 7 * 10**7)}号"
    if raw.get("enterprise_uscc") and rng.random() < 0.1:
        raw["support_lead"] = True
    tag = {"day": day, "handling": handling, "followup": followup, "uscc": ent_uscc,
           "topics": topics}
    return {k: val for k, val in raw.items() if val is not None}, tag
