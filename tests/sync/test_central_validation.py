"""Central validates every pushed mutation with the windows' own declarations (issue 9 §1, §2,
§4, §5): each attack is made with nothing but one window's own database role, and refused per
mutation with the field and reason named; nothing of it reaches another window. The check_*
twins in sync/sql/validate.sql and checks.sql are proven equal to validation.py by shared vectors."""

from __future__ import annotations

import contextlib
import time
from typing import Any

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from psycopg.types.json import Json, Jsonb

from tests.conftest import GOOD_CONSULTATION
from xingan_desk import validation as v
from xingan_desk.records.kinds import KINDS
from xingan_desk.records.workflow import EventLike, fold
from xingan_desk.sync.central import ROLE_CONNECTION_LIMIT, add_window, init_central
from xingan_desk.sync.declarations import CENTRAL_CHECKS, unchecked_validators

from .helpers import central_state

pytestmark = pytest.mark.pg

COMPANY = {"uscc": "93152223MA0R5K6L3R", "name": "扎赉特旗丰收农机制造有限公司",
           "county_code": "152223", "contact_name": "王芳", "contact_phone": "0482-6012345"}

# --- shared vectors: validation.py and central's twins agree -------------------------------
VECTORS: dict[str, list[str]] = {
    "check_uscc": ["91152201MA0N12340P", "93152223MA0R5K6L3R", "91152201MA0N12340Q",
                   "９１１５２２０１ＭＡ０Ｎ１２３４０Ｐ", "91152201-MA0N1234-0P", "911522O1MA0N12340P",
                   "91152201MA0N1234", "9115A201MA0N12340P", "", "  ", "91152201ma0n12340p",
                   "91152201MA0N12340P\u200b", "91152201MA0N1234OP", "91152201MA0N12340PX"],
    "check_id_number": ["11010519491231002X", "110105194912310021", "11010519491231002x",
                        "110105491231002", "11010549123100X", "110105194902300021",
                        "110105189912310021", "110105209912310021", "1101051949123100",
                        "11010519491231X02X", "", "１１０１０５１９４９１２３１００２Ｘ",
                        # issue 11 §5: the region names a province (81–83, 9 + province)
                        "990426199112010074", "810000199001010019", "830000199001010039", "931522199001010012", "990426199112010074", "97152219900101001X", "470000199001010015"],
    "check_mobile": ["13812345678", "+86 138 1234 5678", "008613812345678", "8613812345678",
                     "12812345678", "1381234567", "138-1234-5678", "(138)12345678",
                     "13812345678a", "", "23812345678"],
    "check_email": ["a@b.cn", "name.x+1@example.com.cn", " a@b.cn ", "a@b", "a b@c.cn",
                    "ａ@ｂ.cn", "", "x" * 95 + "@b.cn", "a@b..cn", "a@-b.cn"],
    "check_patent_application_number": [
        "202310000001.5", "ZL 202310000001.5", "CN202310000001.5", "2023100000015",
        "202310000001", "97101765.4", "971017654", "85100001", "88100001",
        "202310000001.6", "202340000001.5", "200210000001.5", "203010000001.5",
        "201310699744.2", "ZL201310699744.2", "201310699744.X", "2013106997442.2",
        "20231000000X.5", "", "专利号", "12345678", "202310000000.0", "1.2.3"],
    "check_person_name": ["王芳", "欧阳 娜娜", "Jean-Paul", "O'Brien", "阿依古丽·买买提",
                          "·王芳", "王芳·", "王\u202e芳", "王😀芳", "123", "王3", "",
                          "   ", "x" * 51, "Ünal", "𠀀𠀁", "-", "李\u3000娜", "王\t芳"],
    "check_phone": ["13812345678", "0482-8226123", "0482 8226123", "（0482）8226123",
                    "04828226123", "0482-8226123转123", "0482-8226123-12", "0482-8226123 分机 8",
                    "0482-8226123 ext. 12", "010-12345678", "021-6234567", "0311-8123456",
                    "12345", "12315", "12330", "12306", "+86 482 8226123", "+86 138 1234 5678",
                    "8226123", "82261234", "0482-1226123", "0482-02261234", "0482-822612",
                    "０４８２－８２２６１２３", "138 1234 5678", "1381234567", "", "电话",
                    "0482-8226123转1234567", "0000-1234567", "(0482)8226123", "【0482】8226123",
                    "0086 0482 8226123", "0482—8226123", "1234567a", "04828226123转"],
    "check_landline": ["0482-8226123", "0482 8226123 12", "04828226123", "010-12345678",
                       "010 1234567", "0482-8226123 EXT 9", "8226123", "0482-8226123-12-1",
                       "", "029-88886666", "0910-1234567", "0482-8226123转ab"],
    "check_publication_number": [
        "CN102822194B", "CN 102822194 B", "102822194A", "cn102822194b", "CN1234567C",
        "CN1234567D", "CN102822194C", "CN202310000001U", "CN302822194S", "CN202822194U",
        "CN102822194", "CN12345678A", "CN402822194A", "公开号：CN102822194A", "授权公告号CN",
        "", "CN1028221940B", "CN102822194C1", "CN102822194A9", "CN302822194S9",
        "CN302822194S8", "CN102822194Ｂ", "CN102822194-B", "CN1028221９4B", "CN1O2822194B"],
    "check_trademark_number": ["12345678", "第12345678号", "商标注册号：12345678", "TM 123",
                               "012345", "0", "1234567890", "123a", "", "商标", "第号",
                               "注册号第9号", "１２３４５"],
    "check_ip_number": ["ZL201310699744.2", "CN102822194B", "12345678", "第123号",
                        "202310000001.5", "2023100000015", "CN202310000001.5", "abc", "",
                        "商标号123", "1234567890", "专利号", "ZL202310397744.0号",
                        "CN 102822194", "CN971017654", "CN1234567", "CN102822194B号"],
    "check_ip_numbers": [
        "ZL201310699744.2", "ZL 201310699744.2、CN 102822194 B", "2023 1 0000001.5",
        "第 123 号", "12345678，87654321", "12345678;202310000001.5\n第9号",
        "专利号: ZL 201310699744.2", "2023 10 000001.5", "202 310000001.5", "CN102822194B,abc",
        "", "、", " ，， ", "ZL201310699744.3", "97 1 01765.4", "97101765.4 12345678",
        "商标 12345678", "CN 102822194 B 12345", "2023 1 0000001.5 X", "公开号 CN102822194A",
        "201310699744.2 . 5", "TM 0123", "１２３４５６７８、ＺＬ２０１３１０６９９７４４.２",
        # issue 11 §5: as clerks type them
        "ZL 2023 1 1533417X", "ZL 201911044411 X", "专利号: ZL 2019 1 1044411.X",
        "专利号：ZL 2019 1 1044411.X", "ZL 2019 1 1044411 X",
        "授权公告号：CN 216979871 U", "ZL202310397744.0号", "CN 102822194", "2023 1 10000015",
        "ZL 2023 1 1533417 9", "CN 97 1 01765 4", "12345678 ZL 201911044411 X、第9号"],
    "check_classification": ["C08K 3/04", "C08K3/04", "c08k 3/04", "A01C 7/20", "H01L 21/02",
                             "09-03", "32-00", "33-01", "00-01", "C08K  3/04", " C08K 3/04 ",
                             "I01C 7/20", "C8K 3/04", "C08K 3/4", "C08K 12345/04", "C08K 3/1234567",
                             "", "C08K 3／04", "Ｃ０８Ｋ ３/０４", "٠٩-٠٣", "C08K ٣/٠٤", "\u0131",
                             "C08\u0131 3/04", "C08\u017f 3/04", "9-03", "09-3", "C08K-3/04"],
    "check_printable_text": ["正常文字", "换行\n可以", "制表\t可以", "回车\r可以", "\u202e反转",
                             "表情😀", "私用\ue000", "\ufffd乱码", "控制\x07", "A\u2066B",
                             "©®", "数学∑", "１２３", "\ufeff零宽", "\U000e0041标签"],
}


@pytest.fixture
def admin(central_url: str) -> Any:
    """A connection to a central database for calling its pure check functions."""
    with psycopg.connect(central_url, autocommit=True) as conn:
        yield conn


def _agree(conn: Any, name: str, text: str) -> tuple[bool, bool]:
    py = getattr(v, name)(text) is None
    row = conn.execute(f"SELECT sync._chk_{name}(%s)", (text,)).fetchone()
    return py, row[0] is None


def test_vectors_cover_every_central_check() -> None:
    assert set(VECTORS) == set(CENTRAL_CHECKS)


def test_central_runs_every_named_check_of_every_kind() -> None:
    assert {k: unchecked_validators(kind) for k, kind in KINDS.items()} == {k: [] for k in KINDS}


@pytest.mark.parametrize("name", sorted(VECTORS))
def test_shared_vectors_agree(admin: Any, name: str) -> None:
    for text in VECTORS[name]:
        py, pg = _agree(admin, name, text)
        assert py == pg, (name, text, getattr(v, name)(text))
    # both outcomes occur, so the vectors do test something
    assert {_agree(admin, name, t)[0] for t in VECTORS[name]} == {True, False}


_ALPHABET = st.sampled_from(list("0123456789XAMNPQ.-: ZLCN专利号·王芳a@b\u202e😀\u3000１Ｘ"))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_random_texts_agree(admin: Any, data: Any) -> None:
    name = data.draw(st.sampled_from(sorted(VECTORS)))
    base = data.draw(st.sampled_from(VECTORS[name]))
    edits = data.draw(st.lists(st.tuples(st.integers(0, 20), _ALPHABET), max_size=3))
    text = base
    for pos, ch in edits:
        text = text[:pos] + ch + text[pos + 1:]
    py, pg = _agree(admin, name, text)
    assert py == pg, (name, text)


# number checks: what clerks type around numbers (separators of a list, hint words, brackets,
# extensions, full-width and other scripts' digits, zero-width spaces), inserted or replaced
_NUMBER_CHECKS = ("check_phone", "check_landline", "check_publication_number",
                  "check_trademark_number", "check_ip_number", "check_ip_numbers",
                  "check_classification")
_NUMBER_TOKENS = st.sampled_from([
    *"0123456789XABCDSUYZ.-:/ ,，、;；\n转号第类()（）【】+０８Ｘ", "\u3000", "\u200b", "\u0663",
    "\u0131", "ZL", "CN", "TM", "EXT", "分机", "专利号", "商标", "公开号"])


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_random_number_texts_agree(admin: Any, data: Any) -> None:
    name = data.draw(st.sampled_from(_NUMBER_CHECKS))
    base = data.draw(st.sampled_from([t for n in _NUMBER_CHECKS for t in VECTORS[n]]))
    edits = data.draw(st.lists(st.tuples(st.integers(0, 30), _NUMBER_TOKENS, st.booleans()),
                               max_size=4))
    text = base
    for pos, tok, insert in edits:
        text = text[:pos] + tok + text[pos + (0 if insert else 1):]
    py, pg = _agree(admin, name, text)
    assert py == pg, (name, text)


# --- the fold applies only the action's declared fields -------------------------------------
def test_fold_ignores_fields_the_action_does_not_declare() -> None:
    wf = KINDS["consultation"].workflow
    assert wf is not None
    events = [EventLike("e1", "1", "close", "registered", {}),
              EventLike("e2", "2", "follow_up", "closed",
                        {"followup_result": "满意", "question": "改写", "visitor_name": "冒名"})]
    result = fold(wf, events)
    assert result.status == "followed_up"
    assert result.values == {"followup_result": "满意"}


# --- attacks with one window's own role ---------------------------------------------------
def _req(code: str, mutations: list[dict[str, Any]]) -> dict[str, Any]:
    return {"protocol": 1, "window_code": code, "installation_id": f"inst-{code}",
            "machine_id": "pc-x", "generation": 1, "mutations": mutations}


def _push(url: str, code: str, mutations: list[dict[str, Any]], *, as_json: bool = False
          ) -> dict[Any, Any]:
    with psycopg.connect(url, autocommit=True) as conn:
        if as_json:
            row = conn.execute("SELECT sync.push(%s::json)", (Json(_req(code, mutations)),))
        else:
            row = conn.execute("SELECT sync.push(%s)", (Jsonb(_req(code, mutations)),))
        out = row.fetchone()
        assert out is not None
        return {r["local_seq"]: r for r in out[0]["results"]}


def _hlc(seq: int, code: str) -> str:
    return f"{int(time.time() * 1000) + seq:013d}-00000-{code}"


def _create(code: str, seq: int, kind: str, values: dict[str, Any]) -> dict[str, Any]:
    county, window = code.split("-")
    prefix = KINDS[kind].number_prefix
    hlc = _hlc(seq, code)
    rid = f"r-{code}-{seq}"
    return {"local_seq": seq, "mutation_id": f"m-{rid}", "entity": "record", "entity_id": rid,
            "op": "create", "hlc": hlc, "payload": {
                "kind": kind, "id": rid, "owner": code, "county_code": county,
                "receipt_no": f"{prefix}-{county}-{window}-2026-{seq:06d}-X", "created_by": "x",
                "created_at": "2026-03-02T01:00:00+00:00", "hlc": hlc, "values": values}}


def _update(code: str, seq: int, rid: str, values: dict[str, Any]) -> dict[str, Any]:
    hlc = _hlc(seq, code)
    return {"local_seq": seq, "mutation_id": f"m-u-{code}-{seq}", "entity": "record",
            "entity_id": rid, "op": "update", "hlc": hlc, "payload": {"values": values,
                                                                      "hlc": hlc}}


def _company(**changes: Any) -> dict[str, Any]:
    return {**COMPANY, "uscc": "91152201MA0N12340P", "name": "乌兰浩特新材料有限公司",
            "county_code": "152201", **changes}


def test_invalid_values_are_refused_naming_the_field(make_window, central_url) -> None:
    honest = make_window("152223", "02")
    honest.desk.use_account("admin")
    ent, _ = honest.desk.create("enterprise", COMPANY)
    honest.sync()
    before = central_state(central_url)
    hostile = add_window(central_url, "152224", "01")
    code = hostile.window_code
    res = _push(hostile.url, code, [
        _update(code, 1, ent.id, {"handed_over_to": "ZX-152224-01-2026-000001-X"}),
        _create(code, 2, "enterprise", _company(established_on="2023-02-30")),
        _create(code, 3, "enterprise", _company(employees_insured="abc")),
        _create(code, 4, "enterprise", _company(name="乌兰浩特\u202e公司")),
        _create(code, 5, "enterprise", _company(name="乌兰浩特😀公司")),
        _create(code, 6, "enterprise", _company(uscc="91152201MA0N12340Q")),
        _create(code, 7, "enterprise", _company(county_code="999999")),
        _create(code, 8, "enterprise", _company(notes="备" * 200_000)),
        _create(code, 9, "consultation", {**_consult(), "question": "问" * 200_000}),
        _create(code, 10, "consultation", {**_consult(), "topics": ["no_such_topic"]}),
        _create(code, 11, "consultation", {**_consult(), "first_responder": ""}),
        _create(code, 12, "enterprise", _company(key_support=True, key_support_year=2025.5)),
        _create(code, 13, "enterprise", _company(followup_result="x")),
    ])
    expect = {1: ("UNKNOWN_FIELD", "handed_over_to"), 2: ("INVALID_VALUE", "成立日期"),
              3: ("INVALID_VALUE", "社保人数"), 4: ("INVALID_VALUE", "企业名称"),
              5: ("INVALID_VALUE", "企业名称"), 6: ("INVALID_VALUE", "统一社会信用代码"),
              7: ("INVALID_VALUE", "注册地旗县市"), 8: ("INVALID_VALUE", "备注"),
              9: ("INVALID_VALUE", "咨询内容摘要"), 10: ("INVALID_VALUE", "咨询事项"),
              11: ("INVALID_VALUE", "首问责任人"), 12: ("INVALID_VALUE", "入库年度"),
              13: ("UNKNOWN_FIELD", "followup_result")}
    for seq, (code_, word) in expect.items():
        assert res[seq]["status"] == "rejected", (seq, res[seq])
        assert res[seq]["code"] == code_, (seq, res[seq])
        assert word in res[seq]["reason"], (seq, res[seq]["reason"])
    assert "2023-02-30" in res[2]["reason"] and "不是有效日期" in res[2]["reason"]
    # nothing reached central's records or streams, so no other window ever sees it
    assert central_state(central_url) == before
    report = honest.sync()  # the honest window's sync goes on undisturbed
    assert report.rejected == 0 and report.records_applied == 0
    assert honest.desk.get(ent.id).values["name"] == COMPANY["name"]


def _consult() -> dict[str, Any]:
    return {"started_at": "2026-03-02T01:10:00+00:00", "channel": "onsite",
            "first_responder": "李娜", "visitor_type": "person", "topics": ["policy"],
            "question": "如何申请专利？", "handling": "answered"}


def test_valid_forged_create_passes(central_url) -> None:
    w = add_window(central_url, "152201", "03")
    res = _push(w.url, w.window_code, [
        _create(w.window_code, 1, "enterprise", _company()),
        _create(w.window_code, 2, "consultation", _consult())])
    assert [r["status"] for r in res.values()] == ["accepted", "accepted"]


def test_a_window_cannot_stand_in_for_centrals_character_classes(central_url) -> None:
    """Central keeps its character classes in transaction-local settings while it validates a
    push (read once per push); a window that sets those settings in its own session first
    still has a control character, a bidi override and a name of digits refused."""
    w = add_window(central_url, "152201", "04")
    code = w.window_code
    with psycopg.connect(w.url, autocommit=True) as conn:
        for name in ("unprintable_class", "name_class", "name_letters", "name_dots"):
            conn.execute(f"SET xingan_sync.class_{name} = 'Q'")
        out = conn.execute("SELECT sync.push(%s)", (Jsonb(_req(code, [
            _create(code, 1, "consultation", {**_consult(), "question": "如何\x07申请专利？"}),
            _create(code, 2, "enterprise", _company(name="乌兰浩特\u202e公司")),
            _create(code, 3, "consultation", {**_consult(), "visitor_name": "123"}),
            _create(code, 4, "consultation", _consult()),
        ])),)).fetchone()
    assert out is not None
    res = {r["local_seq"]: r for r in out[0]["results"]}
    assert [res[i]["status"] for i in (1, 2, 3, 4)] == ["rejected"] * 3 + ["accepted"], res
    assert "咨询内容摘要" in res[1]["reason"] and "企业名称" in res[2]["reason"]
    assert "姓名" in res[3]["reason"] or "visitor_name" in res[3]["reason"], res[3]


def test_status_event_cannot_rewrite_the_form(make_window, central_url) -> None:
    honest = make_window("152223", "02")
    rec, _ = honest.desk.create("consultation", GOOD_CONSULTATION, register_enterprise=False)
    honest.sync()
    assert honest.desk.get(rec.id).status == "closed"
    hostile = add_window(central_url, "152223", "05")
    code = hostile.window_code
    hlc = _hlc(1, code)

    def event(seq: int, payload: dict[str, Any]) -> dict[str, Any]:
        return {"local_seq": seq, "mutation_id": f"m-e{seq}", "entity": "event",
                "entity_id": f"e{seq}", "op": "event", "hlc": hlc, "payload": {
                    "kind": "consultation", "record_id": rec.id, "id": f"e{seq}",
                    "action": "follow_up", "from_status": "closed", "to_status": "followed_up",
                    "owner": code, "hlc": hlc, "payload": payload}}

    res = _push(hostile.url, code, [
        event(1, {"followup_result": "满意", "question": "改写", "visitor_name": "冒名"}),
        event(2, {}),  # the action's required field missing
        event(3, {"followup_result": "x" * 501})])
    assert res[1]["code"] == "FIELD_NOT_ALLOWED" and "咨询内容摘要" in res[1]["reason"]
    assert res[2]["code"] == "INVALID_VALUE" and "回访结果" in res[2]["reason"]
    assert res[3]["code"] == "INVALID_VALUE" and "不能超过500个字" in res[3]["reason"]
    honest.sync()
    assert honest.desk.get(rec.id).values["question"] == GOOD_CONSULTATION["question"]
    assert honest.desk.get(rec.id).status == "closed"


def test_nul_refuses_one_mutation_not_the_batch(central_url) -> None:
    w = add_window(central_url, "152201", "04")
    code = w.window_code
    res = _push(w.url, code, [
        _create(code, 1, "enterprise", _company(address="兴安\x00路")),
        _create(code, 2, "consultation", _consult())], as_json=True)
    assert res[1]["status"] == "rejected" and res[1]["code"] == "NUL_CHARACTER"
    assert "U+0000" in res[1]["reason"]
    assert res[2]["status"] == "accepted"


def test_review_resolution_needs_an_existing_item_in_scope(make_window, central_url) -> None:
    league = add_window(central_url, "152200", "01")
    other = add_window(central_url, "152224", "01")
    day = time.strftime("%Y-%m-%d")
    key = f"{league.window_code}:{day}"  # the clock-skew item the League would get today

    def resolve(w: Any, mid: str) -> dict[str, Any]:
        with psycopg.connect(w.url, autocommit=True) as conn:
            out = conn.execute("SELECT sync.resolve_reviews(%s)", (Jsonb({
                "window_code": w.window_code, "resolutions": [{
                    "mutation_id": mid, "item_kind": "clock_skew", "item_key": key,
                    "action": "confirm", "note": "预先处理"}]}),)).fetchone()
            assert out is not None
            return dict(out[0]["results"][0])

    pre = resolve(other, "pre-1")
    assert pre["applied"] is False  # nothing to resolve: kept for the record, resolves nothing
    # the League window's clock runs ahead: the item appears and stays open for the League
    ahead = f"{int(time.time() * 1000) + 3_600_000:013d}-00000-{league.window_code}"
    mut = _create(league.window_code, 1, "consultation", _consult())
    mut["hlc"] = mut["payload"]["hlc"] = ahead
    assert _push(league.url, league.window_code, [mut])[1]["status"] == "accepted"
    with psycopg.connect(league.url, autocommit=True) as conn:
        items = conn.execute("SELECT sync.review_items(100)").fetchone()[0]["items"]
    assert [(i["item_kind"], i["item_key"]) for i in items] == [("clock_skew", key)]
    late = resolve(other, "pre-2")  # now it exists, but it is not 152224's
    assert late["status"] == "rejected" and "不在本窗口的数据范围" in late["reason"]


# --- resource limits ------------------------------------------------------------------------
def test_window_roles_are_limited(central_url) -> None:
    w = add_window(central_url, "152201", "05")
    init_central(central_url)  # re-run: revokes CONNECT from PUBLIC on the central database
    with psycopg.connect(central_url, autocommit=True) as conn:
        conf, limit = conn.execute("SELECT rolconfig, rolconnlimit FROM pg_roles "
                                   "WHERE rolname = %s", (w.role,)).fetchone()
        public = conn.execute(
            "SELECT count(*) FROM pg_database d, aclexplode(d.datacl) a "
            "WHERE d.datname = current_database() AND a.grantee = 0 "
            "AND a.privilege_type = 'CONNECT'").fetchone()[0]
        acl_set = conn.execute("SELECT datacl IS NOT NULL FROM pg_database "
                               "WHERE datname = current_database()").fetchone()[0]
    assert limit == ROLE_CONNECTION_LIMIT
    assert {c.split("=")[0] for c in conf} >= {"statement_timeout",
                                               "idle_in_transaction_session_timeout",
                                               "lock_timeout"}
    assert acl_set and public == 0
    with psycopg.connect(w.url, autocommit=True) as conn:  # the window itself still connects
        assert conn.execute("SELECT sync.status()").fetchone()


def test_a_stalled_window_holds_others_for_seconds_only(central_url) -> None:
    stalled = add_window(central_url, "152201", "06")
    honest = add_window(central_url, "152201", "07")
    conn = psycopg.connect(stalled.url)  # not autocommit: the push stays in an open transaction
    try:
        conn.execute("SET idle_in_transaction_session_timeout = 0")  # a hostile window would
        conn.execute("SELECT sync.push(%s)", (Jsonb(_req(stalled.window_code, [
            _create(stalled.window_code, 1, "consultation", _consult())])),))
        time.sleep(5.5)
        started = time.monotonic()
        res = _push(honest.url, honest.window_code,
                    [_create(honest.window_code, 1, "consultation", _consult())])
        assert res[1]["status"] == "accepted"
        assert time.monotonic() - started < 3
    finally:
        with contextlib.suppress(psycopg.Error):
            conn.close()


# --- cross-field rules (RecordKind.checks) and group rules: the same value sets on both sides
KIND_VECTORS: dict[str, list[dict[str, Any]]] = {
    "consultation": [
        {}, {"followup_needed": True}, {"followup_needed": True, "visitor_phone": "13812345678"},
        {"followup_needed": False}, {"handling": "referred"},
        {"handling": "referred", "referred_to": "盟市场监管局"}, {"handling": "notice"},
        {"handling": "notice", "notice_items": "营业执照复印件"},
        {"started_at": "2026-03-02T09:00:00+08:00", "ended_at": "2026-03-02T08:59:00+08:00"},
        {"started_at": "2026-03-02T09:00:00+08:00", "ended_at": "2026-03-02T01:30:00+00:00"},
        {"started_at": "2026-03-02T09:00:00+08:00", "ended_at": "2026-03-02T00:30:00+00:00"},
        {"started_at": "2026-03-02T09:00:00+08:00", "ended_at": "2026-03-02T09:00:00+08:00"},
        {"visitor_type": "enterprise"}, {"visitor_type": "enterprise", "enterprise_name": "某公司"},
        {"visitor_type": "person", "handling": "referred", "followup_needed": True}],
    "enterprise": [
        {}, {"key_support": True}, {"key_support": True, "key_support_year": 2025},
        {"key_support": False}, {"gb29490_certified": True},
        {"gb29490_certified": True, "gb29490_cert_no": "GB-001"},
        {"advantage_pool": True}, {"advantage_pool": True, "advantage_pool_year": 2024}],
    "preexam_filing": [{}, {"uses_agency": True}, {"uses_agency": True, "agency_name": "某代理"},
                       {"uses_agency": False}],
    "preexam_case": [
        {}, {"patent_type": "invention", "application_no": "202310000001.5"},
        {"patent_type": "utility", "application_no": "202310000001.5"},
        {"patent_type": "utility", "application_no": "202320000001.0"},
        {"patent_type": "design", "application_no": "202330000001.6"},
        {"patent_type": "invention", "application_no": "97101765.4"},
        {"patent_type": "design", "application_no": "202310000001.6"},  # invalid: no type
        {"application_no": "202310000001.5"},
        {"patent_type": "design", "ipc_main": "09-03"}, {"patent_type": "design", "ipc_main": "C08K 3/04"},
        {"patent_type": "invention", "ipc_main": "09-03"},
        {"patent_type": "invention", "ipc_main": "C08K 3/04"},
        {"patent_type": "utility", "ipc_main": "\u0660\u0669-\u0660\u0663"},
        {"patent_type": "invention", "grant_pub_no": "CN102822194B"},
        {"patent_type": "utility", "grant_pub_no": "CN102822194B"},
        {"patent_type": "invention", "grant_pub_no": "CN102822194C1"},
        {"patent_type": "design", "grant_pub_no": "CN302822194S"},
        {"patent_type": "utility", "grant_pub_no": "CN202822194U"}],
    "mediation": [
        {}, {"right_type": "patent", "right_no": "ZL 201310699744.2"},
        {"right_type": "patent", "right_no": "ZL 201310699744.3"},
        {"right_type": "patent", "right_no": "abc"}, {"right_type": "trademark", "right_no": "abc"},
        {"right_type": "patent", "right_no": "ZL201310699744.2、CN 102822194 B"},
        {"source": "court"}, {"source": "admin", "referring_body": "兴安盟中级人民法院"},
        {"source": "application"}, {"outcome": "written"}, {"outcome": "oral"},
        {"outcome": "written", "agreement": "双方同意"}],
    "rating": [{}, {"level": "1", "real_name": True}, {"level": "2", "real_name": True},
               {"level": "3", "real_name": True}, {"level": "1", "real_name": False},
               {"level": "1", "real_name": True, "rater_phone": "13812345678"}],
    # the plan's ledgers (records/ledger_kinds.py) and the enterprise's 优势企业培育库
    "patent": [
        {}, {"filed_on": "2020-03-01", "granted_on": "2022-05-06"},
        {"filed_on": "2020-03-01", "granted_on": "2019-05-06"},
        {"filed_on": "2020-03-01", "granted_on": "2020-03-01"},
        {"granted_on": "2022-05-06", "lapsed_on": "2021-01-01", "legal_status": "lapsed"},
        {"granted_on": "2022-05-06", "lapsed_on": "2024-01-01", "legal_status": "lapsed"},
        {"legal_status": "expired"}, {"legal_status": "valid"},
        {"in_pool": True}, {"in_pool": True, "pool_year": 2024}, {"in_pool": False},
        {"filed_on": "2020-03-01", "granted_on": "2019-05-06", "legal_status": "lapsed",
         "in_pool": True}],
    "pledge": [
        {}, {"registered_on": "2025-03-01", "loan_on": "2025-02-28"},
        {"registered_on": "2025-03-01", "loan_on": "2025-03-01"},
        {"registered_on": "2025-03-01", "released_on": "2024-03-01"},
        {"registered_on": "2025-03-01", "released_on": "2026-03-01", "loan_on": "2025-03-05"},
        {"loan_on": "2025-02-28"}],
    "insurance": [{}, {"starts_on": "2025-01-01", "ends_on": "2025-12-31"},
                  {"starts_on": "2025-01-01", "ends_on": "2024-12-31"}, {"ends_on": "2024-12-31"}],
    "navigation": [{}, {"starts_on": "2025-01-01", "ends_on": "2026-12-31"},
                   {"starts_on": "2025-01-01", "ends_on": "2024-12-31"}],
    "agency": [{}, {"is_branch": True}, {"is_branch": True, "parent_name": "某代理机构"},
               {"is_branch": False}, {"serving_since": "2024-05-01", "left_on": "2024-04-30"},
               {"serving_since": "2024-05-01", "left_on": "2025-04-30"}],
}
PARTY_VECTORS: list[list[dict[str, Any]]] = [
    [{"party_type": "org", "name": "某公司", "uscc": "93152223MA0R5K6L3R"}],
    [{"party_type": "org", "name": "某公司"}], [{"party_type": "person", "name": "王芳"}],
    [{"party_type": "person", "name": "王芳"}, {"party_type": "org", "name": "某公司", "uscc": ""}],
    [],
]


def test_kind_vectors_cover_every_kind_check() -> None:
    assert {k for k, kind in KINDS.items() if kind.checks} == set(KIND_VECTORS)


@pytest.mark.parametrize("kind_key", sorted(KIND_VECTORS))
def test_kind_checks_agree(admin: Any, kind_key: str) -> None:
    kind = KINDS[kind_key]
    outcomes = set()
    for values in KIND_VECTORS[kind_key]:
        for check in kind.checks:
            py = list(check(kind.from_json(values)))
            row = admin.execute("SELECT sync._kind_check(%s, %s)",
                                (check.__name__, Jsonb(values))).fetchone()
            assert py == [pair[0] for pair in row[0]], (kind_key, values)
            outcomes.add(bool(py))
    assert outcomes == {True, False}


def test_party_rule_agrees(admin: Any) -> None:
    group = KINDS["mediation"].field("applicants")
    for rows in PARTY_VECTORS:
        py = [check(rows) for check in group.validators]
        pg = [admin.execute("SELECT sync._group_check(%s, %s)", (check.__name__, Jsonb(rows)))
              .fetchone()[0] for check in group.validators]
        assert [m is None for m in py] == [m is None for m in pg], rows


def _mediation(**changes: Any) -> dict[str, Any]:
    return {"mechanism": "people", "source": "application", "applied_on": "2026-03-02",
            "applicants": [{"party_type": "person", "name": "王芳"}],
            "respondents": [{"party_type": "org", "name": "某公司", "uscc": "93152223MA0R5K6L3R"}],
            "right_type": "patent", "right_no": "ZL 201310699744.2",
            "dispute_type": "infringement", "facts": "事实", "claims": "请求", **changes}


def test_cross_field_and_group_rules_are_enforced_on_push(central_url) -> None:
    w = add_window(central_url, "152201", "08")
    code = w.window_code
    res = _push(w.url, code, [
        _create(code, 1, "mediation", _mediation()),
        _create(code, 2, "mediation", _mediation(applicants=[
            {"party_type": "org", "name": "某公司"}])),
        _create(code, 3, "mediation", _mediation(applicants=[])),
        _create(code, 4, "mediation", _mediation(right_no="ZL 201310699744.3")),
        _create(code, 5, "mediation", _mediation(source="court")),
        _create(code, 6, "consultation", {**_consult(), "followup_needed": True}),
        _create(code, 7, "consultation", {**_consult(), "visitor_phone": "0482-1226123"}),
        _create(code, 8, "enterprise", _company(key_support=True)),
        _create(code, 9, "enterprise", _company(contact_phone="12306")),
    ])
    expect = {2: ("申请人", "第1位当事人为单位"), 3: ("申请人", "不能为空"),
              4: ("权利号", "校验位"), 5: ("委派/委托单位", "委派或委托调解"),
              6: ("联系电话", "需要回访"), 7: ("联系电话", "2–9开头"),
              8: ("入库年度", "重点帮扶"), 9: ("联系电话", "服务热线")}
    assert res[1]["status"] == "accepted", res[1]
    for seq, words in expect.items():
        assert res[seq]["status"] == "rejected" and res[seq]["code"] == "INVALID_VALUE", res[seq]
        assert all(word in res[seq]["reason"] for word in words), res[seq]["reason"]
    rid = f"r-{code}-1"
    ent = f"r-{code}-10"
    hlc = _hlc(20, code)

    def settle(seq: int, payload: dict[str, Any]) -> dict[str, Any]:
        return {"local_seq": seq, "mutation_id": f"m-s{seq}", "entity": "event",
                "entity_id": f"s{seq}", "op": "event", "hlc": hlc, "payload": {
                    "kind": "mediation", "record_id": rid, "id": f"s{seq}", "action": action,
                    "from_status": source, "to_status": target, "owner": code, "hlc": hlc,
                    "payload": payload}}

    action, source, target = "accept", "registered", "accepted"
    accepted = settle(11, {"accepted_on": "2026-03-03", "mediator": "李娜"})
    action, source, target = "start", "accepted", "mediating"
    started = settle(12, {"consent": "agreed", "started_on": "2026-03-04"})
    action, source, target = "settle", "mediating", "settled"
    res = _push(w.url, code, [
        accepted, started,
        settle(13, {"outcome": "written", "agreement_effective_on": "2026-03-05"}),
        settle(14, {"outcome": "written", "agreement": "双方同意",
                    "agreement_effective_on": "2026-03-05"}),
        _create(code, 10, "enterprise", _company()),
        # like RecordKind.clean on an update: a rule counts for the fields sent
        _update(code, 15, ent, {"key_support": True}),
        _update(code, 16, ent, {"key_support_year": None}),
        _update(code, 17, rid, {"source": "court", "referring_body": None}),
        _update(code, 18, rid, {"source": "court", "referring_body": "兴安盟中级人民法院"}),
        _update(code, 19, rid, {"source": "admin"}),
    ])
    assert [res[s]["status"] for s in (11, 12, 14, 10, 15, 18, 19)] == ["accepted"] * 7, res
    for seq, word in ((13, "协议内容"), (16, "入库年度"), (17, "委派/委托单位")):
        assert res[seq]["status"] == "rejected" and word in res[seq]["reason"], (seq, res[seq])


def test_a_create_omitting_a_required_field_is_refused_like_an_empty_one(central_url) -> None:
    w = add_window(central_url, "152201", "09")
    code = w.window_code
    partial = {k: v for k, v in _consult().items() if k != "question"}
    res = _push(w.url, code, [_create(code, 1, "consultation", partial),
                              _create(code, 2, "consultation", {**partial, "question": ""}),
                              _create(code, 3, "consultation", _consult())])
    for seq in (1, 2):
        assert res[seq]["status"] == "rejected" and res[seq]["code"] == "INVALID_VALUE"
        assert "咨询内容摘要" in res[seq]["reason"] and "不能为空" in res[seq]["reason"]
    assert res[3]["status"] == "accepted"
