"""The Desk facade: saving, numbering, validation, search, workflow, audit, outbox."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from tests.conftest import ADMIN_PASSWORD, GOOD_CONSULTATION, GOOD_MEDIATION
from xingan_desk.desk import Desk, restore
from xingan_desk.errors import (
    Conflict,
    IllegalTransition,
    NotFound,
    NotInitialised,
    PermissionDenied,
    StoreError,
    ValidationFailed,
)
from xingan_desk.numbering import parse_receipt_no
from xingan_desk.storage import db as dbmod
from xingan_desk.views import Query


def _outbox(desk: Desk) -> list[tuple[int, str, str]]:
    with desk.engine.connect() as c:
        return [tuple(r) for r in c.execute(text("SELECT local_seq, entity, op FROM outbox"))]


def _audit(desk: Desk) -> list[tuple[str, str]]:
    with desk.engine.connect() as c:
        return [tuple(r) for r in c.execute(text("SELECT action, username FROM audit_log"))]


def test_saved_consultation_gets_number_status_audit_and_outbox(desk: Desk) -> None:
    rec, changes = desk.create("consultation", GOOD_CONSULTATION)
    parsed = parse_receipt_no(rec.receipt_no)
    assert parsed is not None
    assert (parsed.prefix, parsed.county, parsed.window, parsed.seq) == ("ZX", "152223", "02", 1)
    assert rec.status_label == "已办结"  # answered on the spot
    assert rec.owner == "152223-02" and rec.created_by == "admin"
    # the unknown enterprise was added to the registry in the same transaction
    ent = desk.enterprise_by_uscc("91152201ma0n12340p")
    assert ent is not None and ent.values["name"] == "兴安新材料有限公司"
    assert ent.county_code == "152201"  # from the credit code's region digits
    assert changes.kinds == {"consultation", "enterprise"} and changes.needs_sync
    ops = [(e, o) for _, e, o in _outbox(desk)]
    assert ops == [("record", "create"), ("event", "event"), ("record", "create")]
    assert ("create", "admin") in _audit(desk)


def test_refused_input_names_fields_and_saves_nothing(desk: Desk) -> None:
    bad = {
        **GOOD_CONSULTATION,
        "visitor_name": "王" * 5000,
        "visitor_phone": "1381234567",
        "enterprise_uscc": "91512081MA62K0260F",
        "ip_numbers": "202210123456.7",
        "question": "",
    }
    with pytest.raises(ValidationFailed) as info:
        desk.create("consultation", bad)
    errors = info.value.errors
    assert "不能超过50个字" in errors["visitor_name"]
    assert "11位" in errors["visitor_phone"]
    assert "应为 E" in errors["enterprise_uscc"]
    assert "1" in errors["ip_numbers"] and "202210123456.7" in errors["ip_numbers"]
    assert errors["question"] == "请填写咨询内容摘要"
    assert next(iter(errors)) == "visitor_name"  # form order: focus goes to the first
    assert desk.count(Query()) == 0 and _outbox(desk) == []
    rec, _ = desk.create("consultation", GOOD_CONSULTATION)
    assert parse_receipt_no(rec.receipt_no).seq == 1  # the failed save used no number


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("started_at", "2023-02-29 10:00", "不是有效日期"),
        ("visitor_name", "王芳😀", "😀"),
        ("question", "咨询\x07内容", "控制字符"),
        ("topics", "火星探测", "不在可选范围"),
        ("channel", "飞鸽传书", "不在可选范围"),
    ],
)
def test_bad_values_get_chinese_message(desk: Desk, field: str, value: str, expected: str) -> None:
    with pytest.raises(ValidationFailed) as info:
        desk.create("consultation", {**GOOD_CONSULTATION, field: value})
    assert expected in info.value.errors[field]


def test_sql_fragments_full_width_and_line_breaks_are_plain_text(desk: Desk) -> None:
    rec, _ = desk.create("consultation", {
        **GOOD_CONSULTATION,
        "visitor_name": "𠮷野",
        "enterprise_name": "x'); DROP TABLE record;--\n公司",
        "enterprise_uscc": "９１１５２２０１ＭＡ０Ｎ１２３４０Ｐ",
        "question": "第一行\r\n第二行",
    })
    got = desk.get(rec.id).values
    assert got["enterprise_name"] == "x'); DROP TABLE record;-- 公司"  # one line
    assert got["enterprise_uscc"] == "91152201MA0N12340P"
    assert got["question"] == "第一行\n第二行"
    assert got["visitor_name"] == "𠮷野"
    assert desk.check() == []


def test_search_short_chinese_names_codes_numbers_and_phone_tail(desk: Desk) -> None:
    a, _ = desk.create("consultation", GOOD_CONSULTATION)
    b, _ = desk.create("consultation", {**GOOD_CONSULTATION, "visitor_name": "王芳芳",
                                        "visitor_phone": "13900001111",
                                        "enterprise_name": "阿尔山生物科技有限公司",
                                        "enterprise_uscc": None,
                                        "ip_numbers": "ZL201710601862.3"})
    c, _ = desk.create("consultation", {**GOOD_CONSULTATION, "visitor_name": "李王",
                                        "enterprise_name": "突泉县农机厂", "enterprise_uscc": None})

    def ids(q: str, kind: str = "consultation") -> set[str]:
        return set(desk.find_ids(Query(kind=kind, text=q)))

    assert ids("王芳") == {a.id, b.id}
    assert ids("王") == {a.id, b.id, c.id}
    assert ids("芳芳") == {b.id}
    assert ids("王芳芳") == {b.id}
    assert ids("生物科技") == {b.id}
    assert ids("9115") == {a.id}  # credit-code prefix
    assert ids("1111") == {b.id}  # phone tail
    assert ids("201710601862") == {b.id}  # IP number
    assert ids(c.receipt_no.lower()) == {c.id}
    assert ids("芳王") == set()  # bigram AND must still be a real substring
    desk.void(c.id, "重复登记")
    assert ids("李王") == set()
    assert set(desk.find_ids(Query(kind="consultation", text="李王", include_voided=True))) == {c.id}


def test_sorting_and_filters_in_sql(desk: Desk) -> None:
    for name in ("赵一", "钱二", "孙三"):
        desk.create("consultation", {**GOOD_CONSULTATION, "visitor_name": name,
                                     "enterprise_uscc": None})
    names = [r.values["visitor_name"] for r in desk.search(
        Query(kind="consultation", order_by="visitor_name", descending=False))]
    assert names == sorted(names)
    today = dt.datetime.now(dt.UTC).astimezone(dt.timezone(dt.timedelta(hours=8))).date()
    assert desk.count(Query(kind="consultation", date_from=today, date_to=today)) == 3
    assert desk.count(Query(kind="consultation", date_to=today - dt.timedelta(days=1))) == 0
    assert desk.count(Query(kind="consultation", status="closed", county="152223")) == 3
    assert desk.count(Query(kind="consultation", created_by="nobody")) == 0


def test_update_is_audited_old_to_new_and_refuses_stale_versions(desk: Desk) -> None:
    rec, _ = desk.create("enterprise", {"uscc": "93152223MA0R5K6L3R", "name": "扎赉特旗合作社",
                                        "county_code": "152223"})
    new, changes = desk.update(rec.id, {"contact_phone": "0482-6012345"}, rec.version)
    assert new.version == rec.version + 1 and changes.needs_sync
    _, audit = desk.history(rec.id)
    assert audit[-1].action == "update"
    assert audit[-1].changes == {"contact_phone": [None, "0482-6012345"]}
    with pytest.raises(Conflict):
        desk.update(rec.id, {"contact_phone": "0482-6099999"}, rec.version)
    with pytest.raises(ValidationFailed) as info:
        desk.update(rec.id, {"uscc": "91152201MA0N12340P"}, new.version)
    assert "不能修改" in info.value.errors["uscc"]
    with pytest.raises(ValidationFailed) as info:
        desk.create("enterprise", {"uscc": "93152223MA0R5K6L3R", "name": "重复",
                                   "county_code": "152223"})
    assert rec.receipt_no in info.value.errors["uscc"]


def test_mediation_workflow_deadlines_roles_and_illegal_actions(desk: Desk) -> None:
    rec, _ = desk.create("mediation", GOOD_MEDIATION)
    assert rec.status_label == "已登记" and rec.due_label == "受理审查期限"
    with pytest.raises(IllegalTransition) as info:
        desk.act(rec.id, "settle", {"outcome": "written", "agreement_effective_on": "2026-03-20"})
    assert "已登记" in str(info.value) and "调解成功" in str(info.value)
    desk.add_user("lina", "李娜", "clerk", "Clerk2026x")
    desk.use_account("lina")
    assert "accept" not in {a.key for a in desk.actions_for(rec.id)}
    with pytest.raises(PermissionDenied):
        desk.act(rec.id, "accept", {"accepted_on": "2026-03-03", "mediator": "赵敏"})
    desk.use_account("admin")
    with pytest.raises(ValidationFailed) as vinfo:
        desk.act(rec.id, "accept", {"accepted_on": "2026-03-03"})
    assert vinfo.value.errors == {"mediator": "请填写调解员"}
    # Fri 2024-09-27 + 7 working days: Sun 9-29 and Sat 10-12 were 调休 workdays, 10-1…7 off
    acc, _ = desk.act(rec.id, "accept", {"accepted_on": "2024-09-27", "mediator": "赵敏"})
    assert acc.status == "accepted"
    assert acc.values["start_by"] == dt.date(2024, 10, 12)
    assert acc.values["finish_by"] == dt.date(2024, 10, 28)  # 10-27 is a Sunday → roll
    assert acc.due_date == dt.date(2024, 10, 12) and acc.due_label == "开始调解期限"
    desk.act(rec.id, "start", {"consent": "agreed", "started_on": "2024-10-08"})
    done, _ = desk.act(rec.id, "settle", {"outcome": "written", "agreement": "赔偿5万元",
                                          "agreement_effective_on": "2025-09-05"})
    assert done.values["confirmation_deadline"] == dt.date(2025, 10, 9)  # rolled over 国庆
    assert done.due_label == "申请司法确认期限"
    events, _ = desk.history(rec.id)
    assert [e.action for e in events] == ["accept", "start", "settle"]
    assert desk.check() == []


def test_rating_bad_review_goes_to_followup(desk: Desk) -> None:
    service, _ = desk.create("consultation", GOOD_CONSULTATION)
    with pytest.raises(ValidationFailed) as info:
        desk.create("rating", {"service_no": "ZX-152223-02-2026-999999-0", "channel": "device",
                               "level": "5", "rated_at": "2026-03-02 10:00"})
    assert "找不到" in info.value.errors["service_no"]
    with pytest.raises(ValidationFailed) as info:
        desk.create("rating", {"service_no": service.receipt_no, "channel": "device",
                               "level": "1", "real_name": True, "rated_at": "2026-03-02 10:00"})
    assert "回访" in info.value.errors["rater_phone"]
    bad, _ = desk.create("rating", {"service_no": service.receipt_no, "channel": "paper",
                                    "level": "非常不满意", "real_name": True,
                                    "rater_phone": "13812345678", "rated_at": "2026-03-02 10:00"})
    assert bad.status == "verifying" and bad.due_label == "差评核实期限"
    good, _ = desk.create("rating", {"service_no": service.receipt_no, "channel": "device",
                                     "level": "5", "rated_at": "2026-03-02 10:00"})
    assert good.status == "closed" and good.due_date is None


def test_handover_carries_visitor_and_enterprise_and_links_back(desk: Desk) -> None:
    cons, _ = desk.create("consultation", GOOD_CONSULTATION)
    pre = desk.handover(cons.id, "preexam_filing")
    assert pre["enterprise_name"] == "兴安新材料有限公司"
    assert pre["contact_phone"] == "13812345678" and pre["source_consultation"] == cons.receipt_no
    assert {m["status"] for m in pre["materials"]} == {"missing"}
    filing, changes = desk.create("preexam_filing", {**pre, "field": "new_materials",
                                                     "invention_patents": 1},
                                  handover_from=cons.id)
    assert cons.id in changes.records
    assert desk.get(cons.id).values["handed_over_to"] == filing.receipt_no
    med = desk.handover(cons.id, "mediation")
    assert med["applicants"][0]["uscc"] == "91152201MA0N12340P"


def test_void_keeps_number_and_blocks_edits(desk: Desk) -> None:
    a, _ = desk.create("consultation", GOOD_CONSULTATION)
    with pytest.raises(ValidationFailed):
        desk.void(a.id, "  ")
    v, _ = desk.void(a.id, "登记错误")
    assert v.voided and v.status_label == "已作废"
    with pytest.raises(IllegalTransition):
        desk.update(a.id, {"answer": "x"}, v.version)
    b, _ = desk.create("consultation", {**GOOD_CONSULTATION, "enterprise_uscc": None})
    assert parse_receipt_no(b.receipt_no).seq == 3  # 1 consultation, 2 enterprise, 3 next


def test_audit_trail_is_append_only(desk: Desk) -> None:
    desk.create("consultation", GOOD_CONSULTATION)
    con = dbmod.connect_file(desk.path, dbmod.current_key(desk.path))  # the store's own key
    with pytest.raises(dbmod.DBAPIError, match="append-only"):
        con.execute("UPDATE audit_log SET username = 'mallory'")
    with pytest.raises(dbmod.DBAPIError, match="append-only"):
        con.execute("DELETE FROM audit_log")
    con.close()


def test_login_with_scrypt_hash_and_wrong_password_is_logged(desk: Desk) -> None:
    desk.add_user("zhaomin", "赵敏", "mediator", "Mediate2026")
    with pytest.raises(PermissionDenied, match="用户名或密码不正确"):
        desk.login("zhaomin", "wrong-password1")
    assert desk.login("zhaomin", "Mediate2026").role == "mediator"
    with desk.engine.connect() as c:
        stored = c.execute(text("SELECT password_hash FROM user_account "
                                "WHERE username='zhaomin'")).scalar()
    assert stored.startswith("scrypt$") and "Mediate2026" not in stored
    assert ("login_failed", "zhaomin") in _audit(desk)
    with pytest.raises(PermissionDenied):
        desk.add_user("x1", "某某", "admin", "Abcdefg123")  # a mediator cannot add accounts
    with pytest.raises(ValidationFailed):
        Desk.initialise(desk.directory, "152223", "02", admin_password=ADMIN_PASSWORD)


def test_restore_bumps_generation_so_numbers_never_repeat(desk: Desk, tmp_path: Path) -> None:
    first, _ = desk.create("consultation", {**GOOD_CONSULTATION, "enterprise_uscc": None})
    backup = desk.backup(tmp_path / "b.sqlite3")
    later, _ = desk.create("consultation", {**GOOD_CONSULTATION, "enterprise_uscc": None})
    desk.close()
    _, gen = restore(desk.directory, backup)
    assert gen == 2
    again = Desk.open(desk.directory)
    again.use_account("admin")
    new, _ = again.create("consultation", {**GOOD_CONSULTATION, "enterprise_uscc": None})
    assert new.receipt_no != later.receipt_no
    assert "-02B-" in new.receipt_no and parse_receipt_no(new.receipt_no).generation == 2
    assert again.check() == []
    assert {r.receipt_no for r in again.search(Query())} == {first.receipt_no, new.receipt_no}
    again.close()


def test_two_processes_writing_at_once_never_share_a_number(desk: Desk) -> None:
    script = (
        "import sys\n"
        "from xingan_desk.desk import Desk\n"
        "from tests.conftest import GOOD_CONSULTATION\n"
        "from tests.conftest import ADMIN_PASSWORD\n"
        "d = Desk.open(sys.argv[1], password=ADMIN_PASSWORD); d.use_account('admin')\n"
        "for i in range(40):\n"
        "    d.create('consultation', {**GOOD_CONSULTATION, 'enterprise_uscc': None})\n"
    )
    root = Path(__file__).resolve().parents[2]
    procs = [subprocess.Popen([sys.executable, "-c", script, str(desk.directory)], cwd=root)
             for _ in range(2)]
    for _ in range(40):
        desk.create("consultation", {**GOOD_CONSULTATION, "enterprise_uscc": None})
    assert all(p.wait(timeout=120) == 0 for p in procs)
    numbers = [r.receipt_no for r in desk.search(Query(kind="consultation"))]
    assert len(numbers) == len(set(numbers)) == 120
    assert sorted(parse_receipt_no(n).seq for n in numbers) == list(range(1, 121))
    assert desk.check() == []


def test_corrupt_and_read_only_files_get_a_clear_message(tmp_path: Path) -> None:
    with pytest.raises(NotInitialised, match="init"):
        Desk.open(tmp_path / "nowhere")
    d = Desk.initialise(tmp_path / "s", "152201", "01", admin_password=ADMIN_PASSWORD)
    d.close()
    path = d.path
    path.chmod(0o444)
    try:
        if not path.stat().st_mode & 0o200 and not _running_as_root():
            with pytest.raises(StoreError, match="只读"):
                Desk.open(tmp_path / "s")
    finally:
        path.chmod(0o644)
    for suffix in ("-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError, match="损坏"):
        Desk.open(tmp_path / "s")


def _running_as_root() -> bool:
    import os

    return hasattr(os, "geteuid") and os.geteuid() == 0


def test_get_unknown_and_unknown_fields(desk: Desk) -> None:
    with pytest.raises(NotFound):
        desk.get_by_receipt("ZX-152223-02-2026-000099-0")
    with pytest.raises(ValidationFailed) as info:
        desk.create("consultation", {**GOOD_CONSULTATION, "shoe_size": 42})
    assert "shoe_size" in info.value.errors["_unknown"]


def test_due_list_contains_overdue_and_soon(desk: Desk) -> None:
    rec, _ = desk.create("mediation", {**GOOD_MEDIATION, "applied_on": "2025-01-02"})
    due = desk.due(3)
    assert [r.id for r in due] == [rec.id]  # long overdue acceptance decision


def test_dense_and_sparse_searches_give_the_newest_matches_in_order(desk: Desk) -> None:
    """A needle most records contain (a credit-code prefix) takes the fast path through the
    newest records; a rare one the search index; both return the newest matches first."""
    from xingan_desk import query as desk_mod

    made = []
    for i in range(30):
        uscc = "91152201MA0N12340P" if i % 3 else "93152223MA0R5K6L3R"
        rec, _ = desk.create("consultation", {**GOOD_CONSULTATION, "enterprise_uscc": uscc,
                                              "visitor_name": "王芳" if i == 7 else "李娜"},
                             register_enterprise=False)
        made.append(rec)
    newest_first = [r.id for r in reversed(made)]
    dense = [r.id for r in reversed(made) if r.values["enterprise_uscc"].startswith("9115")]
    old_window = desk_mod.DENSE_SEARCH_WINDOW
    try:
        for window in (old_window, 5):  # the dense path, then a window too small for it
            desk_mod.DENSE_SEARCH_WINDOW = window
            got = desk.find_ids(Query(kind="consultation", text="911522", limit=5))
            assert got == dense[:5]
            assert desk.find_ids(Query(kind="consultation", text="王芳", limit=5)) == [
                made[7].id]
            assert desk.find_ids(Query(kind="consultation", text="李娜", limit=3)) == [
                i for i in newest_first if i != made[7].id][:3]
    finally:
        desk_mod.DENSE_SEARCH_WINDOW = old_window


def test_a_needle_absent_from_the_newest_records_still_gives_the_newest_matches(
        desk: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    """The newest records can be a block without the needle (a day of other names):
    the index's term counts decide the way, and either way the answer is the newest matches
    in list order, as a LIKE scan gives them."""
    from xingan_desk import query as desk_mod

    made = []
    for i in range(24):
        rec, _ = desk.create("consultation", {**GOOD_CONSULTATION,
                                              "visitor_name": "赵敏" if i < 16 else "王芳"},
                             register_enterprise=False)
        made.append(rec)
    monkeypatch.setattr(desk_mod, "DENSE_SEARCH_WINDOW", 4)  # only 王芳 among the newest
    monkeypatch.setattr(desk_mod, "PROGRESS_STEPS", 1)  # the scans' budgets are that tight
    newest_zhao = [r.id for r in reversed(made) if r.values["visitor_name"] == "赵敏"]
    for limit in (3, 10, 50):
        got = desk.find_ids(Query(kind="consultation", text="赵敏", limit=limit))
        assert got == newest_zhao[:limit]
    assert desk.find_ids(Query(kind="consultation", text="赵", limit=5)) == newest_zhao[:5]
    assert desk.find_ids(Query(kind="consultation", text="赵钱", limit=5)) == []  # none
