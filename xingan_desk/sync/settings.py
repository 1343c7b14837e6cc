"""Connection settings for sync: central's address, the window's database account, TLS.

The settings (without the password) are the desk setting "sync". The password goes to the OS
keyring through the `keyring` package (Windows Credential Locker on the hall PCs). A machine
without a usable keyring backend (a headless Linux box) keeps it in the local store instead,
never in clear text: sealed (AES-256-GCM) with a key derived from the store key (see
storage/keys.py: on such a PC the store key itself is unlocked by an admin password).
`save()` says so, the settings dialog shows where, and the setting records
`password_store = "local"`. Older versions kept it there in clear text (or inside the "sync"
setting with a `url`, "setting"); `load()`/`read_password()` still read those, and
`seal_legacy_password()` (run when sync starts) replaces them with the sealed form.

TLS: by default sync connects with `sslmode=verify-full` and checks central's certificate
against the League's CA, whose PEM text is kept in the settings (`ca_pem`, so the store carries
it; `central add-window --ca-file F` writes it). libpq reads the CA from a file: `ca_file()`
writes it owner-only into the user's cache folder. Any weaker connection (no TLS, TLS without
checking the certificate, or the system default CA file) needs `allow_plain`, which only an
admin sets (the settings are saved by admins, audited); `tls_warning()` is then the standing
warning the status bar shows. Settings saved by older versions (no CA, `sslmode=prefer`) are
refused at connect time with a Chinese sentence telling the admin what to do.
"""

from __future__ import annotations

import hashlib
import logging
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import fileperms
from ..errors import DeskError, NotFound, ValidationFailed
from ..storage import keys
from ..timeutil import utcnow

if TYPE_CHECKING:
    from ..desk import Desk

log = logging.getLogger(__name__)

SETTING_KEY = "sync"
LOCAL_SECRET_KEY = "sync_password"  # used only when the PC has no keyring backend
SEAL_PURPOSE = "sync-password"
KEYRING_SERVICE = "xingan-desk-sync"
SSL_MODES: tuple[tuple[str, str], ...] = (
    ("disable", "不加密"),
    ("prefer", "尽量加密（服务器支持时加密）"),
    ("require", "必须加密"),
    ("verify-full", "必须加密并验证服务器证书"),
)
CONNECT_TIMEOUT_S = 5
VERIFIED_MODE = "verify-full"
CA_MAX_BYTES = 256 * 1024


class SyncSettingsError(DeskError):
    english = "sync settings problem"


@dataclass(frozen=True)
class SyncSettings:
    host: str
    port: int = 5432
    dbname: str = ""
    user: str = ""
    sslmode: str = VERIFIED_MODE
    sslrootcert: str = ""  # the CA file the admin chose (its text goes into ca_pem on save)
    password_store: str = "keyring"  # keyring | local | setting (legacy)
    ca_pem: str = ""  # the League's CA certificate(s), PEM text
    allow_plain: bool = False  # an admin allowed connections that do not verify central

    @property
    def verified(self) -> bool:
        """TLS with central's certificate checked against a CA given in the settings."""
        return self.sslmode == VERIFIED_MODE and bool(self.ca_pem or self.sslrootcert)

    def validate(self) -> dict[str, str]:
        """Chinese messages per field (host, port, dbname, user, sslmode, sslrootcert)."""
        errors: dict[str, str] = {}
        host = self.host.strip()
        if not host:
            errors["host"] = "请填写中心数据库服务器地址"
        elif any(ch.isspace() for ch in host) or len(host) > 255:
            errors["host"] = "服务器地址不能含空格"
        if not 1 <= int(self.port) <= 65535:
            errors["port"] = "端口应为1到65535之间的数字"
        if not self.dbname.strip():
            errors["dbname"] = "请填写数据库名"
        if not self.user.strip():
            errors["user"] = "请填写本窗口的数据库账号"
        if self.sslmode not in dict(SSL_MODES):
            errors["sslmode"] = "请选择加密方式"
        elif self.sslmode != VERIFIED_MODE and not self.allow_plain:
            errors["sslmode"] = PLAIN_REFUSED
        if self.sslrootcert and self.sslmode != VERIFIED_MODE:
            errors["sslrootcert"] = "只有“验证服务器证书”时才需要根证书文件"
        elif self.sslmode == VERIFIED_MODE:
            problem = ca_problem(self.ca_pem) if self.ca_pem else \
                ca_file_problem(self.sslrootcert) if self.sslrootcert else \
                None if self.allow_plain else CA_MISSING
            if problem:
                errors["sslrootcert"] = problem
        return errors

    def with_ca_text(self) -> SyncSettings:
        """The settings with the chosen CA file's text in `ca_pem` instead of its path (what
        `save()` stores: the file may be gone later). A CA already held wins over a path."""
        if self.sslmode != VERIFIED_MODE or not self.sslrootcert.strip():
            return self
        if self.ca_pem:
            return SyncSettings(**{**asdict(self), "sslrootcert": ""})
        path = Path(self.sslrootcert.strip())
        problem = ca_file_problem(str(path))
        if problem:
            raise ValidationFailed({"sslrootcert": problem})
        return SyncSettings(**{**asdict(self), "ca_pem": path.read_text(encoding="ascii"),
                               "sslrootcert": ""})

    def conninfo(self, password: str | None) -> str:
        params: dict[str, Any] = {
            "host": self.host.strip(), "port": str(int(self.port)), "dbname": self.dbname.strip(),
            "user": self.user.strip(), "sslmode": self.sslmode,
        }
        if password:
            params["password"] = password
        if self.sslmode == VERIFIED_MODE:
            if self.ca_pem:
                params["sslrootcert"] = str(ca_file(self.ca_pem))
            elif self.sslrootcert:
                params["sslrootcert"] = self.sslrootcert
        from psycopg.conninfo import make_conninfo  # the driver loads only when sync is used

        return make_conninfo("", **params)

    @property
    def keyring_user(self) -> str:
        return f"{self.user.strip()}@{self.host.strip()}:{int(self.port)}/{self.dbname.strip()}"

    def as_setting(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_url(cls, url: str, **overrides: Any) -> tuple[SyncSettings, str | None]:
        """(settings, password) from a libpq URL or key=value string."""
        from psycopg.conninfo import conninfo_to_dict

        info = conninfo_to_dict(url)
        s = cls(host=str(info.get("host") or "127.0.0.1"), port=int(info.get("port") or 5432),
                dbname=str(info.get("dbname") or info.get("user") or ""),
                user=str(info.get("user") or ""), sslmode=str(info.get("sslmode") or "prefer"),
                sslrootcert=str(info.get("sslrootcert") or ""))  # libpq's default: prefer
        if overrides:
            s = cls(**{**asdict(s), **overrides})
        pw = info.get("password")
        return s, (str(pw) if pw else None)


PLAIN_REFUSED = ("只能使用“必须加密并验证服务器证书”：不验证证书的连接须由管理员在同步设置中勾选"
                 "“允许不验证服务器证书的连接”")
CA_MISSING = "请选择中心的根证书（CA）文件：没有它无法验证服务器证书（可向中心管理员索取）"


# --- the League's CA -----------------------------------------------------------------------
def ca_problem(pem: str) -> str | None:
    """None when `pem` holds at least one X.509 certificate in PEM form, else a Chinese
    sentence."""
    from cryptography import x509

    if len(pem) > CA_MAX_BYTES:
        return "根证书文件过大，不像是证书文件"
    try:
        certs = x509.load_pem_x509_certificates(pem.encode("ascii"))
    except (ValueError, UnicodeEncodeError):
        return "根证书文件格式不对：应为 PEM 格式的证书（以 -----BEGIN CERTIFICATE----- 开头）"
    return None if certs else "根证书文件中没有证书"


def ca_file_problem(path: str) -> str | None:
    """None when `path` is a readable PEM certificate file, else a Chinese sentence."""
    p = Path(path)
    if not p.is_file():
        return f"找不到根证书文件：{path}"
    try:
        if p.stat().st_size > CA_MAX_BYTES:
            return "根证书文件过大，不像是证书文件"
        text = p.read_bytes().decode("ascii")
    except OSError:
        return f"无法读取根证书文件：{path}"
    except UnicodeDecodeError:
        return "根证书文件格式不对：应为 PEM 格式的证书（以 -----BEGIN CERTIFICATE----- 开头）"
    return ca_problem(text)


def ca_summary(pem: str) -> str:
    """One Chinese line about the stored CA: whose it is and until when it is valid."""
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    try:
        certs = x509.load_pem_x509_certificates(pem.encode("ascii"))
    except (ValueError, UnicodeEncodeError):
        return "已保存的根证书无法识别，请重新选择根证书文件"
    first = certs[0]
    names = first.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    name = str(names[0].value) if names else first.subject.rfc4514_string()
    until = first.not_valid_after_utc.date().isoformat()
    more = f"等 {len(certs)} 个证书" if len(certs) > 1 else ""
    return f"已保存中心的根证书：{name}{more}（有效期至 {until}）"


def ca_dir() -> Path:
    """Where the CA files for libpq are written: the user's own cache folder."""
    from platformdirs import user_cache_dir

    from ..paths import APP_NAME

    return Path(user_cache_dir(APP_NAME, appauthor=False)) / "central-ca"


def ca_file(pem: str) -> Path:
    """The CA text as a file libpq can read: owner-only, named by its hash, rewritten when its
    content is not exactly `pem` (never trusts what another process left there)."""
    data = pem.encode("ascii")
    folder = fileperms.private_dir(ca_dir())
    path = folder / f"ca-{hashlib.sha256(data).hexdigest()[:24]}.pem"
    try:
        if path.read_bytes() == data and not path.is_symlink():
            return fileperms.private_file(path)
    except OSError:
        pass
    tmp = folder / f".{path.name}.{os.getpid()}.tmp"
    tmp.unlink(missing_ok=True)
    with fileperms.open_private(tmp) as fh:
        fh.write(data)
    os.replace(tmp, path)
    return path


def tls_warning(desk: Desk) -> str | None:
    """The standing warning for the status bar when the stored settings connect without
    verifying central's certificate (an admin allowed it), else None."""
    try:
        s = load(desk)
    except DeskError:
        return None
    if s is None or s.verified:
        return None
    if s.sslmode == "disable":
        return "同步连接未加密（管理员已允许）：同步的数据在网络上以明文传输"
    if s.sslmode == "prefer":
        return "同步连接可能未加密，也不验证中心服务器证书（管理员已允许）"
    if s.sslmode == VERIFIED_MODE and s.allow_plain:
        return "同步设置中没有中心的根证书（管理员已允许），服务器证书按本机默认证书验证"
    if s.allow_plain:
        return "同步连接不验证中心服务器证书（管理员已允许）：无法识别冒充的服务器"
    return "同步设置未验证中心服务器证书，同步已停止：请管理员在“同步设置”中提供中心的根证书文件"


# --- the keyring ----------------------------------------------------------------------------
def keyring_backend() -> Any | None:
    """The OS keyring backend, or None when this PC has none that works (the `keyring`
    package falls back to a backend that fails every call, priority 0)."""
    try:
        import keyring
        from keyring.backends import fail
    except Exception:  # pragma: no cover - keyring is a dependency; a broken install
        log.exception("keyring unavailable")
        return None
    try:
        backend = keyring.get_keyring()
    except Exception:  # pragma: no cover
        log.exception("keyring backend failed to load")
        return None
    if isinstance(backend, fail.Keyring) or float(getattr(backend, "priority", 0) or 0) <= 0:
        return None
    return backend


def keyring_name() -> str | None:
    backend = keyring_backend()
    if backend is None:
        return None
    name = type(backend).__name__
    return {"WinVaultKeyring": "Windows 凭据管理器", "Keyring": "系统密码库"}.get(
        name, f"系统密码库（{getattr(backend, 'name', name)}）")


# --- load / save ------------------------------------------------------------------------------
def load(desk: Desk) -> SyncSettings | None:
    raw = desk.setting(SETTING_KEY)
    if not raw:
        return None
    if not raw.get("host") and raw.get("url"):  # written by an older `central add-window`
        s, _pw = SyncSettings.from_url(str(raw["url"]), password_store="setting")
        return s
    fields = {k: raw[k] for k in ("host", "port", "dbname", "user", "sslmode", "sslrootcert",
                                  "password_store", "ca_pem") if k in raw}
    fields["allow_plain"] = raw.get("allow_plain") is True
    if "sslmode" not in fields:  # older settings: libpq's default then
        fields["sslmode"] = "prefer"
    try:
        return SyncSettings(**fields)
    except (TypeError, ValueError):
        return None


def read_password(desk: Desk, s: SyncSettings) -> str | None:
    if s.password_store == "keyring":
        backend = keyring_backend()
        if backend is None:
            return None
        try:
            stored = backend.get_password(KEYRING_SERVICE, s.keyring_user)
        except Exception as exc:
            raise SyncSettingsError("无法从系统密码库读取同步密码，请管理员在“同步设置”中重新输入密码"
                                    ) from exc
        return str(stored) if stored else None
    if s.password_store == "local":
        secret = desk.setting(LOCAL_SECRET_KEY) or {}
        if secret.get("user") != s.keyring_user:
            return None
        if secret.get("sealed"):
            key = keys.current_key(desk.path)
            if key is None:
                raise SyncSettingsError("数据文件未解锁，无法读取同步密码：请管理员登录后再同步")
            return keys.unseal(key, SEAL_PURPOSE, str(secret["sealed"]))
        pw = secret.get("password")  # written in clear by an older version
        return str(pw) if pw else None
    if s.password_store == "setting":
        raw = desk.setting(SETTING_KEY) or {}
        if raw.get("password"):
            return str(raw["password"])
        _s, pw = SyncSettings.from_url(str(raw.get("url") or ""))
        return pw
    return None


def where_stored(desk: Desk, s: SyncSettings | None) -> str:
    """One sentence for the settings dialog: where the password is kept."""
    if s is not None and s.password_store == "local":
        return (f"本机没有可用的系统密码库，密码经加密后保存在本机数据文件中（{desk.path}），"
                "密钥由本窗口账号的登录密码保护。")
    if s is not None and s.password_store == "setting":
        return "密码目前保存在本机数据文件的同步设置中（旧版本写入），保存一次即可移到系统密码库。"
    name = keyring_name()
    if name is None:
        return (f"本机没有可用的系统密码库，保存后密码将加密存放在本机数据文件中（{desk.path}），"
                "密钥由本窗口账号的登录密码保护。")
    return f"密码保存在{name}中，不写入数据文件。"


def save(desk: Desk, s: SyncSettings, password: str | None) -> tuple[SyncSettings, str]:
    """Store the settings (admins only) and the password; returns the stored settings and a
    Chinese sentence telling where the password went. An empty password keeps the stored one
    (when there is one for the same account)."""
    desk.require_role("admin", what="修改同步设置")
    s = SyncSettings(**{**asdict(s), "host": s.host.strip(), "dbname": s.dbname.strip(),
                        "user": s.user.strip(), "sslrootcert": s.sslrootcert.strip()})
    errors = s.validate()
    if not errors:
        s = s.with_ca_text()  # the store carries the CA, not only a path on this PC
    if errors:
        raise ValidationFailed(errors)
    if not password:
        old = load(desk)
        password = read_password(desk, old) if old and old.keyring_user == s.keyring_user \
            else None
        if not password:
            raise ValidationFailed({"password": "请填写密码"})
    backend = keyring_backend()
    if backend is not None:
        try:
            backend.set_password(KEYRING_SERVICE, s.keyring_user, password)
        except Exception as exc:
            raise SyncSettingsError(f"无法把密码保存到系统密码库：{exc}") from exc
        s = SyncSettings(**{**asdict(s), "password_store": "keyring"})
        _write_local_secret(desk, None)
    else:
        key = keys.current_key(desk.path)
        if key is None:  # an older, not yet encrypted store: nothing to seal it with
            raise SyncSettingsError("本机没有可用的系统密码库，且数据文件尚未加密，无法安全保存同步密码："
                                    "请管理员重新登录（数据文件随即加密）后再保存")
        s = SyncSettings(**{**asdict(s), "password_store": "local"})
        _write_local_secret(desk, {"user": s.keyring_user,
                                   "sealed": keys.seal(key, SEAL_PURPOSE, password)})
    value = {**s.as_setting(), "window_code": desk.identity.window_code}
    desk.set_setting(SETTING_KEY, value)  # audited; the password is not in it
    return s, where_stored(desk, s)


def _write_local_secret(desk: Desk, secret: dict[str, str] | None) -> None:
    """The password in the local store (no keyring on this PC). Written directly, so the
    audit log records that it was set but never the password itself."""
    from ..storage.schema import Setting

    with desk.writing() as w:
        session = w.session
        row = session.get(Setting, LOCAL_SECRET_KEY)
        if secret is None:
            if row is not None:
                session.delete(row)
                w.audit("sync_password", detail="已从本机数据文件删除同步密码")
            return
        if row is None:
            session.add(Setting(key=LOCAL_SECRET_KEY, value=secret, updated_at=utcnow(),
                                updated_by=desk.user.username))
        else:
            row.value, row.updated_at, row.updated_by = secret, utcnow(), desk.user.username
        w.audit(
            "sync_password", detail="同步密码已保存在本机数据文件（本机没有可用的系统密码库）")


def seal_legacy_password(desk: Desk) -> bool:
    """Replace a sync password an older version kept in clear text in the store with the
    sealed form (or move it to the keyring). True when something was rewritten."""
    s = load(desk)
    if s is None or s.password_store not in ("local", "setting"):
        return False
    secret = desk.setting(LOCAL_SECRET_KEY) or {}
    raw = desk.setting(SETTING_KEY) or {}
    clear = (s.password_store == "local" and bool(secret.get("password"))) or \
        (s.password_store == "setting")
    if not clear:
        return False
    password = read_password(desk, s)
    if not password:
        return False
    backend = keyring_backend()
    if backend is None and keys.current_key(desk.path) is None:
        return False
    if backend is not None:
        backend.set_password(KEYRING_SERVICE, s.keyring_user, password)
        s = SyncSettings(**{**asdict(s), "password_store": "keyring"})
        _write_local_secret(desk, None)
    else:
        key = keys.current_key(desk.path)
        assert key is not None
        s = SyncSettings(**{**asdict(s), "password_store": "local"})
        _write_local_secret(desk, {"user": s.keyring_user,
                                   "sealed": keys.seal(key, SEAL_PURPOSE, password)})
    value = {k: v for k, v in raw.items() if k not in ("password", "url")}
    value.update(s.as_setting())
    from ..desk_settings import put_setting

    with desk.writing() as w:  # the old value held the password: not into the audit log
        put_setting(w, SETTING_KEY, value, audit=False)
        w.audit("sync_password", detail="同步密码已改为加密保存")
    return True


def connection_url(desk: Desk) -> str:
    """The libpq connection string for this window's sync (settings + password)."""
    s = load(desk)
    if s is None:
        raise NotFound("本机尚未设置同步（请管理员在“同步设置”中填写，或运行 xingan-desk central "
                       "add-window --data-dir …）")
    refused = tls_refusal(s)
    if refused:
        raise SyncSettingsError(refused)
    password = read_password(desk, s)
    if not password:
        raise SyncSettingsError("找不到同步密码（系统密码库中没有），请管理员在“同步设置”中重新输入密码")
    if s.password_store != "keyring":
        try:
            seal_legacy_password(desk)
        except Exception:  # never stops a sync; tried again next time
            log.warning("could not re-store a clear-text sync password")
    return s.conninfo(password)


def tls_refusal(s: SyncSettings) -> str | None:
    """Why these settings may not be used to connect (a Chinese sentence), or None."""
    errors = s.validate()
    if "sslmode" in errors and s.sslmode in dict(SSL_MODES):
        return ("同步设置不验证中心服务器证书，已停止同步：请管理员在“同步设置”中选择“必须加密并验证服务器证书”"
                "并提供中心的根证书（CA）文件（或明确允许不验证证书的连接）")
    if "sslrootcert" in errors:
        return f"同步设置有误，已停止同步：{errors['sslrootcert']}"
    return None


# --- testing a connection -----------------------------------------------------------------------
def explain_tls_error(exc: BaseException | None, host: str = "") -> str | None:
    """A TLS failure of libpq (certificate for another host, unknown CA, …) as one Chinese
    sentence; None when `exc` is not one. Never repeats libpq's text."""
    if exc is None:
        return None
    low = str(exc).lower()
    server = f"“{host}”" if host else ""
    if "does not match host name" in low:
        return (f"中心服务器的证书不是签发给服务器地址{server}的，已拒绝连接：可能连到了冒充的服务器，"
                "或服务器地址填写有误（应与证书上的名称一致），请联系中心管理员")
    if "root certificate file" in low or "could not load root certificate" in low:
        return "无法读取根证书（CA）文件，已拒绝连接：请管理员在“同步设置”中重新选择中心的根证书文件"
    if "certificate has expired" in low or "certificate is not yet valid" in low:
        return "中心服务器的证书已过期或尚未生效，已拒绝连接：请联系中心管理员更新服务器证书"
    if "certificate verify failed" in low or "self-signed certificate" in low \
            or "unable to get local issuer certificate" in low or "self signed certificate" in low:
        return ("中心服务器的证书不是由本机保存的根证书（CA）签发的，已拒绝连接：可能连到了冒充的服务器，"
                "或根证书文件不对，请向中心管理员核对根证书")
    if "does not support ssl" in low or "ssl is not enabled" in low:
        return "服务器没有启用加密连接（SSL），已拒绝连接：请中心管理员为服务器启用 SSL"
    if "no encryption" in low and "pg_hba.conf" in low:
        return "中心服务器只接受加密连接：请管理员在“同步设置”中选择“必须加密并验证服务器证书”"
    if "certificate" in low or "ssl error" in low or "tlsv1" in low or "ssl routines" in low:
        return "与中心服务器建立加密连接失败，已拒绝连接：请检查根证书文件和服务器地址，或联系中心管理员"
    return None


def explain_connect_error(exc: BaseException, s: SyncSettings) -> str:
    """libpq's English connection errors as one Chinese sentence (libpq's own text is not
    repeated: it may name files and accounts)."""
    msg = str(exc).strip()
    low = msg.lower()
    where = f"{s.host}:{s.port}"
    if "password authentication failed" in low or "no password supplied" in low:
        return "用户名或密码不正确"
    if "role" in low and "does not exist" in low:
        return f"中心数据库中没有账号“{s.user}”，请核对账号"
    if "database" in low and "does not exist" in low:
        return f"中心数据库服务器上没有名为“{s.dbname}”的数据库"
    if "does not support ssl" in low or "ssl is not enabled" in low:
        return "服务器没有启用加密连接（SSL）：请选择“不加密”或“尽量加密”，或请管理员为服务器启用 SSL"
    tls = explain_tls_error(exc, s.host)
    if tls:
        return tls
    if "no pg_hba.conf entry" in low:
        return "服务器不允许本机以该账号连接（pg_hba.conf），请联系中心数据库管理员"
    if "could not translate host name" in low or "name or service not known" in low:
        return f"找不到服务器“{s.host}”，请核对服务器地址"
    if "connection refused" in low:
        return f"无法连接 {where}：服务器拒绝连接（服务未启动或端口不对）"
    if "timeout" in low or "timed out" in low:
        return f"连接 {where} 超时，请检查网络或服务器地址"
    log.warning("connection test failed: %s", type(exc).__name__)
    return f"无法连接中心数据库（{where}），请检查网络、服务器地址和同步设置"


def check_connection(s: SyncSettings, password: str | None, expected_window: str) -> str:
    """Connect as the window role and ask central who we are. Returns a Chinese success
    sentence; raises SyncSettingsError (or ValidationFailed) with the reason in Chinese."""
    import psycopg
    from psycopg import errors as pgerrors

    errors = s.validate()
    if errors:
        raise ValidationFailed(errors)
    s = s.with_ca_text()
    try:
        conn = psycopg.connect(s.conninfo(password), autocommit=True,
                               connect_timeout=CONNECT_TIMEOUT_S,
                               application_name="xingan-desk settings test")
    except psycopg.OperationalError as exc:
        raise SyncSettingsError(explain_connect_error(exc, s)) from exc
    try:
        row = conn.execute("SELECT sync.status()").fetchone()
        encrypted = bool(conn.pgconn.ssl_in_use)
    except pgerrors.InsufficientPrivilege as exc:
        raise SyncSettingsError(
            f"已连接，但该账号不是已登记的窗口同步账号：{exc.diag.message_primary}") from exc
    except (pgerrors.UndefinedFunction, pgerrors.InvalidSchemaName) as exc:
        raise SyncSettingsError(
            "已连接，但该数据库还没有同步结构（请中心管理员运行 xingan-desk central init）") from exc
    except psycopg.Error as exc:
        raise SyncSettingsError(
            f"已连接，但查询失败（{type(exc).__name__}），请联系中心数据库管理员") from exc
    finally:
        conn.close()
    status = row[0] if row else {}
    window = str(status.get("window_code") or "")
    if window != expected_window:
        raise SyncSettingsError(f"已连接，但该账号属于 {window} 窗口，与本机（{expected_window}）不符")
    how = "未加密连接" if not encrypted else "加密连接，服务器证书已验证" if s.verified \
        else "加密连接，未验证服务器证书"
    return f"连接成功：中心数据库识别本机为 {window} 窗口（{how}）"
