"""A store with known records around March 2026, for the statistics tests (core, UI, CLI).

Everything goes through Desk.create / act / void like a clerk's work. What a supervisor should
read for March 2026 (the figures the tests assert) is written next to each record.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from tests.conftest import GOOD_CONSULTATION, GOOD_MEDIATION
from xingan_desk.demo import random_application_no, random_grant_pub_no, random_uscc

MARCH = (dt.date(2026, 3, 1), dt.date(2026, 3, 31))


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def _consultation(desk: Any, started: str, topics: list[str], **extra: Any) -> Any:
    rec, _ = desk.create("consultation", {**GOOD_CONSULTATION, "started_at": started,
                                          "topics": topics, **extra})
    return rec


def build(desk: Any) -> dict[str, Any]:
    """Fill `desk` (any window; acting as admin) and return the records by name."""
    recs: dict[str, Any] = {}
    # --- consultations: March has c1, c2, c3 (3 consultations, 6 topic mentions)
    recs["c1"] = _consultation(desk, "2026-03-02 09:10", ["preexam", "policy"])
    recs["c2"] = _consultation(desk, "2026-03-31 23:30", ["preexam"], channel="phone",
                               handling="notice", notice_items="近3个月社保缴纳证明")
    recs["c3"] = _consultation(desk, "2026-03-15 10:00", ["policy", "mediation", "trademark"],
                               channel="online", handling="referred", referred_to="盟市场监管局")
    recs["c4_void"] = _consultation(desk, "2026-03-16 10:00", ["preexam"])
    desk.void(recs["c4_void"].id, "重复登记")
    recs["c5_april"] = _consultation(desk, "2026-04-01 00:10", ["preexam"])
    recs["c6_feb"] = _consultation(desk, "2026-02-28 23:59", ["preexam"])
    service = recs["c1"].receipt_no

    # --- ratings: March has 5,5,4,3 (good) and 2 (real name, followed up) and 1 (open)
    def rate(level: str, when: str, **extra: Any) -> Any:
        rec, _ = desk.create("rating", {"service_no": service, "channel": "device",
                                        "level": level, "rated_at": when, **extra})
        return rec

    for i, level in enumerate(("5", "5", "4", "3")):
        recs[f"r{level}_{i}"] = rate(level, f"2026-03-{10 + i:02d} 10:00")
    recs["r2"] = rate("2", "2026-03-20 11:00", real_name=True, rater_name="王芳",
                      rater_phone="13812345678")
    desk.act(recs["r2"].id, "verify", {"verifier": "孙伟", "verification": "true",
                                       "rectification": "加强窗口值守", "rectify_by": "2026-03-27"})
    desk.act(recs["r2"].id, "rectified", {"rectified_on": "2026-03-25"})
    desk.act(recs["r2"].id, "call_back", {"callback_on": "2026-03-26",
                                          "callback_result": "评价人认可整改"})
    recs["r1"] = rate("1", "2026-03-21 11:00")
    recs["r1_void"] = rate("1", "2026-03-22 11:00")
    desk.void(recs["r1_void"].id, "误录")
    recs["r1_april"] = rate("1", "2026-04-02 11:00")

    # --- enterprises for the plan's targets: key support 2026 (+ 贯标) and 2025; one voided
    rng = random.Random(7)

    def enterprise(name: str, **extra: Any) -> Any:
        rec, _ = desk.create("enterprise", {"uscc": random_uscc(rng, "152223"), "name": name,
                                            "county_code": "152223", **extra})
        return rec

    recs["e2026"] = enterprise("扎赉特旗稻香米业有限公司", key_support=True, key_support_year=2026,
                               gb29490_certified=True, gb29490_cert_no="165IP260001R0S")
    recs["e2025"] = enterprise("扎赉特旗绿野农机有限公司", key_support=True, key_support_year=2025)
    recs["e_void"] = enterprise("扎赉特旗重复录入有限公司", key_support=True, key_support_year=2026)
    desk.void(recs["e_void"].id, "重复录入")

    # --- 预审备案: March has F1 (new, 通过) and F2 (new, 不通过); F3 was guided in February
    def filing(guided: str, fld: str) -> Any:
        rec, _ = desk.create("preexam_filing", {
            **desk.handover(recs["c1"].id, "preexam_filing"), "field": fld,
            "invention_patents": 1, "contact_name": "王芳", "contact_phone": "13812345678",
            "guided_on": guided})
        return rec

    recs["f1"] = filing("2026-03-05", "new_materials")
    desk.act(recs["f1"].id, "register", {"platform_registered_on": "2026-03-06"})
    desk.act(recs["f1"].id, "submit", {"submitted_on": "2026-03-10"})
    desk.act(recs["f1"].id, "approve", {"result_on": "2026-03-20"})
    recs["f2"] = filing("2026-03-06", "bio")
    desk.act(recs["f2"].id, "register", {"platform_registered_on": "2026-03-07"})
    desk.act(recs["f2"].id, "submit", {"submitted_on": "2026-03-11"})
    desk.act(recs["f2"].id, "request_correction", {"correction_deadline": "2026-03-18"})
    desk.act(recs["f2"].id, "submit", {"submitted_on": "2026-03-20"})
    desk.act(recs["f2"].id, "reject", {"result_on": "2026-03-25", "result_reason": "研发人员不足"})
    recs["f3"] = filing("2026-02-20", "bio")
    desk.act(recs["f3"].id, "register", {"platform_registered_on": "2026-02-21"})
    desk.act(recs["f3"].id, "submit", {"submitted_on": "2026-03-02"})
    desk.act(recs["f3"].id, "approve", {"result_on": "2026-04-02"})

    # --- 预审案件: March: K1 合格 (filed and granted in March, 高价值: strategic), K2 不合格
    # (合格率 50%); K3 withdrawn (today); K4 合格 in April, granted in April (no category)
    def case(ptype: str, submitted: str, **extra: Any) -> Any:
        title, ipc = (("一种玄武岩纤维增强复合材料", "C08K 3/04") if ptype == "invention"
                      else ("一种秸秆打捆装置", "A01F 15/08"))
        rec, _ = desk.create("preexam_case", {
            "filing_no": recs["f1"].receipt_no, "applicant_name": "兴安新材料有限公司",
            "patent_type": ptype, "title": title, "ipc_main": ipc, **extra})
        desk.act(rec.id, "submit", {"submitted_on": submitted})
        return rec

    def grant(rec: Any, filed: str, granted: str) -> None:
        desk.act(rec.id, "file", {"filed_on": filed,
                                  "application_no": random_application_no(rng, 2026, "invention")})
        desk.act(rec.id, "grant", {"grant_pub_no": random_grant_pub_no(rng, "invention"),
                                   "granted_on": granted})

    recs["k1"] = case("invention", "2026-03-01", high_value=["strategic"])
    desk.act(recs["k1"].id, "qualify", {"concluded_on": "2026-03-10"})
    grant(recs["k1"], "2026-03-12", "2026-03-26")
    recs["k2"] = case("utility", "2026-03-02")
    desk.act(recs["k2"].id, "disqualify", {"concluded_on": "2026-03-12",
                                           "conclusion_reason": "主分类号不在备案领域内"})
    recs["k3"] = case("invention", "2026-03-03")
    desk.act(recs["k3"].id, "withdraw", {"conclusion_reason": "申请人撤回"})
    recs["k4"] = case("invention", "2026-03-04")
    desk.act(recs["k4"].id, "qualify", {"concluded_on": "2026-04-05"})
    grant(recs["k4"], "2026-04-08", "2026-04-20")
    recs["k5_void"] = case("utility", "2026-03-05")
    desk.act(recs["k5_void"].id, "qualify", {"concluded_on": "2026-03-15"})
    desk.void(recs["k5_void"].id, "重复登记")

    # --- 调解: March: applied M1 M2 M3 M5 (4); accepted M1 M2 M4 (3); refused M3; M1 settled
    # (written) and 司法确认 confirmed; M2 terminated; M4 withdrawn after acceptance;
    # January: M7 accepted. Year to the end of March: 4 accepted (plan: ≥10 a year).
    def mediation(applied: str, source: str = "application") -> Any:
        extra = {"referring_body": "扎赉特旗人民法院"} if source in ("court", "admin") else {}
        rec, _ = desk.create("mediation", {**GOOD_MEDIATION, "applied_on": applied,
                                           "source": source, **extra})
        return rec

    def accept(rec: Any, on: str) -> None:
        desk.act(rec.id, "accept", {"accepted_on": on, "mediator": "赵敏"})

    recs["m1"] = m1 = mediation("2026-03-02")
    accept(m1, "2026-03-03")
    desk.act(m1.id, "start", {"consent": "agreed", "started_on": "2026-03-05"})
    desk.act(m1.id, "settle", {"outcome": "written", "agreement": "被申请人赔偿8万元。",
                               "agreement_effective_on": "2026-03-20"})
    desk.act(m1.id, "apply_confirmation", {"confirmation_applied_on": "2026-03-21",
                                           "confirmation_court": "扎赉特旗人民法院"})
    desk.act(m1.id, "confirm", {"confirmation_result_on": "2026-03-28"})
    recs["m2"] = m2 = mediation("2026-03-05", "court")
    accept(m2, "2026-03-06")
    desk.act(m2.id, "terminate", {"termination_reason": "no_agreement", "closed_on": "2026-03-25"})
    recs["m3"] = m3 = mediation("2026-03-10")
    desk.act(m3.id, "refuse", {"refusal_reason": "out_of_scope", "closed_on": "2026-03-11"})
    recs["m4"] = m4 = mediation("2026-02-25")
    accept(m4, "2026-03-01")
    desk.act(m4.id, "withdraw", {"closed_on": "2026-03-15"})
    recs["m5"] = mediation("2026-03-12", "admin")
    recs["m6_void"] = mediation("2026-03-03")
    accept(recs["m6_void"], "2026-03-04")
    desk.void(recs["m6_void"].id, "重复登记")
    recs["m7"] = m7 = mediation("2026-01-10")
    accept(m7, "2026-01-12")
    return recs
