"""Small, realistic sample data for screenshots, timing and tests (when the core's demo
generator is not available). Uses only Desk's public methods; no Qt."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from xingan_desk.validation import patent_check_char, uscc_check_char

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎"
GIVEN = ("芳", "伟", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明",
         "超", "秀英", "建国", "海燕", "志强", "晓东", "巴特尔", "乌云", "其其格", "额尔敦")
COMPANY_STEMS = ("兴安新材料", "科尔沁农机", "阿尔山矿泉", "扎赉特稻米", "突泉绿色食品", "乌兰浩特生物",
                 "兴安盟牧歌乳业", "罕山药业", "洮儿河种业", "蒙兴能源", "草原云数据", "索伦牧业")
COUNTIES = ("152201", "152202", "152221", "152222", "152223", "152224")


def make_uscc(rng: random.Random, county: str) -> str:
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    body = "91" + county + "".join(rng.choice(alphabet) for _ in range(9))
    return body + uscc_check_char(body)


def make_patent_no(rng: random.Random) -> str:
    body = f"2023{rng.choice('123')}{rng.randrange(10**7):07d}"
    return f"ZL {body}.{patent_check_char(body)}"


def person_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


def mobile(rng: random.Random) -> str:
    return f"13{rng.randrange(10)}{rng.randrange(10**8):08d}"


def generate(desk: Any, n: int = 300, seed: int = 2026) -> dict[str, int]:
    """About n records over all kinds (consultations most). Returns counts per kind."""
    rng = random.Random(seed)
    companies = []
    for i in range(max(6, n // 25)):
        county = COUNTIES[i % len(COUNTIES)]
        companies.append((f"{rng.choice(COMPANY_STEMS)}{'有限公司' if i % 3 else '科技有限公司'}"
                          .replace("公司", f"{'' if i < len(COMPANY_STEMS) else i}公司", 1),
                          make_uscc(rng, county), county))
    counts: dict[str, int] = {}
    now = dt.datetime.now(dt.UTC)
    ents = []
    for name, code, county in companies:
        ents.append({
            "uscc": code, "name": name, "county_code": county, "legal_rep": person_name(rng),
            "industry": rng.choice(("new_materials", "bio", "agri_machinery", "new_energy", "other")),
            "contact_name": person_name(rng), "contact_phone": mobile(rng),
            "invention_patents": rng.randrange(0, 6), "utility_patents": rng.randrange(0, 20),
        })
    counts["enterprise"] = _many(desk, "enterprise", ents)
    cons = []
    for i in range(int(n * 0.6)):
        name, code, county = rng.choice(companies)
        started = now - dt.timedelta(days=rng.randrange(0, 200), minutes=rng.randrange(600))
        handling = rng.choice(("answered", "answered", "answered", "notice", "referred"))
        row: dict[str, Any] = {
            "started_at": started, "channel": rng.choice(("onsite", "onsite", "phone")),
            "first_responder": person_name(rng), "visitor_type": "enterprise",
            "visitor_name": person_name(rng), "visitor_phone": mobile(rng),
            "enterprise_name": name, "enterprise_uscc": code, "visitor_region": county,
            "topics": rng.sample(["policy", "filing", "preexam", "protection", "trademark"], 2),
            "question": rng.choice(("如何办理专利预审备案？", "商标注册需要哪些材料？",
                                    "发明专利费用减缴如何申请？", "发现他人仿冒我公司产品怎么办？")),
            "answer": "已当场解答并告知办理流程。", "handling": handling,
        }
        if handling == "notice":
            row["notice_items"] = "社保证明；研发费用证明"
        if handling == "referred":
            row["referred_to"] = "盟市场监管局知识产权科"
            row["referral_deadline"] = (now + dt.timedelta(days=rng.randrange(-3, 10))).date()
        cons.append(row)
        if i % 40 == 39:
            pass
    counts["consultation"] = _many(desk, "consultation", cons)
    meds = []
    for i in range(max(3, n // 30)):
        a, b = rng.sample(companies, 2)
        meds.append({
            "source": "application",
            "applied_on": (now - dt.timedelta(days=rng.randrange(0, 5) if i % 2 else
                                              rng.randrange(5, 60))).date(),
            "applicants": [{"party_type": "org", "name": a[0], "uscc": a[1],
                            "legal_rep": person_name(rng), "phone": mobile(rng)}],
            "respondents": [{"party_type": "org", "name": b[0], "uscc": b[1]}],
            "right_type": "patent", "right_no": make_patent_no(rng),
            "dispute_type": "infringement",
            "facts": "被申请人生产销售的产品落入申请人专利权保护范围。",
            "claims": "请求停止侵权并赔偿损失。",
        })
    counts["mediation"] = _many(desk, "mediation", meds)
    ratings = []
    for _ in range(max(3, n // 20)):
        ratings.append({"service_no": "", "channel": "device",
                        "level": rng.choice(("5", "5", "4", "3", "2")),
                        "rated_at": now - dt.timedelta(days=rng.randrange(0, 30))})
    some_ids = desk.find_ids(__import__("xingan_desk.views", fromlist=["Query"]).Query(
        kind="consultation", limit=len(ratings)))
    rows = desk.rows_for_ids(some_ids)
    for r, rid in zip(ratings, some_ids, strict=False):
        r["service_no"] = rows[rid].receipt_no
    counts["rating"] = _many(desk, "rating", [r for r in ratings if r["service_no"]])
    return counts


def _many(desk: Any, kind: str, rows: list[dict[str, Any]]) -> int:
    if hasattr(desk, "create_many"):
        return int(desk.create_many(kind, rows))
    for row in rows:
        desk.create(kind, row)
    return len(rows)


def populate(desk: Any, n: int = 300, seed: int = 2026) -> dict[str, int]:
    """The core's demo generator when present, else ours."""
    try:
        from xingan_desk.demo import generate as core_generate  # type: ignore[import-not-found]
    except ImportError:
        return generate(desk, n, seed)
    return dict(core_generate(desk, n, seed=seed))
