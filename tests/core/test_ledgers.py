"""The plan's ledgers (records/ledger_kinds.py) as a clerk and a supervisor meet them: forms that
refuse wrong values beside the field, the patent type and the high-value categories taken from
the data, the pledge workflow and the banks' push list, exports, and every numeric target of the
plan with its figure in the statistics."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from tests.ledger_data import (
    AGENCY,
    INSURANCE,
    LEDGERS,
    NAVIGATION,
    PATENT,
    PLEDGE,
    PLEDGE_REGISTER,
    USCC,
)
from xingan_desk import validation as v
from xingan_desk.errors import ValidationFailed
from xingan_desk.records.kinds import KINDS
from xingan_desk.stats import Period, compute
from xingan_desk.views import Query


def _invention_no(serial: int, year: int = 2023) -> str:
    body = f"{year}1{serial:07d}"
    return f"ZL{body}.{v.patent_check_char(body)}"


def test_every_ledger_kind_is_declared_once_and_registered() -> None:
    for key in ("patent", "pledge", "insurance", "navigation", "agency"):
        kind = KINDS[key]
        assert kind.list_fields and kind.export_fields and kind.receipt_fields
        assert kind.has_field("county_code") and kind.county_field is None  # the window's
    prefixes = [k.number_prefix for k in KINDS.values()]
    assert len(prefixes) == len(set(prefixes))
    assert KINDS["enterprise"].has_field("advantage_pool")


def test_wrong_values_are_refused_beside_the_field(desk: Any) -> None:
    with pytest.raises(ValidationFailed) as exc:
        desk.create("patent", {**PATENT, "patent_no": "ZL201310699744.3",
                               "granted_on": "2012-01-01", "legal_status": "失效"})
    errors = exc.value.errors
    assert "校验位" in errors["patent_no"]
    assert errors["granted_on"] == "授权日不能早于申请日"
    assert errors["lapsed_on"] == "失效或届满的专利请填写失效/届满日"
    with pytest.raises(ValidationFailed) as exc:
        desk.create("agency", {**AGENCY, "parent_name": ""})
    assert exc.value.errors == {"parent_name": "分支机构请填写所属代理机构"}
    with pytest.raises(ValidationFailed) as exc:
        desk.create("insurance", {**INSURANCE, "ends_on": "2025-01-01"})
    assert exc.value.errors == {"ends_on": "保险止期不能早于起期"}
    with pytest.raises(ValidationFailed) as exc:
        desk.create("enterprise", {"uscc": USCC, "name": "兴安盟沙棘生物科技有限公司",
                                   "county_code": "152223", "advantage_pool": True})
    assert exc.value.errors == {"advantage_pool_year": "纳入知识产权优势企业培育库时请填写入库年度"}


def test_patent_type_and_high_value_categories_come_from_the_data(desk: Any) -> None:
    rec, _ = desk.create("patent", PATENT)
    assert rec.receipt_no.startswith("ZL-152223-02-")
    assert rec.status == "assessed"  # 系统判断 on entry, waiting for the clerk's 核定
    assert rec.display("patent_type") == "发明"
    assert rec.values["years_maintained"] >= 12
    assert rec.display("hv_derived") == ("战略性新兴产业发明专利、有海外同族专利、维持年限超过10年、"
                                         "获国家科学技术奖或中国专利奖")
    # the patentee joined the enterprise registry (records/links.py)
    assert desk.find_ids(Query(kind="enterprise", text=USCC))
    confirmed, _ = desk.act(rec.id, "confirm", {"hv_confirmed": "战略性新兴产业发明专利、有海外同族专利",
                                                "hv_confirmed_on": "2025-06-30"})
    assert confirmed.status == "confirmed"
    assert confirmed.display("hv_confirmed") == "战略性新兴产业发明专利、有海外同族专利"
    utility, _ = desk.create("patent", {**PATENT, "patent_no": "ZL202320000001.0",
                                        "title": "一种发酵罐温控装置"})
    assert utility.display("patent_type") == "实用新型"
    assert utility.values["hv_derived"] == []  # the annex counts invention patents only


def test_pledge_workflow_and_the_push_list_for_banks(desk: Any, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    from xingan_desk.pledge_push import push_list

    done, _ = desk.create("pledge", PLEDGE)
    desk.act(done.id, "match", {"matched_on": "2025-03-01", "matched_bank": "中国银行兴安盟分行"})
    with pytest.raises(ValidationFailed) as exc:
        desk.act(done.id, "register", {**PLEDGE_REGISTER, "amount_wan": ""})
    assert "amount_wan" in exc.value.errors
    desk.act(done.id, "register", PLEDGE_REGISTER)
    lent, _ = desk.act(done.id, "disburse", {"loan_on": "2025-03-28", "loan_wan": "1200"})
    assert lent.status == "disbursed" and lent.due_label == "质押到期"
    released, _ = desk.act(done.id, "release", {"released_on": "2027-03-28"})
    assert released.status_label == "已解押"
    open_one, _ = desk.create("pledge", {**PLEDGE, "enterprise_name": "兴安盟稻米加工有限公司",
                                         "amount_wanted_wan": "300", "surveyed_on": "2025-08-01"})
    out = tmp_path / "推送清单.xlsx"
    assert push_list(desk, out) == 1
    rows = list(load_workbook(out).active.iter_rows(values_only=True))
    assert rows[0][:4] == ("登记编号", "办理阶段", "调查日期", "企业名称")
    assert rows[1][0] == open_one.receipt_no and rows[1][1] == "需求调查"
    assert "兴安盟稻米加工有限公司" in rows[1] and "300.00" in rows[1]
    assert "139****5678" in rows[1]  # phones masked for the banks


@pytest.mark.parametrize("kind", sorted(LEDGERS))
def test_each_ledger_exports_with_its_declared_columns(desk: Any, tmp_path: Path,
                                                       kind: str) -> None:
    from openpyxl import load_workbook

    from xingan_desk.export import export, header_for

    rec, _ = desk.create(kind, LEDGERS[kind])
    out = tmp_path / f"{kind}.xlsx"
    assert export(desk, kind, "xlsx", out) == 1
    rows = list(load_workbook(out).active.iter_rows(values_only=True))
    assert list(rows[0]) == header_for(kind)
    assert rows[1][0] == rec.receipt_no


def _fill_the_ledgers(desk: Any) -> None:
    desk.create("patent", PATENT)  # granted 2016: high value, awarded 2024, in a portfolio
    desk.create("patent", {**PATENT, "patent_no": _invention_no(1, 2023), "granted_on": "2025-03-01",
                           "filed_on": "2023-02-01", "awards": [], "overseas_family": "",
                           "sei_field": "", "portfolio": ""})
    pledge, _ = desk.create("pledge", PLEDGE)
    desk.act(pledge.id, "register", PLEDGE_REGISTER)
    desk.create("insurance", INSURANCE)
    desk.create("navigation", NAVIGATION)
    desk.create("agency", AGENCY)


def test_every_numeric_target_of_the_plan_has_its_figure(desk: Any) -> None:
    _fill_the_ledgers(desk)
    report = compute(desk, Period.year(2025), today=dt.date(2026, 1, 10))
    figures = {tp.target.key: tp for tp in report.targets}
    assert {k: figures[k].actual for k in (
        "high_value_patents", "invention_granted", "hv_portfolios", "pledge_amount",
        "navigation_projects", "insurance_policies", "patent_awards", "agencies")} == {
        "high_value_patents": 1, "invention_granted": 1, "hv_portfolios": 1,
        "pledge_amount": 1200, "navigation_projects": 1, "insurance_policies": 1,
        "patent_awards": 1, "agencies": 1}
    # a county window reports its county's share of the League's target
    assert figures["pledge_amount"].text == "知识产权质押融资额度 1200 / 20000 万元（全盟2025年累计目标）"
    assert figures["agencies"].status == "本旗县市数（全盟目标）"
    assert figures["insurance_policies"].in_year == 1  # began in 2025
    assert figures["patent_awards"].in_year == 0  # the award is of 2024
    assert figures["pledge_amount"].by_county == ()  # per county at the League's scope only
    section = report.sections()[0]
    labels = [row[0] for row in section.tables[0].rows]
    assert "高价值专利" in labels and "专利代理机构" in labels
    ledgers = next(s for s in report.sections() if s.key == "ledgers")
    assert dict(ledgers.summary)["高价值专利（有效发明专利）"] == 1


def test_supervisors_see_figures_per_clerk_and_per_window(desk: Any) -> None:
    from tests.conftest import GOOD_CONSULTATION

    _fill_the_ledgers(desk)
    desk.create("consultation", GOOD_CONSULTATION)
    today = dt.date.today()
    report = compute(desk, Period.year(today.year))
    staff = next(s for s in report.sections() if s.key == "staff")
    clerks, windows = staff.tables
    assert clerks.header[:4] == ("工作人员", "咨询", "登记", "评价")
    (clerk,) = clerks.rows
    assert clerk[1] == 1 and clerk[2] == 7  # six ledger entries and the consultation
    (window,) = windows.rows
    assert window[0] == "扎赉特旗 02号窗口" and window[1:3] == clerk[1:3]


def test_push_list_from_the_command_line(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    from openpyxl import load_workbook

    from tests.conftest import ADMIN_PASSWORD
    from xingan_desk.desk import Desk

    d = Desk.initialise(tmp_path / "w", "152223", "02", admin_password=ADMIN_PASSWORD)
    d.use_account("admin")
    d.create("pledge", PLEDGE)
    d.add_user("lina", "李娜", "clerk", "Clerk2026a")
    d.close()

    def run(*args: str, password: str = ADMIN_PASSWORD) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "xingan_desk", "pledge-push", "--data-dir",
             str(tmp_path / "w"), *args], text=True, capture_output=True, timeout=120,
            env={**os.environ, "XINGAN_DESK_PASSWORD": password})

    out = tmp_path / "推送清单.xlsx"
    ok = run("--out", str(out))
    assert ok.returncode == 0, ok.stderr
    assert f"已导出质押融资需求推送清单 1 条到 {out}" in ok.stdout
    rows = list(load_workbook(out).active.iter_rows(values_only=True))
    assert len(rows) == 2 and "139****5678" in rows[1]
    refused = run("--out", str(tmp_path / "x.xlsx"), "--unmasked", "--user", "lina",
                  password="Clerk2026a")
    assert refused.returncode == 1 and "管理员" in refused.stderr
    assert not (tmp_path / "x.xlsx").exists()


def test_the_working_parameters_are_printed_as_used() -> None:
    from xingan_desk.records.ledger_kinds import (
        HIGH_VALUE_MAINTAINED_YEARS,
        HIGH_VALUE_PLEDGE_WAN,
    )
    from xingan_desk.stats import DEFINITIONS, load_targets

    note = {t.key: t for t in load_targets().targets}["high_value_patents"].measure_note
    definition = dict(DEFINITIONS)["高价值专利"]
    for text in (note, definition):
        assert f"{HIGH_VALUE_PLEDGE_WAN}万元" in text
        assert f"维持满{HIGH_VALUE_MAINTAINED_YEARS}年" in text
