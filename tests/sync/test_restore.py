"""S14 (short): central is restored from a backup taken earlier. After `new_epoch`, windows
re-read their streams and push again what central lost; nothing acknowledged is lost."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict
from sqlalchemy import select, update

from tests.conftest import GOOD_CONSULTATION, GOOD_MEDIATION
from xingan_desk.storage.schema import acked_log
from xingan_desk.sync.central import new_epoch
from xingan_desk.sync.client import ACKED_RETENTION_SETTING
from xingan_desk.timeutil import utcnow

from .conftest import ADMIN_URL
from .helpers import central_state, local_state, outbox_count, scope_of

pytestmark = pytest.mark.pg


def _copy_db(src: str, dst: str) -> None:
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                     "WHERE datname = %s AND pid <> pg_backend_pid()", (src,))
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
            sql.Identifier(dst)))
        conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
            sql.Identifier(dst), sql.Identifier(src)))


def test_s14_central_restore_loses_nothing(make_window, central_url) -> None:
    name = str(conninfo_to_dict(central_url)["dbname"])
    backup = name + "_bak"
    a = make_window("152223", "02")
    b = make_window("152223", "03")
    med, _ = a.desk.create("mediation", GOOD_MEDIATION, register_enterprise=False)
    a.sync()
    b.sync()
    try:
        _copy_db(name, backup)  # the nightly backup
        for i in range(3):
            a.desk.create("consultation", {**GOOD_CONSULTATION, "visitor_name": "访客" + "甲乙丙"[i]},
                          register_enterprise=False)
        b.desk.act(med.id, "accept", {"accepted_on": "2026-03-03", "mediator": "张三"})
        b.sync()
        a.sync()
        b.sync()
        before = central_state(central_url, scope_of("152223"))
        assert outbox_count(a.desk) == outbox_count(b.desk) == 0
        for w in (a, b):  # acknowledged creates and events keep no payload (rebuilt below)
            with w.desk.reading() as s:
                assert None in set(s.scalars(select(acked_log.c.payload)))
        _copy_db(backup, name)  # central restored: the last changes are gone there
        assert len(central_state(central_url, scope_of("152223"))) < len(before)
        new_epoch(central_url)
        ra = a.sync()
        rb = b.sync()
        a.sync()
        assert ra.requeued > 0 and rb.requeued > 0
        assert "county:152223" in ra.rebaselined or ra.pulled > 0
    finally:
        with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(backup)))
    after = central_state(central_url, scope_of("152223"))
    assert after == before
    assert local_state(a.desk) == after == local_state(b.desk)
    assert outbox_count(a.desk) == outbox_count(b.desk) == 0


def test_acked_log_pruned_after_the_retention_and_a_restore_within_it_loses_nothing(
        make_window, central_url) -> None:
    name = str(conninfo_to_dict(central_url)["dbname"])
    backup = name + "_bak"
    a = make_window("152223", "02")

    def consult(who: str) -> None:
        a.desk.create("consultation", {**GOOD_CONSULTATION, "visitor_name": who},
                      register_enterprise=False)

    def acked() -> list[int]:
        with a.desk.reading() as s:
            return list(s.scalars(select(acked_log.c.local_seq).order_by(acked_log.c.local_seq)))

    for who in ("访客甲", "访客乙", "访客丙"):
        consult(who)
    a.sync()
    old = acked()
    with a.desk.writing() as w:
        s = w.session  # acknowledged 40 days ago
        s.execute(update(acked_log).values(acked_at=utcnow() - dt.timedelta(days=40)))
    try:
        _copy_db(name, backup)  # central's backup of last night: it has the old changes
        med, _ = a.desk.create("mediation", GOOD_MEDIATION, register_enterprise=False)
        a.desk.act(med.id, "accept", {"accepted_on": "2026-03-03", "mediator": "张三"})
        consult("访客丁")
        rep = a.sync()
        assert old and rep.pruned == len(old)  # older than 30 days: gone after the cycle
        recent = acked()
        assert recent and not set(recent) & set(old)
        assert a.sync().pruned == 0  # nothing else is old enough
        before = central_state(central_url, scope_of("152223"))
        _copy_db(backup, name)  # central restored: today's changes are gone there
        new_epoch(central_url)
        rep = a.sync()
        a.sync()
        assert rep.requeued == len(recent)  # all still in the retention: pushed again
    finally:
        with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(backup)))
    after = central_state(central_url, scope_of("152223"))
    assert after == before and local_state(a.desk) == after
    assert outbox_count(a.desk) == 0
    # the retention is a setting of the window
    a.desk.set_setting(ACKED_RETENTION_SETTING, 7)
    client = a.client()
    assert client.acked_retention_days() == 7
    assert client.prune_acked(now=utcnow() + dt.timedelta(days=6)) == 0
    assert client.prune_acked(now=utcnow() + dt.timedelta(days=8)) == len(recent)
    assert acked() == []


def test_epoch_change_rereads_stream(make_window, central_url) -> None:
    a = make_window("152223", "02")
    a.desk.create("consultation", GOOD_CONSULTATION)
    a.sync()
    new_epoch(central_url)
    rep = a.sync()
    assert rep.pulled > 0 and not rep.digest_mismatch
    assert local_state(a.desk) == central_state(central_url, scope_of("152223"))


def test_s12_local_restore_from_old_backup(make_window, central_url) -> None:
    from xingan_desk.desk import Desk, restore

    a = make_window("152223", "02")
    b = make_window("152223", "03")
    names = iter("甲乙丙丁戊己庚辛")

    def new() -> str:
        rec, _ = a.desk.create("consultation", {**GOOD_CONSULTATION,
                                                "visitor_name": "访客" + next(names)},
                               register_enterprise=False)
        return rec.receipt_no

    new()
    a.sync()
    backup = a.desk.backup()
    pushed_after_backup = [new(), new()]
    a.sync()
    lost_local_only = new()  # never pushed: cannot come back (to be listed for the admin)
    directory = a.desk.directory
    a.desk.close()
    _, generation = restore(directory, backup)
    assert generation == 2
    a.desk = Desk.open(directory)
    a.desk.use_account("admin")
    after_restore = new()
    assert after_restore != lost_local_only  # new generation letter: no number reused
    rep = a.sync()
    assert rep.rejected == 0 and outbox_count(a.desk) == 0
    b.sync()
    central = central_state(central_url, scope_of("152223"))
    receipts = sorted(r[0] for r in central.values())
    assert len(receipts) == len(set(receipts)) == 4
    assert set(pushed_after_backup) | {after_restore} <= set(receipts)
    assert lost_local_only not in receipts
    assert local_state(a.desk) == central == local_state(b.desk)


def test_an_old_store_copied_back_by_hand_heals(make_window, central_url, tmp_path) -> None:
    """The clerk copies last week's store over the live one by hand and works on: its counter
    issues again a number central already holds for another record. The admin then starts a
    new number generation as `restore` does. Sync does not stop: the unuploaded record gets a
    new number, the clerk is told, and everything converges."""
    import shutil

    from xingan_desk.desk import Desk
    from xingan_desk.sync.review import attention_items

    a = make_window("152223", "02")
    b = make_window("152223", "03")
    a.desk.create("consultation", GOOD_CONSULTATION, register_enterprise=False)
    a.sync()
    old = a.desk.backup(tmp_path / "last-week.sqlite3")
    first, _ = a.desk.create("consultation", {**GOOD_CONSULTATION, "visitor_name": "李娜"},
                             register_enterprise=False)
    a.sync()
    path, directory = a.desk.path, a.desk.directory
    a.desk.close()
    for suffix in ("-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    shutil.copy2(old, path)  # by hand: no generation bump
    a.desk = Desk.open(directory)
    a.desk.use_account("admin")
    again, _ = a.desk.create("consultation", {**GOOD_CONSULTATION, "visitor_name": "赵敏"},
                             register_enterprise=False)
    assert again.receipt_no == first.receipt_no  # the old counter issued it a second time
    a.desk.bump_generation("从旧文件恢复后换代")  # what `restore` does to the live store
    for _ in range(3):
        a.sync()
    renamed = a.desk.get(again.id)
    assert renamed.receipt_no != first.receipt_no
    assert a.desk.get(first.id).receipt_no == first.receipt_no  # central's record kept its own
    items = [i for i in attention_items(a.desk) if "换新编号" in i.title]
    assert items and first.receipt_no in items[0].summary and renamed.receipt_no in items[0].summary
    b.sync()
    assert outbox_count(a.desk) == 0
    central = central_state(central_url, scope_of("152223"))
    assert local_state(a.desk) == central == local_state(b.desk)
