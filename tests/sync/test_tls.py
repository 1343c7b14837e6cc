"""Sync over TLS against a second, real PostgreSQL cluster started here with `ssl=on` and a
CA and server certificate made in the test: the right CA and host name sync; a certificate
for another host name, an unknown CA, and a plain connection the admin did not allow are
refused with a Chinese sentence."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from sqlalchemy import select

from tests.conftest import ADMIN_PASSWORD, GOOD_CONSULTATION
from tests.tls_support import TlsCluster, make_ca, make_server_cert, start_tls_cluster
from xingan_desk.cli import build_parser
from xingan_desk.desk import Desk
from xingan_desk.errors import ValidationFailed
from xingan_desk.storage.schema import AuditEntry
from xingan_desk.sync import settings as ss
from xingan_desk.sync.central import add_window, init_central, window_roles
from xingan_desk.sync.cli import SyncSetupError
from xingan_desk.sync.client import SyncUnavailable
from xingan_desk.sync.service import SyncService

pytestmark = pytest.mark.pg

RAW_WORDS = ("certificate", "ssl", "libpq", "does not match", "verify failed")


@pytest.fixture(scope="module")
def cluster() -> Iterator[TlsCluster]:
    ca = make_ca()
    server = make_server_cert(ca, ["localhost"])  # not 127.0.0.1: that is "another host"
    yield from start_tls_cluster(ca, server)


@pytest.fixture
def league(cluster: TlsCluster) -> Iterator[str]:
    """A database on the TLS cluster with central's sync schema; the admin URL (verified)."""
    import secrets

    name = f"league_{secrets.token_hex(4)}"
    with psycopg.connect(cluster.admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = cluster.url(dbname=name)
    init_central(url)
    yield url
    with psycopg.connect(cluster.admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
            sql.Identifier(name)))
        for (role,) in conn.execute("SELECT rolname FROM pg_roles WHERE rolname LIKE 'xw\\_%%'"
                                    ).fetchall():
            conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))


def _run(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args))


def _desk(path: Path, window: str = "02") -> Desk:
    d = Desk.initialise(path, "152223", window, admin_password=ADMIN_PASSWORD)
    d.use_account("admin")
    return d


def _records_at(url: str) -> int:
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT count(*) FROM sync.record").fetchone()
    return int(row[0]) if row else 0


def _chinese_only(message: str) -> None:
    assert message and not any(w in message.lower() for w in RAW_WORDS), message


def test_verified_tls_syncs_with_the_ca_the_store_carries(cluster: TlsCluster, league: str,
                                                          tmp_path: Path, capsys: Any) -> None:
    store = tmp_path / "store"
    d = _desk(store)
    d.create("consultation", GOOD_CONSULTATION, register_enterprise=False)
    d.close()
    ca_copy = tmp_path / "league-ca.pem"  # what the admin got from the League
    shutil.copy(cluster.ca_file, ca_copy)
    assert _run(["central", "add-window", "--url", league, "--county", "152223", "--window",
                 "02", "--data-dir", str(store), "--password", ADMIN_PASSWORD,
                 "--ca-file", str(ca_copy)]) == 0
    out = capsys.readouterr().out
    assert "加密并验证中心服务器证书" in out
    ca_copy.unlink()  # the settings carry the CA itself, not only the path
    assert _run(["sync", "--once", "--data-dir", str(store)]) == 0
    assert "同步完成：上传2条" in capsys.readouterr().out
    assert _records_at(league) == 1
    d = Desk.open(store, password=ADMIN_PASSWORD)
    try:
        raw = d.setting("sync")
        assert raw["sslmode"] == "verify-full" and raw["ca_pem"] == cluster.ca.cert_pem
        assert raw["allow_plain"] is False
        assert ss.tls_warning(d) is None
        s = ss.load(d)
        assert s is not None and s.verified
        d.use_account("admin")
        assert ss.check_connection(s, ss.read_password(d, s), "152223-02") == \
            "连接成功：中心数据库识别本机为 152223-02 窗口（加密连接，服务器证书已验证）"
        state = SyncService(d).run_once()
        assert state.online and state.error == "" and state.tls_warning == ""
    finally:
        d.close()


def test_a_certificate_for_another_host_name_is_refused(cluster: TlsCluster, league: str,
                                                        tmp_path: Path) -> None:
    d = _desk(tmp_path / "w")
    try:
        d.create("consultation", GOOD_CONSULTATION, register_enterprise=False)
        creds = add_window(league, "152223", "02")
        s, pw = ss.SyncSettings.from_url(creds.url, sslrootcert="",
                                         ca_pem=cluster.ca.cert_pem)
        # the server is the same, the name used for it is not the one on its certificate
        other = ss.SyncSettings(**{**s.as_setting(), "host": "127.0.0.1"})
        with pytest.raises(ss.SyncSettingsError) as refused:
            ss.check_connection(other, pw, "152223-02")
        message = str(refused.value)
        assert "不是签发给服务器地址“127.0.0.1”的" in message and "冒充" in message
        _chinese_only(message)
        ss.save(d, other, pw)
        state = SyncService(d).run_once()
        assert state.online is False and state.error_kind == "tls"
        assert state.status_text.startswith("证书验证失败")
        assert state.error.startswith("中心服务器的证书不是签发给服务器地址“127.0.0.1”的")
        assert _records_at(league) == 0 and d.pending_outbox() > 0
        with pytest.raises(SyncUnavailable, match="不是签发给服务器地址"):
            _run(["sync", "--once", "--data-dir", str(d.directory)])
        ss.save(d, s, pw)  # the name on the certificate: it works
        assert SyncService(d).run_once().error == ""
        assert _records_at(league) == 1
    finally:
        d.close()


def test_an_unknown_ca_is_refused(cluster: TlsCluster, league: str, tmp_path: Path) -> None:
    d = _desk(tmp_path / "w")
    try:
        d.create("consultation", GOOD_CONSULTATION, register_enterprise=False)
        creds = add_window(league, "152223", "02")
        stranger = make_ca("Somebody Else's CA")
        s, pw = ss.SyncSettings.from_url(creds.url, sslrootcert="", ca_pem=stranger.cert_pem)
        with pytest.raises(ss.SyncSettingsError) as refused:
            ss.check_connection(s, pw, "152223-02")
        message = str(refused.value)
        assert "不是由本机保存的根证书（CA）签发的" in message
        _chinese_only(message)
        ss.save(d, s, pw)
        state = SyncService(d).run_once()
        assert state.error_kind == "tls" and "不是由本机保存的根证书（CA）签发的" in state.error
        assert _records_at(league) == 0
        # a file that is no certificate at all is refused when saving
        junk = tmp_path / "junk.pem"
        junk.write_text("not a certificate")
        with pytest.raises(ValidationFailed) as bad:
            ss.save(d, ss.SyncSettings(**{**s.as_setting(), "ca_pem": "",
                                          "sslrootcert": str(junk)}), pw)
        assert bad.value.errors["sslrootcert"].startswith("根证书文件格式不对")
    finally:
        d.close()


def test_plain_connections_only_when_an_admin_allows_them(cluster: TlsCluster, league: str,
                                                          tmp_path: Path) -> None:
    store = tmp_path / "store"
    d = _desk(store)
    try:
        d.create("consultation", GOOD_CONSULTATION, register_enterprise=False)
        # add-window without a CA (neither --ca-file nor in the admin's URL) and without
        # --allow-plain: refused before the role exists
        info = {k: v for k, v in conninfo_to_dict(league).items() if k != "sslrootcert"}
        unverified = make_conninfo("", **{**info, "sslmode": "require"})
        with pytest.raises(SyncSetupError, match="--ca-file"):
            _run(["central", "add-window", "--url", unverified, "--county", "152223",
                  "--window", "02", "--data-dir", str(store), "--password", ADMIN_PASSWORD])
        assert window_roles(league) == []
        creds = add_window(league, "152223", "02")
        s, pw = ss.SyncSettings.from_url(creds.url, sslmode="disable", sslrootcert="")
        assert not s.allow_plain
        with pytest.raises(ValidationFailed) as refused:
            ss.save(d, s, pw)
        assert "允许不验证服务器证书的连接" in refused.value.errors["sslmode"]
        with pytest.raises(ValidationFailed):
            ss.check_connection(s, pw, "152223-02")
        # settings an older version saved (sslmode=prefer, no CA): sync stops and says why
        legacy = ss.SyncSettings(**{**s.as_setting(), "sslmode": "prefer",
                                    "password_store": "local"})
        ss.save(d, ss.SyncSettings(**{**legacy.as_setting(), "allow_plain": True}), pw)
        d.set_setting(ss.SETTING_KEY, {k: v for k, v in d.setting("sync").items()
                                       if k != "allow_plain"})
        state = SyncService(d).run_once()
        assert state.error_kind == "settings" and "不验证中心服务器证书，已停止同步" in state.error
        assert _records_at(league) == 0
        # the admin allows it explicitly (audited): sync works, with a standing warning
        ss.save(d, ss.SyncSettings(**{**s.as_setting(), "allow_plain": True}), pw)
        assert ss.check_connection(ss.load(d), pw, "152223-02").endswith("（未加密连接）")  # type: ignore[arg-type]
        state = SyncService(d).run_once()
        assert state.error == "" and _records_at(league) == 1
        assert state.tls_warning == ss.tls_warning(d) and "未加密" in state.tls_warning
        with d.reading() as session:  # who allowed it is in the audit log
            audited = [e.changes["sync"][1] for e in session.scalars(
                select(AuditEntry).where(AuditEntry.action == "setting"))
                if "sync" in e.changes and e.changes["sync"][1]]
        assert audited[-1]["allow_plain"] is True and audited[-1]["sslmode"] == "disable"
    finally:
        d.close()
