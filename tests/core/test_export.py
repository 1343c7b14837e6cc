"""Export to xlsx/CSV: headers from the declarations, masking, audit, formula neutralising."""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from tests.conftest import ADMIN_PASSWORD, GOOD_CONSULTATION
from xingan_desk.errors import OutputFileError, PermissionDenied
from xingan_desk.export import (
    ENVELOPE_HEADER,
    export,
    neutralise,
    table_for,
    write_csv,
    write_xlsx,
)
from xingan_desk.records.kinds import KINDS
from xingan_desk.views import Query

CONSULTATION = KINDS["consultation"]
PHONE = "13812345678"
_HAN = re.compile(r"[\u4e00-\u9fff]")


def _consultation(desk: Any, **changes: Any) -> Any:
    view, _ = desk.create("consultation", {**GOOD_CONSULTATION, **changes})
    return view


def _sheet_rows(path: Path) -> list[list[Any]]:
    wb = load_workbook(path, read_only=True)
    try:
        ws = wb.active
        return [list(r) for r in ws.iter_rows(values_only=True)]
    finally:
        wb.close()


def _audit_actions(desk: Any) -> list[tuple[str, str]]:
    return [(a.action, a.detail) for a in desk.audit_trail(50)]


def test_table_for_header_and_cells_come_from_the_declaration(desk: Any) -> None:
    rec = _consultation(desk)
    header, rows = table_for(CONSULTATION, [rec])
    assert header[0] == "登记编号"
    assert header[: len(ENVELOPE_HEADER)] == list(ENVELOPE_HEADER)
    assert header[len(ENVELOPE_HEADER) :] == [f.label for f in CONSULTATION.export_fields]
    row = dict(zip(header, rows[0], strict=True))
    assert row["登记编号"] == rec.receipt_no
    assert row["状态"] == "已办结"
    assert row["旗县市"] == "扎赉特旗"
    assert row["窗口"] == "152223-02"
    assert row["咨询事项"] == "专利预审备案、政策咨询（资助/奖补）"  # choice labels, not codes
    assert row["开始时间"] == "2026-03-02 09:10"  # China time, as typed
    assert row["联系电话"] == "138****5678"
    unmasked = dict(zip(header, table_for("consultation", [rec], masked=False)[1][0], strict=True))
    assert unmasked["联系电话"] == PHONE


def test_group_fields_display_their_rows(desk: Any) -> None:
    from tests.conftest import GOOD_MEDIATION

    rec, _ = desk.create("mediation", GOOD_MEDIATION)
    header, rows = table_for("调解受理", [rec])
    cell = rows[0][header.index("申请人")]
    assert "扎赉特旗丰收农机制造有限公司" in cell and "法人或其他组织" in cell


def test_xlsx_round_trip_masked_by_default(desk: Any, tmp_path: Path) -> None:
    recs = [_consultation(desk), _consultation(desk, visitor_name="李强")]
    out = tmp_path / "咨询.xlsx"
    assert export(desk, "consultation", "xlsx", out) == 2
    rows = _sheet_rows(out)
    header = rows[0]
    assert header[0] == "登记编号"
    assert header[len(ENVELOPE_HEADER) :] == [f.label for f in CONSULTATION.export_fields]
    col = header.index("联系电话")
    assert [r[0] for r in rows[1:]] == [r.receipt_no for r in recs]  # oldest first
    assert {r[col] for r in rows[1:]} == {"138****5678"}
    assert all(PHONE not in str(c) for r in rows for c in r)
    uscc = rows[1][header.index("统一社会信用代码")]
    assert uscc == "91152201MA0N12340P" and isinstance(uscc, str)

    wb = load_workbook(out)
    ws = wb.active
    assert ws.title == "咨询登记"
    assert ws.freeze_panes == "A2"
    assert ws["A1"].font.b
    assert all(c.data_type == "s" for c in ws[2] if c.value is not None)
    width = ws.column_dimensions["A"].width
    assert width and width >= len(recs[0].receipt_no)
    question = header.index("咨询内容摘要") + 1
    from openpyxl.utils import get_column_letter

    assert ws.column_dimensions[get_column_letter(question)].width > width  # CJK counts double
    assert _audit_actions(desk)[0][0] == "export"


def test_unmasked_export_needs_admin_and_is_audited(desk: Any, tmp_path: Path) -> None:
    _consultation(desk)
    out = tmp_path / "full.xlsx"
    assert export(desk, "consultation", "xlsx", out, unmasked=True) == 1
    rows = _sheet_rows(out)
    assert rows[1][rows[0].index("联系电话")] == PHONE
    action, detail = _audit_actions(desk)[0]
    assert action == "export_unmasked"
    assert "1条" in detail and str(out) in detail

    desk.add_user("clerk1", "王芳", "clerk", ADMIN_PASSWORD)
    desk.use_account("clerk1")
    refused = tmp_path / "clerk.xlsx"
    with pytest.raises(PermissionDenied, match="管理员"):
        export(desk, "consultation", "xlsx", refused, unmasked=True)
    assert not refused.exists()
    assert export(desk, "consultation", "csv", tmp_path / "masked.csv") == 1  # masked is fine


def test_csv_has_bom_and_neutralises_formulas(desk: Any, tmp_path: Path) -> None:
    evil = "=cmd|' /C calc'!A0"
    _consultation(desk, question=evil, answer="+SUM(1,2)", basis="@import")
    out = tmp_path / "咨询.csv"
    assert export(desk, "咨询登记", "csv", out) == 1
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    with out.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["咨询内容摘要"] == "'" + evil
    assert row["答复内容"] == "'+SUM(1,2)"
    assert row["答复依据"] == "'@import"
    assert row["登记编号"].startswith("ZX-")

    xlsx = tmp_path / "咨询.xlsx"
    export(desk, "consultation", "xlsx", xlsx)
    wb = load_workbook(xlsx)
    ws = wb.active
    cells = [c for c in ws[2] if c.value == "'" + evil]
    assert cells and cells[0].data_type == "s"  # text, not a formula


@pytest.mark.parametrize("value", ["=1+1", "+1", "-1", "@x", "\tx", "\rx", "#N/A", "#REF!"])
def test_neutralise_prefixes_dangerous_starts(value: str) -> None:
    assert neutralise(value) == "'" + value
    assert neutralise("1522" + value) == "1522" + value


def test_writers_keep_long_digit_strings_as_text(tmp_path: Path) -> None:
    header = ["身份证号码", "金额"]
    rows = [["152223198704226160", "12000.50"], ["-5", ""]]
    assert write_xlsx(tmp_path / "a.xlsx", header, rows, "调解受理") == 2
    got = _sheet_rows(tmp_path / "a.xlsx")
    assert got[1] == ["152223198704226160", "12000.50"]
    assert got[2][0] == "'-5"
    assert write_csv(tmp_path / "a.csv", header, iter(rows)) == 2
    assert "152223198704226160" in (tmp_path / "a.csv").read_text(encoding="utf-8-sig")


def test_unwritable_path_gives_a_chinese_message(desk: Any, tmp_path: Path) -> None:
    _consultation(desk)
    not_a_dir = tmp_path / "file.txt"
    not_a_dir.write_text("x", encoding="utf-8")
    for target in (not_a_dir / "out.xlsx", tmp_path / "missing" / "out.csv", tmp_path):
        with pytest.raises(OutputFileError) as info:
            export(desk, "consultation", "xlsx" if target.suffix != ".csv" else "csv", target)
        message = str(info.value)
        assert _HAN.search(message) and str(target) in message
    assert "export" not in {a for a, _ in _audit_actions(desk)}  # nothing written, nothing logged
    with pytest.raises(OutputFileError, match="无法写入导出文件"):
        write_csv(not_a_dir / "x.csv", ["a"], [])


def test_failed_write_leaves_no_partial_file(tmp_path: Path) -> None:
    def rows() -> Any:
        yield ["1"]
        raise RuntimeError("boom")

    out = tmp_path / "x.csv"
    with pytest.raises(RuntimeError):
        write_csv(out, ["a"], rows())
    assert list(tmp_path.iterdir()) == []


def test_query_narrows_the_export_and_voided_records_are_left_out(
    desk: Any, tmp_path: Path
) -> None:
    keep = _consultation(desk, visitor_name="张三")
    other = _consultation(desk, visitor_name="李四")
    gone = _consultation(desk, visitor_name="王五")
    desk.void(gone.id, "重复登记")
    out = tmp_path / "all.csv"
    assert export(desk, "consultation", "csv", out) == 2
    text = out.read_text(encoding="utf-8-sig")
    assert keep.receipt_no in text and other.receipt_no in text and gone.receipt_no not in text
    assert export(desk, "consultation", "csv", out, query=Query(text="张三")) == 1
    assert other.receipt_no not in out.read_text(encoding="utf-8-sig")


def test_export_streams_in_pages(desk: Any, tmp_path: Path, monkeypatch: Any) -> None:
    import xingan_desk.export as exp

    monkeypatch.setattr(exp, "PAGE_SIZE", 2)
    pages: list[int] = []
    original = desk.rows_for_ids

    def spy(ids: Any) -> Any:
        pages.append(len(ids))
        return original(ids)

    monkeypatch.setattr(desk, "rows_for_ids", spy)
    made = [_consultation(desk, visitor_name=f"张{c}") for c in "一二三四五"]
    seen: list[tuple[int, int]] = []
    n = export(desk, "consultation", "csv", tmp_path / "p.csv",
               progress=lambda done, total: seen.append((done, total)))
    assert n == len(made)
    assert pages == [2, 2, 1]
    assert seen[-1] == (5, 5)
