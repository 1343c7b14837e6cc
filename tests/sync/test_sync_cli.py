"""The sync commands through the real `xingan-desk` argument parser."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from tests.conftest import ADMIN_PASSWORD, GOOD_CONSULTATION
from xingan_desk.cli import build_parser
from xingan_desk.desk import Desk
from xingan_desk.errors import NotFound, PermissionDenied
from xingan_desk.sync.cli import SyncSetupError, normalise_url

pytestmark = pytest.mark.pg


def _run(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args))


def test_central_init_add_window_and_sync_once(central_url, tmp_path, capsys) -> None:
    store = tmp_path / "store"
    desk = Desk.initialise(store, "152223", "02", admin_password=ADMIN_PASSWORD)
    desk.use_account("admin")
    desk.create("consultation", GOOD_CONSULTATION, register_enterprise=False)
    desk.close()
    assert _run(["central", "init", "--url", central_url]) == 0
    assert _run(["central", "add-window", "--url", central_url, "--county", "152223", "--window", "02",
                 "--data-dir", str(store), "--password", ADMIN_PASSWORD, "--allow-plain"]) == 0
    out = capsys.readouterr().out
    assert "已在中心数据库登记窗口 152223-02" in out and "数据库账号" in out
    assert _run(["sync", "--once", "--data-dir", str(store)]) == 0
    out = capsys.readouterr().out
    assert "同步完成：上传2条" in out
    with psycopg.connect(central_url) as conn:
        row = conn.execute("SELECT count(*) FROM sync.record").fetchone()
    assert row == (1,)
    desk = Desk.open(store)
    assert desk.setting("sync")["window_code"] == "152223-02"
    assert desk.pending_outbox() == 0
    desk.close()


def test_sync_without_settings_fails_in_chinese(tmp_path) -> None:
    store = tmp_path / "store"
    Desk.initialise(store, "152223", "02", admin_password=ADMIN_PASSWORD).close()
    with pytest.raises(NotFound, match="本机尚未设置同步"):
        _run(["sync", "--once", "--data-dir", str(store)])


ROOT = Path(__file__).resolve().parents[2]
NO_KEYRING = {"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}


def _shell(command: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, shell=True, cwd=ROOT, text=True, capture_output=True,
                          env={**os.environ, **NO_KEYRING, **env}, timeout=300)


def test_add_window_into_a_closed_pipe_leaves_nothing_half_done(central_url, tmp_path) -> None:
    store = tmp_path / "store"
    Desk.initialise(store, "152223", "02", admin_password=ADMIN_PASSWORD).close()
    xd = f"{shlex.quote(sys.executable)} -m xingan_desk"
    url = shlex.quote(central_url.replace("postgresql://", "postgresql+psycopg://", 1)
                      if central_url.startswith("postgresql://") else central_url)
    r = _shell(f"{xd} central init --url {url} | head -1", {})
    assert r.stdout.startswith("中心数据库已就绪") and r.stderr == "", r.stderr
    r = _shell(f"{xd} central add-window --url {url} --county 152223 --window 02 "
               f"--data-dir {shlex.quote(str(store))} --allow-plain | head -1",
               {"XINGAN_DESK_PASSWORD": ADMIN_PASSWORD})
    assert r.stdout.strip() == "已在中心数据库登记窗口 152223-02" and r.stderr == "", r.stderr
    # the settings were saved before anything was printed: the window syncs
    # (no keyring here: a login password unlocks the encrypted store)
    r = _shell(f"{xd} sync --once --data-dir {shlex.quote(str(store))}",
               {"XINGAN_DESK_PASSWORD": ADMIN_PASSWORD})
    assert r.returncode == 0 and "同步完成" in r.stdout, r.stderr
    # without a data directory the whole block reaches the pipe in one write
    r = _shell(f"{xd} central add-window --url {url} --county 152223 --window 03 | head -3", {})
    assert r.stderr == "" and "密码：" in r.stdout, r.stderr


def test_add_window_checks_the_login_before_creating_the_role(central_url, tmp_path) -> None:
    from xingan_desk.sync.central import window_roles

    store = tmp_path / "store"
    Desk.initialise(store, "152223", "02", admin_password=ADMIN_PASSWORD).close()
    assert _run(["central", "init", "--url", central_url]) == 0
    args = ["central", "add-window", "--url", central_url, "--county", "152223",
            "--data-dir", str(store)]
    with pytest.raises(PermissionDenied):
        _run([*args, "--window", "02", "--password", "Wrong2026x"])
    with pytest.raises(SyncSetupError, match="不符"):
        _run([*args, "--window", "05", "--password", ADMIN_PASSWORD])
    assert window_roles(central_url) == []


def test_both_url_spellings_or_a_clear_refusal(capsys) -> None:
    assert normalise_url("postgresql+psycopg://u:pw@db.example:5432/league") == \
        "postgresql://u:pw@db.example:5432/league"
    assert normalise_url("postgresql://u@h/d") == "postgresql://u@h/d"
    assert normalise_url("host=h dbname=d user=u") == "host=h dbname=d user=u"
    from xingan_desk.cli import main

    assert main(["central", "init", "--url", "u:Secret99@h/d"]) == 1
    err = capsys.readouterr().err
    assert "中心数据库地址格式不正确" in err and "Secret99" not in err


def test_sync_on_a_damaged_store_names_the_backup(make_window) -> None:
    from tests.core.test_recovery import damage
    from xingan_desk.errors import StoreCorrupt
    from xingan_desk.sync.client import SyncClient

    w = make_window("152223", "02")
    from xingan_desk.demo import generate

    generate(w.desk, 150, seed=5)
    w.sync()
    good = w.desk.backup()
    directory = w.desk.directory
    w.desk.close()
    # half the file: a sync with nothing new reads few pages, and must still meet the damage
    store = directory / "xingan-desk.sqlite3"
    damage(store, store.stat().st_size // 2)
    with pytest.raises(StoreCorrupt) as caught:  # at open or during the sync
        w.desk = Desk.open(directory)
        SyncClient(w.desk, w.creds.url, machine_id=w.machine_id).run_once()
    assert caught.value.backup == good and good.name in str(caught.value)
