"""Links between kinds, declared once (records/links.py): handovers, enterprise autofill and
registration, party rows on receipts."""

from __future__ import annotations

from typing import Any

from tests.conftest import GOOD_CONSULTATION, GOOD_MEDIATION
from xingan_desk.printing.receipts import party_rows
from xingan_desk.records import links
from xingan_desk.records.fields import GroupField
from xingan_desk.records.kinds import KINDS

USCC = "91152201MA0N12340P"
# what the enterprise registry knows about the consultation's enterprise: another person
REGISTRY_ENTRY: dict[str, Any] = {
    "uscc": USCC, "name": "兴安新材料有限公司", "county_code": "152201",
    "legal_rep": "赵刚", "address": "乌兰浩特市经济技术开发区", "industry": "new_materials",
    "contact_name": "姚佳琪", "contact_phone": "13657174179",
    "contact_email": "ip@example.cn", "invention_patents": 3, "has_ip_rules": True,
}


def _consultation(**changes: Any) -> dict[str, Any]:
    kind = KINDS["consultation"]
    values, errors = kind.clean({**GOOD_CONSULTATION, **changes})
    assert errors == {}
    return values


def test_filing_handover_takes_the_visitor_as_contact_not_the_registry_contact() -> None:
    pre = links.handover_values("consultation", _consultation(), "preexam_filing",
                                receipt_no="ZX-152223-02-2026-000001", enterprise=REGISTRY_ENTRY)
    # the person who came is the filing's contact (issue 11: not the registry's 姚佳琪)
    assert (pre["contact_name"], pre["contact_phone"]) == ("王芳", "13812345678")
    assert pre["enterprise_uscc"] == USCC and pre["enterprise_name"] == "兴安新材料有限公司"
    assert pre["source_consultation"] == "ZX-152223-02-2026-000001"
    # what the consultation did not say comes from the registry
    assert pre["county_code"] == "152201" and pre["field"] == "new_materials"
    assert pre["contact_email"] == "ip@example.cn" and pre["invention_patents"] == 3
    assert pre["has_ip_rules"] is True


def test_filing_handover_without_a_visitor_takes_the_registry_contact() -> None:
    cons = _consultation(visitor_name=None, visitor_phone=None)
    pre = links.handover_values("consultation", cons, "preexam_filing", enterprise=REGISTRY_ENTRY)
    assert (pre["contact_name"], pre["contact_phone"]) == ("姚佳琪", "13657174179")
    alone = links.handover_values("consultation", _consultation(visitor_region="152223"),
                                  "preexam_filing")
    assert alone["county_code"] == "152223"  # no registry entry: where the visitor is from


def test_mediation_handover_makes_the_enterprise_the_first_applicant() -> None:
    med = links.handover_values("consultation", _consultation(), "mediation",
                                enterprise=REGISTRY_ENTRY)
    assert med["facts"] == GOOD_CONSULTATION["question"]
    assert med["applicants"] == [{
        "party_type": "org", "name": "兴安新材料有限公司", "uscc": USCC, "legal_rep": "赵刚",
        "phone": "13812345678", "address": "乌兰浩特市经济技术开发区",
    }]
    person = links.handover_values("consultation", _consultation(
        visitor_type="person", enterprise_name=None, enterprise_uscc=None), "mediation")
    assert person["applicants"] == [{"party_type": "person", "name": "王芳",
                                     "phone": "13812345678"}]
    _, errors = KINDS["mediation"].clean({**GOOD_MEDIATION, "applicants": med["applicants"]})
    assert "applicants" not in errors


def test_only_declared_handovers_exist() -> None:
    assert links.handover_targets("consultation") == ("preexam_filing", "mediation")
    assert [h.label for h in links.handovers("consultation")] == ["转预审备案", "转调解受理"]
    assert links.handover_targets("mediation") == ()
    assert links.handover_sources("mediation") == ("consultation",)
    assert links.handover_link_field("consultation") == "handed_over_to"
    try:
        links.handover_values("mediation", {}, "preexam_filing")
    except KeyError:
        pass
    else:
        raise AssertionError("an undeclared handover must be refused")


def test_enterprise_autofill_never_overwrites_what_was_typed() -> None:
    typed = {"contact_name", "contact_phone", "enterprise_name"}
    fill = links.enterprise_fill("preexam_filing", REGISTRY_ENTRY, typed)
    assert not typed & set(fill)
    assert fill["county_code"] == "152201" and fill["contact_email"] == "ip@example.cn"
    assert "enterprise_uscc" not in fill  # the code itself is what was looked up


def test_enterprise_autofill_never_gives_a_visitor_the_contact_phone() -> None:
    fill = links.enterprise_fill("consultation", REGISTRY_ENTRY, typed_keys=())
    assert "visitor_phone" not in fill and "visitor_name" not in fill
    assert fill == {"enterprise_name": "兴安新材料有限公司", "visitor_region": "152201"}


def test_enterprise_autofill_skips_values_the_field_does_not_accept() -> None:
    fill = links.enterprise_fill("preexam_filing", {**REGISTRY_ENTRY, "industry": "new_energy"},
                                 typed_keys=())
    assert "field" not in fill  # 新能源 is no pre-examination field: the clerk chooses
    assert links.enterprise_fill("enterprise", REGISTRY_ENTRY, typed_keys=()) == {}


def test_an_unknown_enterprise_is_registered_from_the_record_that_names_it() -> None:
    ent = links.enterprise_from("consultation", _consultation(), default_county="152223")
    assert ent == {"uscc": USCC, "name": "兴安新材料有限公司", "county_code": "152201",
                   "contact_name": "王芳", "contact_phone": "13812345678"}
    other = links.enterprise_from("consultation", _consultation(
        enterprise_uscc="91110000100000000R"), default_county="152223")
    assert other is not None and other["county_code"] == "152223"  # a code from elsewhere
    assert links.enterprise_from("consultation", _consultation(enterprise_name=None,
                                                               visitor_type="person")) is None
    assert links.enterprise_from("mediation", dict(GOOD_MEDIATION)) is None
    case = {"applicant_uscc": USCC, "applicant_name": "兴安新材料有限公司",
            "contact_name": "李娜", "contact_phone": "13900001111"}
    ent = links.enterprise_from("preexam_case", case, default_county="152223")
    assert ent is not None and ent["contact_name"] == "李娜" and ent["name"] == "兴安新材料有限公司"


def test_credit_code_fields_of_each_kind() -> None:
    assert links.uscc_fields("consultation") == ("enterprise_uscc",)
    assert links.uscc_fields("enterprise") == ("uscc",)
    assert links.uscc_fields("preexam_case") == ("applicant_uscc",)
    assert links.uscc_fields("mediation") == ()  # parties' codes are not the record's
    assert links.uscc_of("preexam_filing", {"enterprise_uscc": USCC}) == USCC
    assert links.uscc_of("consultation", {"enterprise_uscc": None}) is None
    assert links.is_registry("enterprise") and not links.is_registry("consultation")
    assert [k for k in KINDS if links.registers_enterprise(k)] == [
        "consultation", "preexam_filing", "preexam_case", "patent", "pledge", "insurance"]
    # the ledgers name enterprises by the registry's roles (autofill, registration)
    assert links.uscc_fields("patent") == ("patentee_uscc",)
    assert links.uscc_fields("agency") == ()  # an agency is not an enterprise of the registry


def test_receipt_shows_party_name_and_masked_phone_only(desk: Any) -> None:
    person = {"party_type": "person", "name": "李明", "id_number": "152201199003071238",
              "phone": "13812345678", "gender": "male", "ethnicity": "蒙古族",
              "address": "乌兰浩特市兴安街道"}
    rec, _ = desk.create("mediation", {**GOOD_MEDIATION, "respondents": [
        *GOOD_MEDIATION["respondents"], person]})
    group = KINDS["mediation"].field("respondents")
    assert isinstance(group, GroupField)
    rows = party_rows(rec, group)
    assert [heading for heading, _ in rows] == ["被申请人（1）", "被申请人（2）"]
    text = rows[1][1]
    assert text.startswith("李明（")
    assert "联系电话：138****5678" in text and "身份证号码：152***********1238" in text
    assert "13812345678" not in text and "蒙古族" not in text and "兴安街道" not in text
    assert "类型" not in text  # the party type is not a detail
    applicants = KINDS["mediation"].field("applicants")
    assert isinstance(applicants, GroupField)
    assert party_rows(rec, applicants) == [(
        "申请人", "扎赉特旗丰收农机制造有限公司（统一社会信用代码：93152223MA0R5K6L3R；"
                  "法定代表人：张建国；联系电话：0482-***2345）")]
