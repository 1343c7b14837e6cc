"""Command-line entry points for sync (called from xingan_desk/cli.py).

    xingan-desk central-init --url URL
    xingan-desk add-window --url URL --county 152223 --window 02 [--data-dir DIR]
        [--ca-file CA.pem | --allow-plain]
    xingan-desk sync --once [--url URL] [--data-dir DIR]

`register(sub, common, as_user)` adds the three subcommands to the main parser.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..desk import Desk

from ..errors import DeskError

URL_ENV = "XINGAN_CENTRAL_URL"


class SyncSetupError(DeskError):
    english = "sync not configured"


def _out(line: str) -> None:
    print(line, flush=True)


_DIALECT_URL = re.compile(r"^(postgres(?:ql)?)\+[A-Za-z0-9_]+://", re.IGNORECASE)


def normalise_url(url: str) -> str:
    """A libpq connection string from what an admin may paste: SQLAlchemy's
    `postgresql+psycopg://…` spelling is accepted as `postgresql://…`; anything psycopg cannot
    parse is refused with one Chinese sentence (never echoing the URL: it holds a password)."""
    from psycopg import ProgrammingError
    from psycopg.conninfo import conninfo_to_dict

    url = _DIALECT_URL.sub("postgresql://", url.strip(), count=1)
    try:
        conninfo_to_dict(url)
    except ProgrammingError:
        raise SyncSetupError("中心数据库地址格式不正确，应为 postgresql://账号:密码@主机:端口/数据库名"
                             "（也接受 postgresql+psycopg://…）") from None
    return url


def _admin_url(args: argparse.Namespace) -> str:
    url = getattr(args, "url", None) or os.environ.get(URL_ENV)
    if not url:
        raise SyncSetupError(f"请用 --url 或环境变量 {URL_ENV} 提供中心数据库地址（管理员账号）")
    return normalise_url(str(url))


def _open_desk(args: argparse.Namespace) -> Desk:
    """The window's store, no account: sync acts as the window (its own database role). On a
    PC without a keyring an encrypted store is unlocked by a login password (--password,
    `XINGAN_DESK_PASSWORD` or a prompt), as for the other file commands."""
    from ..cli import open_store

    return open_store(args)


def cmd_central_init(args: argparse.Namespace) -> int:
    from .central import init_central

    version = init_central(_admin_url(args))
    _out(f"中心数据库已就绪（同步结构版本 {version}）")
    return 0


def cmd_central_cleanup(args: argparse.Namespace) -> int:
    from .central import cleanup_uploads

    if args.days is not None and args.days < 0:
        raise SyncSetupError("保留天数不能为负数")
    n = cleanup_uploads(_admin_url(args), args.days)
    _out(f"已清理未完成的附件上传分段：{n} 段")
    return 0


def _write_all(lines: list[str]) -> None:
    """All lines in one write: a reader that stops early (`| head -1`) still got the block
    into the pipe, and nothing is printed before the work is done."""
    sys.stdout.write("".join(f"{line}\n" for line in lines))
    sys.stdout.flush()


def _window_tls(args: argparse.Namespace, url: str) -> dict[str, Any]:
    """The TLS part of the window's settings: `--ca-file` (verify central's certificate; the
    default and the only choice without `--allow-plain`), else what the admin URL says, and
    `--allow-plain` when the admin explicitly accepts a connection that does not verify."""
    from .settings import SyncSettings, ca_file_problem

    ca = getattr(args, "ca_file", None)
    tls: dict[str, Any] = {"allow_plain": bool(getattr(args, "allow_plain", False))}
    if ca:
        problem = ca_file_problem(str(ca))
        if problem:
            raise SyncSetupError(problem)
        tls.update(sslmode="verify-full", sslrootcert=str(Path(ca).resolve()))
    settings, _pw = SyncSettings.from_url(url, **tls)
    errors = settings.validate()
    if "sslmode" in errors or "sslrootcert" in errors:
        raise SyncSetupError("请用 --ca-file 提供中心的根证书（CA）文件，以便本窗口验证中心服务器证书；"
                             "确需不验证证书的连接时，请明确加上 --allow-plain")
    return tls


def cmd_add_window(args: argparse.Namespace) -> int:
    """Everything that can fail without side effects first (the URL, the store, the admin's
    login, the window code, the CA file), then the role at central, then the settings in the
    store, and only then the printout: a closed pipe can no longer leave a role whose password
    is lost."""
    from ..cli import login_from_args
    from .central import add_window

    url = _admin_url(args)
    tls: dict[str, Any] = {}
    desk = None
    if getattr(args, "data_dir", None):
        desk = _open_desk(args)
    try:
        if desk is not None:
            login_from_args(desk, args)
            county, window = args.county.strip(), args.window.strip().zfill(2)
            if desk.identity.window_code != f"{county}-{window}":
                raise SyncSetupError(
                    f"数据目录是 {desk.identity.window_code} 窗口，与要登记的 {county}-{window} 不符")
            tls = _window_tls(args, url)
        elif getattr(args, "ca_file", None):
            from .settings import ca_file_problem

            problem = ca_file_problem(str(args.ca_file))
            if problem:
                raise SyncSetupError(problem)
        creds = add_window(url, args.county, args.window)
        lines = [f"已在中心数据库登记窗口 {creds.window_code}", f"  数据库账号：{creds.role}"]
        if desk is not None:
            from .settings import SyncSettings, save

            settings, _pw = SyncSettings.from_url(creds.url, **tls)
            saved, where = save(desk, settings, creds.password)  # password → OS keyring
            lines += ["已把连接设置写入本机数据目录，可运行：xingan-desk sync --once", f"  {where}"]
            lines.append("  连接方式：加密并验证中心服务器证书（根证书已保存在本机数据文件中）"
                         if saved.verified else "  注意：管理员已允许不验证中心服务器证书的连接")
        else:
            lines += [f"  密码：{creds.password}", f"  连接地址：{creds.url}",
                      "请在该窗口电脑上保存以上连接设置（同步设置），或用 --data-dir 在该电脑上登记"]
            if getattr(args, "ca_file", None):
                lines.append("  在同步设置中选择“必须加密并验证服务器证书”，根证书文件选："
                             f"{Path(args.ca_file).resolve()}")
    finally:
        if desk is not None:
            desk.close()
    try:
        _write_all(lines)
    except BrokenPipeError:
        if desk is None:  # the password was only on the screen
            print(f"错误：输出被中断，窗口 {creds.window_code} 的数据库密码未能显示。请数据库管理员执行 "
                  f"ALTER ROLE {creds.role} PASSWORD … 重设密码后手工保存连接设置"
                  " (output interrupted)", file=sys.stderr, flush=True)
        raise
    return 0


def sync_url(desk: Desk, override: str | None = None) -> str:
    """The connection string: --url, else the settings (password from the OS keyring)."""
    if override:
        return normalise_url(override)
    from .settings import connection_url

    return connection_url(desk)


def _tls_explained(exc: Exception) -> Exception:
    """A sync that failed on central's certificate says so (in Chinese), not "network"."""
    from .client import SyncUnavailable
    from .settings import explain_tls_error

    tls = explain_tls_error(exc.__cause__) if isinstance(exc, SyncUnavailable) else None
    if tls is None:
        return exc
    out = SyncUnavailable(tls)
    out.__cause__ = exc.__cause__
    return out


def cmd_sync(args: argparse.Namespace) -> int:
    from .client import SyncClient, SyncUnavailable

    desk = _open_desk(args)
    try:
        client = SyncClient(desk, sync_url(desk, getattr(args, "url", None)))
        while True:
            try:
                report = client.run_once()
            except SyncUnavailable as exc:
                if args.once:
                    raise _tls_explained(exc) from exc.__cause__
                _out(f"同步失败：{_tls_explained(exc)}")
            else:
                _out(f"同步完成：{report.summary}")
                for stream, (cursor, head) in sorted(report.streams.items()):
                    _out(f"  {stream}：已接收至 {cursor} / {head}")
                for seq, reason in report.rejections:
                    _out(f"  被拒绝（本地序号 {seq}）：{reason}")
                _reviews(desk, client)
            if args.once:
                return 0
            time.sleep(max(1, args.interval))
    finally:
        desk.close()


def _reviews(desk: Desk, client: Any) -> None:
    """Resolutions made in the window application go to central; the review list is
    refreshed (sync/service.review_step)."""
    from .review import attention_count
    from .service import review_step

    warning = review_step(desk, client)
    if warning:
        _out(f"  {warning}")
    n = attention_count(desk)
    if n:
        _out(f"  需处理事项：{n} 项（请主管在程序中处理）")


def register(sub: Any, common: argparse.ArgumentParser, as_user: argparse.ArgumentParser) -> None:
    central = sub.add_parser("central", help="中心数据库管理：init 建立/升级同步结构，add-window 登记窗口")
    csub = central.add_subparsers(dest="central_command", required=True,
                                  parser_class=type(central))
    s = csub.add_parser("init", help="建立或升级中心数据库的同步结构（需数据库管理员）")
    s.add_argument("--url", help=f"中心数据库地址（管理员账号；也可用环境变量 {URL_ENV}）")
    s.set_defaults(func=cmd_central_init)

    s = csub.add_parser("cleanup", help="清理中心数据库中长期未完成的附件上传分段（需数据库管理员）")
    s.add_argument("--url", help=f"中心数据库地址（管理员账号；也可用环境变量 {URL_ENV}）")
    s.add_argument("--days", type=int, default=None,
                   help="清理多少天未续传的上传（默认按中心设置，7 天）")
    s.set_defaults(func=cmd_central_cleanup)

    s = csub.add_parser("add-window", parents=[common, as_user],
                        help="在中心数据库登记窗口并生成其数据库账号")
    s.add_argument("--url", help=f"中心数据库地址（管理员账号；也可用环境变量 {URL_ENV}）")
    s.add_argument("--county", required=True, help="旗县市代码，如 152223；盟本级 152200")
    s.add_argument("--window", required=True, help="窗口号，如 02")
    s.add_argument("--ca-file", help="中心的根证书（CA，PEM 格式）：写入本窗口的同步设置，"
                                     "同步时据此验证中心服务器证书")
    s.add_argument("--allow-plain", action="store_true",
                   help="允许不验证中心服务器证书的连接（不安全；状态栏会一直提示）")
    s.set_defaults(func=cmd_add_window)

    s = sub.add_parser("sync", parents=[common], help="与中心数据库同步（以本窗口的数据库账号，不需要登录）")
    s.add_argument("--once", action="store_true", help="只同步一次（默认每隔 --interval 秒一次）")
    s.add_argument("--interval", type=int, default=30, help="循环同步的间隔秒数（默认 30）")
    s.add_argument("--url", help="覆盖本机保存的中心数据库地址")
    s.set_defaults(func=cmd_sync)
