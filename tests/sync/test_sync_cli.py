"""The sync commands through the real `xingan-desk` argument parser."""

from __future__ import annotations

import psycopg
import pytest

from tests.conftest import ADMIN_PASSWORD, GOOD_CONSULTATION
from xingan_desk.cli import build_parser
from xingan_desk.desk import Desk
from xingan_desk.errors import NotFound

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
                 "--data-dir", str(store)]) == 0
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
