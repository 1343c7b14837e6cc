"""The store key: a random 256-bit key that encrypts the store (SQLCipher) and the secrets
kept inside it (the sync password on PCs without a keyring).

Where the key lives:
- in the OS keyring when the PC has a trusted one (Windows Credential Locker, protected by
  DPAPI with the Windows logon; Secret Service / KWallet / macOS Keychain elsewhere), under
  service KEYRING_SERVICE and the store's random id;
- always also in "slots" of the key file beside the store (`xingan-desk.sqlite3.key`, 0600):
  the key wrapped (AES-256-GCM) with a key derived by scrypt from an admin account's password.
  A slot is what opens the store on a PC without a keyring (the login dialog's password
  unlocks it), and what opens a backup on another PC after the old one died.

A stolen disk or a copied backup therefore holds the encrypted store, and the key only wrapped
by an admin password (scrypt, 32 MiB per guess) or in the Windows profile's Credential Locker.
The key file holds no secret in clear. Keys unlocked in this process are remembered in memory
(by store id), so a store opened once with a password opens again without it (sync thread,
reopen after restore).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import os
import secrets
import threading
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import DeskError
from ..fileperms import create_private

log = logging.getLogger(__name__)

KEY_BYTES = 32
KEYRING_SERVICE = "xingan-desk-store"
KEYFILE_SUFFIX = ".key"
FORMAT = 1
# scrypt: 2**15 x 8 x 128 B = 32 MiB and ~0.1 s per guess on a hall PC
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**15, 8, 1
# Keyring backends that keep secrets under the OS's protection. Anything else (a plain-text
# file backend such as keyrings.alt's, a chainer of nothing) is not trusted with the store key.
TRUSTED_KEYRINGS: tuple[str, ...] = (
    "keyring.backends.Windows.WinVaultKeyring",
    "keyring.backends.SecretService.Keyring",
    "keyring.backends.libsecret.Keyring",
    "keyring.backends.kwallet.DBusKeyring",
    "keyring.backends.kwallet.DBusKeyringKWallet4",
    "keyring.backends.macOS.Keyring",
)


class StoreLocked(DeskError):
    """The store is encrypted and its key is not available without a password."""

    english = "store locked"


@dataclass
class KeyFile:
    store_id: str
    check: str  # HMAC of the key: tells a stale keyring entry from the right key
    keyring: bool
    slots: dict[str, dict[str, Any]] = field(default_factory=dict)

    def as_json(self) -> str:
        return json.dumps({"format": FORMAT, "cipher": "sqlcipher4-raw-key",
                           "store_id": self.store_id, "check": self.check,
                           "keyring": self.keyring, "slots": self.slots}, indent=1)


_lock = threading.Lock()
_unlocked: dict[str, bytes] = {}


# --- small helpers ------------------------------------------------------------------------------
def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


def _check_of(key: bytes) -> str:
    return hmac.new(key, b"xingan-desk store key check", hashlib.sha256).hexdigest()[:16]


def subkey(key: bytes, purpose: str) -> bytes:
    """An independent key for one purpose (HMAC-SHA256 as a PRF over a random key)."""
    return hmac.new(key, b"xingan-desk:" + purpose.encode("utf-8"), hashlib.sha256).digest()


def keyfile_path(db: Path) -> Path:
    return Path(f"{db}{KEYFILE_SUFFIX}")


def _failures_path(db: Path) -> Path:
    return Path(f"{db}.failed")


def note_failed_unlock(db: Path, username: str) -> None:
    """A wrong password could not unlock the store (so the login failure cannot be written
    to its audit log yet): kept next to it until the next successful open."""
    import datetime as dt

    from ..fileperms import open_private

    line = json.dumps({"user": username[:50], "at": dt.datetime.now(dt.UTC).isoformat()})
    try:
        with open_private(_failures_path(db), "ab") as fh:
            fh.write((line + "\n").encode())
    except OSError:
        log.warning("could not note a failed unlock")


def take_failed_unlocks(db: Path) -> list[tuple[str, str]]:
    """The failed unlocks noted since the last open, (username, ISO time), and forget them."""
    path = _failures_path(db)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
        path.unlink()
    except OSError:
        return []
    out: list[tuple[str, str]] = []
    for line in lines:
        try:
            item = json.loads(line)
            out.append((str(item["user"]), str(item["at"])))
        except (ValueError, KeyError, TypeError):
            continue
    return out


def trusted_keyring() -> Any | None:
    """The OS keyring backend when it is one we trust with the store key, else None."""
    try:
        import keyring

        backend = keyring.get_keyring()
    except Exception:  # a broken keyring install or backend: behave as without one
        log.warning("keyring unavailable")
        return None
    kind = f"{type(backend).__module__}.{type(backend).__qualname__}"
    return backend if kind in TRUSTED_KEYRINGS else None


def has_trusted_keyring() -> bool:
    return trusted_keyring() is not None


# --- the key file -------------------------------------------------------------------------------
def read_keyfile(db: Path) -> KeyFile | None:
    path = keyfile_path(db)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise StoreLocked(f"密钥文件无法读取或已损坏：{path}") from exc
    try:
        return KeyFile(store_id=str(raw["store_id"]), check=str(raw["check"]),
                       keyring=bool(raw.get("keyring")), slots=dict(raw.get("slots") or {}))
    except (KeyError, TypeError) as exc:
        raise StoreLocked(f"密钥文件格式不正确：{path}") from exc


def write_keyfile(db: Path, kf: KeyFile) -> None:
    """Atomically, owner-only."""
    path = keyfile_path(db)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    create_private(tmp)
    try:
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(kf.as_json())
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _wrap(key: bytes, kf: KeyFile, label: str, password: str) -> dict[str, Any]:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    salt, nonce = secrets.token_bytes(16), secrets.token_bytes(12)
    kek = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=SCRYPT_N, r=SCRYPT_R,
                         p=SCRYPT_P, maxmem=128 * 1024 * 1024, dklen=32)
    aad = f"{kf.store_id}/{label}".encode()
    return {"kdf": "scrypt", "n": SCRYPT_N, "r": SCRYPT_R, "p": SCRYPT_P, "salt": _b64(salt),
            "nonce": _b64(nonce), "wrapped": _b64(AESGCM(kek).encrypt(nonce, key, aad))}


def _unwrap(kf: KeyFile, label: str, slot: dict[str, Any], password: str) -> bytes | None:
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    try:
        kek = hashlib.scrypt(password.encode("utf-8"), salt=_unb64(slot["salt"]),
                             n=int(slot["n"]), r=int(slot["r"]), p=int(slot["p"]),
                             maxmem=128 * 1024 * 1024, dklen=32)
        key = AESGCM(kek).decrypt(_unb64(slot["nonce"]), _unb64(slot["wrapped"]),
                                  f"{kf.store_id}/{label}".encode())
    except (InvalidTag, KeyError, ValueError, TypeError):
        return None
    return key if _check_of(key) == kf.check else None


# --- creating, unlocking ------------------------------------------------------------------------
def create_key(db: Path, *, label: str | None = None, password: str | None = None) -> bytes:
    """A new random key for the store at `db`: into the trusted keyring when there is one, and
    wrapped with `password` in slot `label`. Refuses (StoreLocked) when it could be kept
    nowhere, and never overwrites an existing key file."""
    if keyfile_path(db).exists():
        raise FileExistsError(keyfile_path(db))
    key = secrets.token_bytes(KEY_BYTES)
    kf = KeyFile(store_id=str(uuid.uuid4()), check=_check_of(key), keyring=False)
    backend = trusted_keyring()
    if backend is not None:
        try:
            backend.set_password(KEYRING_SERVICE, kf.store_id, key.hex())
            kf.keyring = True
        except Exception:
            log.warning("could not store the store key in the OS keyring")
    if label and password:
        kf.slots[label] = _wrap(key, kf, label, password)
    if not kf.keyring and not kf.slots:
        raise StoreLocked("本机没有可用的系统密码库，需要管理员密码才能加密数据文件")
    write_keyfile(db, kf)
    remember(kf, key)
    return key


def remember(kf: KeyFile, key: bytes) -> None:
    with _lock:
        _unlocked[kf.store_id] = key


def forget_all() -> None:
    """Drop every key unlocked in this process (tests; locking the app)."""
    with _lock:
        _unlocked.clear()


def key_from(kf: KeyFile, password: str | None = None) -> bytes | None:
    """The key of key file `kf`: remembered in this process, from the keyring, or from a slot
    that `password` opens. None when none of them gives it."""
    with _lock:
        key = _unlocked.get(kf.store_id)
    if key is not None:
        return key
    if kf.keyring:
        backend = trusted_keyring()
        if backend is not None:
            try:
                stored = backend.get_password(KEYRING_SERVICE, kf.store_id)
            except Exception:
                log.warning("could not read the store key from the OS keyring")
                stored = None
            if stored:
                try:
                    candidate = bytes.fromhex(stored)
                except ValueError:
                    candidate = b""
                if _check_of(candidate) == kf.check:
                    remember(kf, candidate)
                    return candidate
    if password:
        for label, slot in kf.slots.items():
            unwrapped = _unwrap(kf, label, slot, password)
            if unwrapped is not None:
                remember(kf, unwrapped)
                return unwrapped
    return None


def unlock(db: Path, password: str | None = None) -> bytes | None:
    """The key of the store at `db`, or None for a store without a key file (an unencrypted
    store of an older version). Raises StoreLocked when the key cannot be had."""
    kf = read_keyfile(db)
    if kf is None:
        return None
    key = key_from(kf, password)
    if key is not None:
        return key
    if password:
        raise StoreLocked("密码不正确，无法解锁加密的数据文件（请用本窗口账号的密码）")
    raise StoreLocked("数据文件已加密，本机没有可用的系统密码库保存密钥：请输入登录密码解锁")


def needs_password(db: Path) -> bool:
    """True when opening the store at `db` needs an admin password first (no keyring here,
    and not unlocked in this process). The window app asks for it before the store opens."""
    try:
        kf = read_keyfile(db)
    except StoreLocked:
        return False  # let the open report the broken key file
    return kf is not None and key_from(kf) is None


def set_slot(db: Path, key: bytes, label: str, password: str) -> None:
    """(Re)wrap the key for account `label` with its (new) password."""
    kf = read_keyfile(db)
    if kf is None or _check_of(key) != kf.check:
        return
    slot = kf.slots.get(label)
    if slot is not None and _unwrap(kf, label, slot, password) is not None:
        return  # already opens with this password
    kf.slots[label] = _wrap(key, kf, label, password)
    write_keyfile(db, kf)


def drop_slot(db: Path, label: str) -> None:
    kf = read_keyfile(db)
    if kf is not None and kf.slots.pop(label, None) is not None:
        write_keyfile(db, kf)


def current_key(db: Path) -> bytes | None:
    """The key of the store at `db` if it is open (unlocked) in this process."""
    try:
        kf = read_keyfile(db)
    except StoreLocked:
        return None
    if kf is None:
        return None
    with _lock:
        return _unlocked.get(kf.store_id)


# --- sealing small secrets with the store key ---------------------------------------------------
def seal(key: bytes, purpose: str, plaintext: str) -> str:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    nonce = secrets.token_bytes(12)
    ct = AESGCM(subkey(key, purpose)).encrypt(nonce, plaintext.encode("utf-8"),
                                              purpose.encode("utf-8"))
    return "v1:" + _b64(nonce + ct)


def unseal(key: bytes, purpose: str, token: str) -> str | None:
    """The sealed text, or None when `token` was not sealed with this key for this purpose."""
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    if not token.startswith("v1:"):
        return None
    try:
        raw = _unb64(token[3:])
        pt = AESGCM(subkey(key, purpose)).decrypt(raw[:12], raw[12:], purpose.encode("utf-8"))
    except (InvalidTag, ValueError):
        return None
    return pt.decode("utf-8")


def protection(db: Path) -> str:
    """"keyring", "password" (slots only), or "none" (an unencrypted store)."""
    try:
        kf = read_keyfile(db)
    except StoreLocked:
        return "password"
    if kf is None:
        return "none"
    return "keyring" if kf.keyring else "password"


def status_text(db: Path) -> str:
    """One Chinese sentence for the status/settings: how the store is protected here."""
    how = protection(db)
    if how == "keyring":
        return "数据文件已加密，密钥由系统密码库（Windows 凭据管理器）保护。"
    if how == "password":
        return ("数据文件已加密；本机没有可用的系统密码库，密钥由各账号的登录密码保护，"
                "每次启动登录时即解锁。")
    return "数据文件未加密：请管理员登录一次，程序会在备份后将其加密。"


__all__ = ["KEYRING_SERVICE", "TRUSTED_KEYRINGS", "KeyFile", "StoreLocked", "create_key",
           "current_key", "drop_slot", "forget_all", "has_trusted_keyring", "key_from",
           "keyfile_path", "needs_password", "protection", "read_keyfile", "remember", "seal",
           "set_slot", "status_text", "subkey", "trusted_keyring", "unlock", "unseal",
           "write_keyfile"]
