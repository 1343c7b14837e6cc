"""The store at rest: what the app writes to disk is readable by its owner only."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ADMIN_PASSWORD, GOOD_CONSULTATION
from xingan_desk import export
from xingan_desk.desk import Desk, restore

posix_only = pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")


def mode(p: Path) -> int:
    return stat.S_IMODE(p.stat().st_mode)


@pytest.fixture
def loose_umask() -> Iterator[None]:
    """The usual umask of a desktop session (files 0644 by default): the app must not rely
    on it."""
    old = os.umask(0o022)
    yield
    os.umask(old)


@posix_only
def test_store_wal_backups_exports_and_restores_are_owner_only(tmp_path: Path,
                                                               loose_umask: None) -> None:
    d = Desk.initialise(tmp_path / "store", "152223", "02", admin_password=ADMIN_PASSWORD)
    try:
        d.use_account("admin")
        d.create("consultation", GOOD_CONSULTATION)
        store = d.path
        assert mode(store.parent) == 0o700
        for p in (store, Path(f"{store}-wal"), Path(f"{store}-shm")):
            assert p.exists() and mode(p) == 0o600, p
        daily = d.auto_backup(every_hours=0)
        assert daily is not None and mode(daily) == 0o600 and mode(daily.parent) == 0o700
        out_dir = tmp_path / "usb"  # `backup --out` into a folder that does not exist yet
        copy = d.backup(out_dir / "copy.sqlite3")
        assert mode(copy) == 0o600 and mode(out_dir) == 0o700
        chosen = tmp_path / "chosen"  # a folder the user already had keeps its mode
        chosen.mkdir(mode=0o755)
        os.chmod(chosen, 0o755)
        assert mode(d.backup(chosen / "b.sqlite3")) == 0o600 and mode(chosen) == 0o755
        for fmt in ("csv", "xlsx"):
            target = chosen / f"out.{fmt}"
            assert export.export(d, "consultation", fmt, target, unmasked=True) == 1
            assert mode(target) == 0o600, fmt
    finally:
        d.close()
    path, _gen = restore(tmp_path / "store", copy)
    assert mode(path) == 0o600
    kept = sorted((tmp_path / "store" / "backups").iterdir())
    assert kept and all(mode(p) == 0o600 for p in kept)


@posix_only
def test_an_older_world_readable_store_is_made_owner_only_when_opened(tmp_path: Path,
                                                                       loose_umask: Any) -> None:
    d = Desk.initialise(tmp_path / "store", "152223", "02", admin_password=ADMIN_PASSWORD)
    backup = d.backup()
    d.close()
    for p in (tmp_path / "store", tmp_path / "store" / "backups"):
        os.chmod(p, 0o755)
    for p in (d.path, backup):
        os.chmod(p, 0o644)
    Desk.open(tmp_path / "store").close()
    assert mode(d.path) == 0o600 and mode(backup) == 0o600
    assert mode(tmp_path / "store") == 0o700 and mode(backup.parent) == 0o700


# --- the sync password without a keyring -------------------------------------------------------
@pytest.fixture
def no_keyring() -> Iterator[None]:
    import keyring
    from keyring.backends import fail

    old = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    yield
    keyring.set_keyring(old)


def _all_setting_text(d: Desk) -> str:
    from sqlalchemy import select

    from xingan_desk.storage.schema import AuditEntry, Setting

    with d.reading() as s:
        rows = [str(r.value) for r in s.scalars(select(Setting))]
        rows += [str(a.changes) + a.detail for a in s.scalars(select(AuditEntry))]
    return " ".join(rows)


def test_sync_password_without_a_keyring_is_sealed_not_clear(desk: Desk, no_keyring: None
                                                              ) -> None:
    from xingan_desk.storage import keys
    from xingan_desk.sync import settings as ss

    pw = "Sync-Secret-9f3a"
    s = ss.SyncSettings(host="central.example", dbname="xingan", user="w_152223_02",
                        sslmode="verify-full", allow_plain=True)  # no CA: libpq's default
    saved, where = ss.save(desk, s, pw)
    assert saved.password_store == "local" and "加密" in where
    assert pw not in _all_setting_text(desk)
    assert ss.read_password(desk, saved) == pw
    assert f"password={pw}" in ss.connection_url(desk)
    # a fresh process on this PC: the store opens with the admin password, and so does
    # the sync password; without it nothing opens
    path = desk.directory
    desk.close()
    keys.forget_all()
    with pytest.raises(keys.StoreLocked, match="请输入登录密码"):
        Desk.open(path)
    again = Desk.open(path, password=ADMIN_PASSWORD)
    try:
        assert ss.read_password(again, saved) == pw
    finally:
        again.close()


def test_a_clear_text_sync_password_of_an_older_version_is_sealed_at_the_next_sync(
        desk: Desk, no_keyring: None) -> None:
    from xingan_desk.sync import settings as ss

    pw = "Old-Clear-Text-77"
    s = ss.SyncSettings(host="central.example", dbname="xingan", user="w_152223_02",
                        password_store="local", allow_plain=True)  # no CA: libpq's default
    desk.set_setting(ss.SETTING_KEY, s.as_setting())
    desk.set_setting(ss.LOCAL_SECRET_KEY, {"user": s.keyring_user, "password": pw})
    assert pw in _all_setting_text(desk)
    assert f"password={pw}" in ss.connection_url(desk)
    assert desk.setting(ss.LOCAL_SECRET_KEY).get("password") is None
    assert pw not in _all_setting_text(desk)
    assert ss.read_password(desk, s) == pw
    from tests.tls_support import make_ca

    ca_file = desk.directory.parent / "league-ca.pem"  # a URL can name the CA file
    ca_file.write_text(make_ca().cert_pem)
    legacy = ss.SyncSettings(host="c2.example", dbname="xingan", user="w_152223_02",
                             sslrootcert=str(ca_file))
    desk.set_setting(ss.SETTING_KEY, {"url": legacy.conninfo("In-The-Url-55")})
    assert "In-The-Url-55" in ss.connection_url(desk)
    assert "In-The-Url-55" not in str(desk.setting(ss.SETTING_KEY))
    assert ss.load(desk).password_store == "local"  # type: ignore[union-attr]


# --- encryption ---------------------------------------------------------------------------------
class _VaultKeyring:
    """Stands in for Windows Credential Locker (not on this Linux box): the same keyring calls."""

    priority = 5

    def __init__(self) -> None:
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.store.pop((service, username), None)


@pytest.fixture
def os_keyring(monkeypatch: pytest.MonkeyPatch) -> Iterator[_VaultKeyring]:
    import keyring
    from keyring.backend import KeyringBackend

    from xingan_desk.storage import keys

    cls = type("VaultKeyring", (_VaultKeyring, KeyringBackend), {})
    kr = cls()
    monkeypatch.setattr(keys, "TRUSTED_KEYRINGS",
                        (*keys.TRUSTED_KEYRINGS, f"{cls.__module__}.{cls.__qualname__}"))
    old = keyring.get_keyring()
    keyring.set_keyring(kr)
    yield kr
    keyring.set_keyring(old)


def _plain_store(tmp_path: Path) -> Path:
    """An unencrypted store as an older version left it, with a backup beside it."""
    from xingan_desk.storage import db as dbmod
    from xingan_desk.storage import keys

    d = Desk.initialise(tmp_path / "enc", "152223", "02", admin_password=ADMIN_PASSWORD)
    d.use_account("admin")
    d.create("consultation", GOOD_CONSULTATION)
    key = keys.current_key(d.path)
    d.close()
    plain = tmp_path / "old"
    (plain / "backups").mkdir(parents=True)
    for target in (plain / d.path.name, plain / "backups" / "xingan-desk-20260301-120000.sqlite3"):
        conn = dbmod.connect_file(d.path, key)
        conn.execute("ATTACH DATABASE ? AS p KEY ''", (str(target),))
        conn.execute("SELECT sqlcipher_export('p')")
        conn.execute("DETACH DATABASE p")
        conn.close()
        assert target.read_bytes()[:16] == b"SQLite format 3\x00"
    keys.forget_all()
    return plain


def test_a_stolen_store_or_backup_reveals_nothing(desk: Desk) -> None:
    desk.create("consultation", GOOD_CONSULTATION)
    backup = desk.backup()
    for f in (desk.path, backup):
        raw = f.read_bytes()
        assert not raw.startswith(b"SQLite format")
        assert "兴安新材料".encode() not in raw and b"13812345678" not in raw
    assert "兴安新材料".encode() not in Path(f"{desk.path}-wal").read_bytes()
    kf = (desk.directory / "xingan-desk.sqlite3.key").read_text()
    assert ADMIN_PASSWORD not in kf and "wrapped" in kf


def test_an_older_unencrypted_store_is_encrypted_in_place_after_a_backup(
        tmp_path: Path, no_keyring: None) -> None:
    from xingan_desk.storage import keys

    plain = _plain_store(tmp_path)
    store = plain / "xingan-desk.sqlite3"
    Desk.open(plain).close()  # no keyring, no password: it can only stay as it is
    assert store.read_bytes()[:6] == b"SQLite"
    Desk.open(plain, password="Wrong-Password-1").close()  # not an admin's: no key made
    assert store.read_bytes()[:6] == b"SQLite" and not keys.keyfile_path(store).exists()
    d = Desk.open(plain, password=ADMIN_PASSWORD)  # the admin's login password
    try:
        assert not store.read_bytes().startswith(b"SQLite") and d.check() == []
        d.use_account("admin")
        saved = list((plain / "backups").glob("*.sqlite3"))
        assert any(p.name.startswith("before-encrypt-") for p in saved)
        assert all(not p.read_bytes().startswith(b"SQLite") for p in saved)
    finally:
        d.close()
    keys.forget_all()
    again = Desk.open(plain, password=ADMIN_PASSWORD)
    again.use_account("admin")
    assert len(again.list_users()) == 1
    again.close()


def test_files_attached_before_the_store_was_encrypted_are_encrypted_with_it(
        tmp_path: Path, no_keyring: None) -> None:
    from tests import attach_samples as samples
    from xingan_desk.views import Query

    plain = _plain_store(tmp_path)
    d = Desk.open(plain)  # no keyring, no password: it stays unencrypted for now
    d.use_account("admin")
    (rec_id,) = d.find_ids(Query(kind="consultation"))
    scans = [samples.pdf(2, text="clear scan one"), samples.png(rgb=b"\x12\x34\x56")]
    atts = [d.attach(rec_id, data, f"扫描{n}.pdf" if n == 0 else "照片.png", None)[0]
            for n, data in enumerate(scans)]
    d.backup()  # its folder hard-links the same clear files
    d.close()

    def clear_files() -> list[Path]:
        return [p for p in plain.rglob("*") if p.is_file()
                and any(data in p.read_bytes() for data in scans)]

    assert clear_files()  # in clear beside a plain store and its backup
    d = Desk.open(plain, password=ADMIN_PASSWORD)  # the store is encrypted now …
    try:
        assert not (plain / "xingan-desk.sqlite3").read_bytes().startswith(b"SQLite")
        assert clear_files() == []  # … and so is every attachment file, backups' too
        d.use_account("admin")
        assert [d.attachment_content(a.id) for a in atts] == scans
        assert all(d.attachments.files().is_encrypted_on_disk(a.sha256) for a in atts)
        assert d.check() == []
    finally:
        d.close()
    # the backup made before still restores with its files
    (backup,) = [p for p in (plain / "backups").glob("xingan-desk-*.sqlite3")
                 if (p.parent / f"{p.name}.attachments").is_dir()]
    restore(plain, backup, password=ADMIN_PASSWORD)
    d = Desk.open(plain, password=ADMIN_PASSWORD)
    try:
        d.use_account("admin")
        assert [d.attachment_content(a.id) for a in atts] == scans
        assert clear_files() == []
    finally:
        d.close()


def test_with_an_os_keyring_the_store_opens_without_a_password(tmp_path: Path,
                                                               os_keyring: _VaultKeyring) -> None:
    from xingan_desk.storage import keys

    d = Desk.initialise(tmp_path / "s", "152223", "02", admin_password=ADMIN_PASSWORD)
    d.close()
    assert keys.protection(d.path) == "keyring" and len(os_keyring.store) == 1
    keys.forget_all()
    Desk.open(tmp_path / "s").close()
    # the key lost from the keyring (a new Windows profile): the admin password still opens it
    os_keyring.store.clear()
    keys.forget_all()
    assert keys.needs_password(d.path)
    Desk.open(tmp_path / "s", password=ADMIN_PASSWORD).close()
    # an older store on a keyring PC is encrypted at the first open
    plain = _plain_store(tmp_path / "p")
    Desk.open(plain).close()
    assert not (plain / "xingan-desk.sqlite3").read_bytes().startswith(b"SQLite")


def test_a_backup_opens_on_another_pc_with_the_admin_password(desk: Desk, tmp_path: Path,
                                                              no_keyring: None) -> None:
    from xingan_desk.storage import keys

    desk.create("consultation", GOOD_CONSULTATION)
    backup = desk.backup(tmp_path / "usb" / "b.sqlite3")
    desk.close()
    keys.forget_all()  # the new PC knows nothing
    other = Desk.initialise(tmp_path / "new-pc", "152223", "02", admin_password="Other2026x")
    other.close()
    with pytest.raises(keys.StoreLocked, match="管理员的密码"):
        restore(tmp_path / "new-pc", backup)
    restore(tmp_path / "new-pc", backup, password=ADMIN_PASSWORD)
    back = Desk.open(tmp_path / "new-pc", password=ADMIN_PASSWORD)
    try:
        back.use_account("admin")
        assert back.check() == []
    finally:
        back.close()


def test_changing_the_admin_password_rewraps_the_key(desk: Desk) -> None:
    from xingan_desk.storage import keys

    desk.set_password("admin", "Changed2026y")
    path = desk.directory
    desk.close()
    keys.forget_all()
    with pytest.raises(keys.StoreLocked):
        Desk.open(path, password=ADMIN_PASSWORD)
    Desk.open(path, password="Changed2026y").close()
