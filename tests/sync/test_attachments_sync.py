"""Attachments through a real central PostgreSQL: two windows of a county exchange a 20 MB
scan with the connection cut midway (upload and download both resume), and a window of
another county cannot fetch it with its own credentials."""

from __future__ import annotations

import hashlib
from typing import Any

import psycopg
import pytest
from psycopg import errors as pgerrors
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg.types.json import Jsonb

from tests import attach_samples as samples
from tests.conftest import GOOD_MEDIATION

from .faultproxy import FaultProxy
from .helpers import outbox_count

pytestmark = pytest.mark.pg


def _via(proxy: FaultProxy, url: str) -> str:
    return make_conninfo(url, host="127.0.0.1", port=str(proxy.port), sslmode="disable")


def _target(url: str) -> tuple[str, int]:
    info = conninfo_to_dict(url)
    return str(info.get("host") or "127.0.0.1"), int(info.get("port") or 5432)


def _cut_after(proxy: FaultProxy, what: str, n: int) -> Any:
    seen = {"n": 0}

    def hook(kind: str, idx: int) -> None:
        if kind == what:
            seen["n"] += 1
            if seen["n"] == n:
                proxy.cut()

    return hook


def _central(url: str, query: str, params: tuple[Any, ...] = ()) -> Any:
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(query, params).fetchone()
        return row[0] if row else None


def test_20mb_scan_crosses_a_cut_connection_both_ways_and_stays_in_its_county(
        make_window: Any, central_url: str) -> None:
    from xingan_desk.sync.client import SyncClient

    a = make_window("152223", "02")
    b = make_window("152223", "03")
    other = make_window("152224", "02")
    rec, _ = a.desk.create("mediation", GOOD_MEDIATION)
    data = samples.big_pdf(20 * 1024 * 1024 - 200_000, pages=3)
    att, _ = a.desk.attach(rec.id, data, "证据材料扫描.pdf", "证据材料")
    sha = hashlib.sha256(data).hexdigest()
    chunks = (len(data) + 1024 * 1024 - 1) // (1024 * 1024)

    # window A: the upload is cut after 7 chunks; the record itself is already through
    proxy = FaultProxy(_target(central_url))
    try:
        client = SyncClient(a.desk, _via(proxy, a.creds.url), machine_id=a.machine_id,
                            connect_timeout=3)
        client.attachments.time_budget_s = 3600  # (no timing in tests: the cut decides)
        client.attachments.on_chunk = _cut_after(proxy, "put", 7)
        report = client.run_once()
        assert report.attachment_problem  # the phase was cut …
        assert outbox_count(a.desk) == 0  # … after the records were pushed
        assert not a.desk.list_attachments(rec.id)[0].synced
        held = _central(central_url, "SELECT count(*) FROM sync.attachment_upload")
        assert held == 7
        client.attachments.on_chunk = None
        report = client.run_once()  # resumes: only the chunks central lacks
        assert not report.attachment_problem
        assert report.attachments.uploaded_chunks == chunks - 7
        assert report.attachments.pushed == 1
    finally:
        proxy.close()
    assert a.desk.list_attachments(rec.id)[0].synced
    assert _central(central_url, "SELECT count(*) FROM sync.attachment_blob") == 1

    # the same content on a second record: nothing is sent again (idempotent by hash)
    rec2, _ = a.desk.create("mediation", {**GOOD_MEDIATION, "facts": "同一份证据的另一起纠纷。"})
    a.desk.attach(rec2.id, data, "证据副本.pdf", "证据材料")
    again = a.sync()
    assert again.attachments.uploaded_chunks == 0 and again.attachments.pushed == 1
    assert _central(central_url, "SELECT count(*) FROM sync.attachment_blob") == 1

    # window B (same county): metadata first, the download cut after 5 chunks, then resumed
    proxy = FaultProxy(_target(central_url))
    try:
        client = SyncClient(b.desk, _via(proxy, b.creds.url), machine_id=b.machine_id,
                            connect_timeout=3)
        client.attachments.time_budget_s = 3600
        client.attachments.on_chunk = _cut_after(proxy, "get", 5)
        report = client.run_once()
        assert report.attachment_problem
        assert b.desk.get(rec.id).receipt_no == rec.receipt_no  # the record is there
        (meta,) = b.desk.list_attachments(rec.id)
        assert (meta.name, meta.material, meta.pages, meta.size, meta.sha256) == (
            "证据材料扫描.pdf", "证据材料", 3, len(data), sha)
        assert not meta.have_content
        client.attachments.on_chunk = None
        report = client.run_once()
        assert report.attachments.fetched == 1
        assert report.attachments.fetched_chunks == chunks - 5
    finally:
        proxy.close()
    assert b.desk.attachment_content(meta.id) == data
    assert b.desk.check() == []

    # voiding at A reaches B
    a.desk.void_attachment(att.id, "扫描不清，已重新扫描")
    a.sync()
    b.sync()
    (meta,) = b.desk.list_attachments(rec.id)
    assert meta.voided and meta.void_reason == "扫描不清，已重新扫描"

    # a window of another county, with its own credentials, sees and fetches nothing
    other.sync()
    with other.desk.reading() as s:
        from sqlalchemy import func, select

        from xingan_desk.storage.schema import attachment_table
        assert s.scalar(select(func.count()).select_from(attachment_table)) == 0
    with psycopg.connect(other.creds.url, autocommit=True) as conn:
        for query, params in (
                ("SELECT sync.attachment_get(%s, 0)", (sha,)),
                ("SELECT sync.attachment_info(%s)", (sha,)),
                ("SELECT sync.attachment_pull('county:152223', 0, 100)", ()),
        ):
            with pytest.raises(pgerrors.InsufficientPrivilege):
                conn.execute(query, params)
        with pytest.raises(pgerrors.InsufficientPrivilege):
            conn.execute("SELECT data FROM sync.attachment_chunk LIMIT 1")
        # knowing the hash is not enough: claiming it on its own record needs the content
        own, _ = other.desk.create("mediation", GOOD_MEDIATION)
        other.sync()
        res = conn.execute("SELECT sync.attachment_meta(%s)", (Jsonb({
            "id": "01900000-0000-7000-8000-000000000001", "record_id": own.id,
            "sha256": sha, "name": "x.pdf", "material": "证据材料",
            "mime": "application/pdf", "pages": 1, "size": len(data),
            "created_by": "admin", "created_at": "2026-12-05T00:00:00+00:00",
            "hlc": "x"}),)).fetchone()
        assert res is not None and res[0]["code"] == "NEED_CONTENT"
        # nor may it attach to a record of another county
        res = conn.execute("SELECT sync.attachment_meta(%s)", (Jsonb({
            "id": "01900000-0000-7000-8000-000000000002", "record_id": rec.id,
            "sha256": sha}),)).fetchone()
        assert res is not None and res[0]["code"] == "OUT_OF_SCOPE"
        with pytest.raises(pgerrors.InsufficientPrivilege):
            conn.execute("SELECT sync.attachment_get(%s, 0)", (sha,))


def test_metadata_first_and_the_file_on_first_open(make_window: Any) -> None:
    from xingan_desk.attachments.sync import fetch_now
    from xingan_desk.errors import NotFound

    a = make_window("152223", "02")
    c = make_window("152223", "04")
    rec, _ = a.desk.create("mediation", GOOD_MEDIATION)
    png = samples.png(60, 40)
    a.desk.attach(rec.id, png, "身份证.png", "申请人身份证明")
    a.sync()
    client = c.client()
    client.attachments.fetch_budget = 0  # metadata only this cycle
    report = client.run_once()
    assert report.attachments.pulled == 1 and report.attachments.fetched == 0
    (meta,) = c.desk.list_attachments(rec.id)
    assert not meta.have_content
    with pytest.raises(NotFound, match="尚未从中心下载"):
        c.desk.attachment_content(meta.id)
    assert fetch_now(c.desk, meta.id, url=c.creds.url) == png
    assert c.desk.list_attachments(rec.id)[0].have_content


def test_a_file_central_refuses_is_listed_for_the_supervisor_and_not_resent(
        make_window: Any, central_url: str) -> None:
    from xingan_desk.sync.review import attention_items

    _central(central_url, "UPDATE sync.config SET value = '100000' "
                          "WHERE key = 'attachment_max_bytes' RETURNING 1")
    a = make_window("152223", "02")
    rec, _ = a.desk.create("mediation", GOOD_MEDIATION)
    a.desk.attach(rec.id, samples.big_pdf(300_000), "大文件.pdf", "证据材料")
    report = a.sync()
    assert report.attachments.refused == 1 and outbox_count(a.desk) == 0
    (att,) = a.desk.list_attachments(rec.id)
    assert not att.synced
    items = [i for i in attention_items(a.desk) if "大文件.pdf" in i.summary]
    assert items and rec.receipt_no in items[0].summary and "上限" in items[0].summary
    again = a.sync()
    assert again.attachments.refused == 0 and again.attachments.uploaded_chunks == 0


def test_the_league_window_reads_every_countys_attachments(make_window: Any) -> None:
    a = make_window("152224", "01")
    league = make_window("152200", "01")
    rec, _ = a.desk.create("mediation", GOOD_MEDIATION)
    scan = samples.tiff(4)
    a.desk.attach(rec.id, scan, "证据.tif", "证据材料")
    a.sync()
    client = league.client()
    heard: list[tuple[str, int, int]] = []
    client.attachments.progress = lambda *moved: heard.append(moved)
    report = client.run_once()
    assert report.attachments.pulled == 1 and report.attachments.fetched == 1
    assert heard[0] == ("down", 0, len(scan)) and heard[-1] == ("down", len(scan), len(scan))
    (meta,) = league.desk.list_attachments(rec.id)
    assert meta.pages == 4 and league.desk.attachment_content(meta.id) == scan


def test_a_cycle_stops_transferring_when_its_time_is_up_and_the_next_goes_on(
        make_window: Any) -> None:
    a = make_window("152223", "02")
    b = make_window("152223", "03")
    rec, _ = a.desk.create("mediation", GOOD_MEDIATION)
    data = samples.big_pdf(2_500_000)
    a.desk.attach(rec.id, data, "证据.pdf", "证据材料")
    client = a.client()
    client.attachments.time_budget_s = 0  # as if the line were very slow
    report = client.run_once()
    assert report.attachments.unfinished and report.attachments.uploaded_chunks == 0
    assert outbox_count(a.desk) == 0  # the record went anyway
    client.attachments.time_budget_s = 600
    report = client.run_once()
    assert not report.attachments.unfinished and report.attachments.pushed == 1
    reader = b.client()
    reader.attachments.time_budget_s = 0
    report = reader.run_once()
    assert report.attachments.pulled == 1 and report.attachments.unfinished  # metadata only
    reader.attachments.time_budget_s = 600
    assert reader.run_once().attachments.fetched == 1
    assert b.desk.attachment_content(b.desk.list_attachments(rec.id)[0].id) == data


def _start_upload(url: str, seed: bytes, chunks_sent: int) -> tuple[str, int]:
    """Begin an upload of a three-chunk file as the window (its own role) and send only the
    first `chunks_sent` chunks: an upload left unfinished."""
    cs = 65536
    data = (seed * (3 * cs // len(seed) + 1))[:3 * cs - 100]
    sha = hashlib.sha256(data).hexdigest()
    with psycopg.connect(url, autocommit=True) as conn:
        begun = conn.execute("SELECT sync.attachment_begin(%s, %s)", (sha, len(data))).fetchone()
        assert begun is not None and begun[0]["status"] == "upload"
        for idx in range(chunks_sent):
            put = conn.execute("SELECT sync.attachment_put(%s, %s, %s, %s, %s)",
                               (sha, len(data), cs, idx, data[idx * cs:(idx + 1) * cs])
                               ).fetchone()
            assert put is not None and put[0]["status"] == "partial"
    return sha, len(data)


def _chunks_of(url: str, sha: str) -> int:
    return int(_central(url, "SELECT count(*) FROM sync.attachment_upload WHERE sha256 = %s",
                        (sha,)))


def _age(url: str, sha: str, days: int) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("UPDATE sync.attachment_upload SET touched_at = now() - make_interval("
                     "days => %s) WHERE sha256 = %s", (days, sha))


def test_abandoned_upload_chunks_are_cleaned_up_and_recent_ones_resume(
        make_window: Any, central_url: str) -> None:
    from xingan_desk.cli import build_parser
    from xingan_desk.sync.central import cleanup_uploads

    a = make_window("152223", "02")
    b = make_window("152224", "02")
    left, _ = _start_upload(a.creds.url, b"abandoned scan ", 2)
    recent, size = _start_upload(b.creds.url, b"recent scan ", 2)
    assert _chunks_of(central_url, left) == 2 and _chunks_of(central_url, recent) == 2

    # window A never came back: 8 days later any upload's begin sweeps its chunks away
    _age(central_url, left, 8)
    _age(central_url, recent, 3)
    _start_upload(b.creds.url, b"another scan ", 1)
    assert _chunks_of(central_url, left) == 0
    assert _chunks_of(central_url, recent) == 2  # 3 days old: kept, and it resumes
    with psycopg.connect(b.creds.url, autocommit=True) as conn:
        row = conn.execute("SELECT sync.attachment_begin(%s, %s)", (recent, size)).fetchone()
    assert row is not None and row[0]["have"] == [0, 1]

    # the administrator's maintenance: `central cleanup` (default 7 days keeps the recent one,
    # its begin just now touched it) and with --days
    assert cleanup_uploads(central_url) == 0
    _age(central_url, recent, 3)
    args = build_parser().parse_args(["central", "cleanup", "--url", central_url, "--days", "2"])
    assert args.func(args) == 0
    assert _chunks_of(central_url, recent) == 0
    # a window's own role cannot run the maintenance
    with psycopg.connect(a.creds.url, autocommit=True) as conn, \
            pytest.raises(pgerrors.InsufficientPrivilege):
        conn.execute("SELECT sync.attachment_cleanup(0)")


def test_attachment_digests_agree_and_a_damaged_copy_is_repaired_from_central(
        make_window: Any) -> None:
    from sqlalchemy import insert, select, update

    from xingan_desk.storage.schema import attachment_table as att
    from xingan_desk.storage.schema import sync_issue

    a = make_window("152223", "02")
    b = make_window("152223", "03")
    rec, _ = a.desk.create("mediation", GOOD_MEDIATION)
    kept, _ = a.desk.attach(rec.id, samples.pdf(2), "申请书.pdf", "证据材料")
    gone, _ = a.desk.attach(rec.id, samples.png(), "照片.png", "证据材料")
    a.desk.void_attachment(gone.id, "重复上传")
    stream = "county:152223"
    report = a.sync()
    assert stream in report.attachments.verified  # pushed, then compared with central
    report = b.sync()
    assert report.attachments.pulled == 2 and stream in report.attachments.verified

    # B's copy is damaged: the kept file shown voided, the voided one shown live
    with b.desk.writing() as w:
        w.session.execute(update(att).where(att.c.id == kept.id).values(voided=True))
        w.session.execute(update(att).where(att.c.id == gone.id).values(voided=False))
    report = b.sync()
    assert report.attachments.rebaselined == [stream]
    assert stream in report.attachments.verified and not report.attachments.mismatch
    states = {m.id: m.voided for m in b.desk.list_attachments(rec.id)}
    assert states == {kept.id: False, gone.id: True}

    # a row central never had (not pending, not refused) cannot be repaired: it is listed
    with b.desk.writing() as w:
        w.session.execute(insert(att).values(
            id="01900000-0000-7000-8000-0000000000aa", record_id=rec.id, sha256="0" * 64,
            name="来历不明.pdf", mime="application/pdf", pages=1, size=10, owner="03",
            created_by="admin", created_at=rec.created_at, hlc="x", voided=False,
            have_content=True, sync_state="synced"))
    report = b.sync()
    assert report.attachments.mismatch == [stream]
    with b.desk.reading() as s:
        reasons = s.scalars(select(sync_issue.c.reason)
                            .where(sync_issue.c.code == "ATTACHMENT_DIGEST_MISMATCH")).all()
    assert reasons and "本机3个附件，中心2个" in reasons[0]
    # an attachment central refused stays out of the comparison
    with b.desk.writing() as w:
        w.session.execute(update(att).where(att.c.name == "来历不明.pdf")
                          .values(sync_state="refused"))
    assert stream in b.sync().attachments.verified
