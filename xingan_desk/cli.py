"""`xingan-desk` command line: for admins, scheduled tasks and tests.

Exit codes: 0 ok; 1 failure, with one line "错误：<中文> (<English>)" on stderr; 2 usage.
Heavy modules (SQLAlchemy, Alembic, ReportLab, psycopg) are imported inside the commands, so
`xingan-desk --help` stays fast.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .cli_frame import ChineseParser
from .errors import PermissionDenied
from .records.workflow import ROLE_LABELS, ROLES

if TYPE_CHECKING:
    from .desk import Desk

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2
PASSWORD_ENV = "XINGAN_DESK_PASSWORD"


class UsageError(Exception):
    pass


def _out(line: str) -> None:
    print(line, flush=True)


def _fail(message: str, english: str) -> int:
    print(f"错误：{message} ({english})", file=sys.stderr, flush=True)
    return EXIT_FAIL


def _password(prompt: str, args: argparse.Namespace, attr: str = "password") -> str:
    """The acting user's password: the option, else $XINGAN_DESK_PASSWORD, else a prompt."""
    given = getattr(args, attr, None) or os.environ.get(PASSWORD_ENV)
    if given:
        return str(given)
    if not sys.stdin.isatty():
        raise UsageError(f"需要密码：请用 --{attr.replace('_', '-')} 或环境变量 {PASSWORD_ENV} 提供")
    return getpass.getpass(prompt)


def _new_password(who: str, args: argparse.Namespace, attr: str, *, env: bool) -> str:
    """A password being set for an account: the option (or, when `env`, the variable — only
    for the first admin, whose password the variable then logs in with), else a prompt typed
    twice. Never the acting user's variable for somebody else's account."""
    given = getattr(args, attr, None) or (os.environ.get(PASSWORD_ENV) if env else None)
    if given:
        return str(given)
    option = f"--{attr.replace('_', '-')}"
    if not sys.stdin.isatty():
        raise UsageError(f"需要{who}的密码：请用 {option} 提供"
                         + (f"（或环境变量 {PASSWORD_ENV}）" if env else ""))
    first = getpass.getpass(f"{who}的密码（至少8位，含字母和数字）：")
    if getpass.getpass("再输入一次：") != first:
        raise UsageError("两次输入的密码不一致")
    return first


def login_from_args(desk: Desk, args: argparse.Namespace, password: str | None = None) -> None:
    """Log `desk` in as --user (default admin) with --password, $XINGAN_DESK_PASSWORD or a
    prompt. There is no implicit account: a wrong password or a locked account stops here."""
    user = getattr(args, "user", None) or "admin"
    desk.login(user, password or _password(f"{user} 的密码：", args))


def open_store(args: argparse.Namespace) -> Desk:
    """The store of --data-dir without logging in (file commands, sync): a locked store asks
    for a login password to unlock it."""
    desk: Desk = _open(args, login=False)
    return desk


def _open(args: argparse.Namespace, *, login: bool = True) -> Any:
    """Open the store; with `login`, log in (see `login_from_args`). On a PC without a
    keyring the encrypted store is unlocked by the same password (every account's password
    opens its slot of the store key, storage/keys.py); a file-only command asks for one."""
    from .desk import Desk
    from .storage import keys

    locked = Desk.is_locked(args.data_dir)
    password: str | None = None
    if login or locked:
        user = getattr(args, "user", None) or "admin"
        password = _password(f"{user} 的密码：" if login else "登录密码（用于解锁数据文件）：", args)
    if locked and login and password:
        return Desk.open_with_login(args.data_dir, getattr(args, "user", None) or "admin",
                                    password)
    try:
        desk = Desk.open(args.data_dir, password=password if locked else None)
    except keys.StoreLocked as exc:
        if password:
            raise PermissionDenied("用户名或密码不正确") from exc
        raise
    if login:
        try:
            login_from_args(desk, args, password)
        except BaseException:
            desk.close()
            raise
    return desk


# --- commands ---------------------------------------------------------------------------------


def cmd_gui(args: argparse.Namespace) -> int:
    import importlib

    # Looked up by name: the core never imports the Qt layer (it only hands over to it).
    try:
        app = importlib.import_module("ui.app")
    except ModuleNotFoundError as exc:
        if exc.name not in ("ui.app", "ui"):
            return _fail(f"无法启动窗口程序：缺少 {exc.name}", "cannot start the window application")
        _out("窗口程序尚未提供，请使用命令行子命令（xingan-desk --help）。")
        _out("The window application is not available yet; see `xingan-desk --help`.")
        return EXIT_OK
    return int(app.main(args.data_dir) or 0)


START_HINT = "以后启动程序只需运行 xingan-desk（不必再运行 init 和 demo）"


def cmd_init(args: argparse.Namespace) -> int:
    from .desk import Desk

    if (done := _init_again(args)) is not None:
        return done
    password = _init_password(args)
    desk = Desk.initialise(args.data_dir, args.county, args.window, admin_password=password,
                           admin_name=args.admin_name)
    ident = desk.identity
    _out(f"已设置窗口：{ident.window_code}（{ident.label}），数据目录：{desk.directory}")
    _out("管理员账号：admin")
    _out(START_HINT)
    desk.close()
    return EXIT_OK


def _init_again(args: argparse.Namespace) -> int | None:
    """`init` on a folder that already has a window: the same county and window is a success
    that changes nothing (the set-up command can be run again another day); another one is
    refused. None when the folder has no window yet."""
    from .errors import NotInitialised
    from .paths import data_dir, db_path

    if not db_path(data_dir(args.data_dir)).exists():
        return None
    unlock = argparse.Namespace(**{**vars(args), "password": args.admin_password})
    desk = open_store(unlock)
    try:
        ident = desk.identity
    except NotInitialised:
        return None
    finally:
        desk.close()
    wanted = f"{args.county.strip()}-{args.window.strip().zfill(2)}"
    if ident.window_code != wanted:
        return _fail(f"此数据目录已设置为 {ident.window_code} 窗口，不能改设为 {wanted}"
                     "（另一个窗口请用另一个 --data-dir）",
                     f"this folder already belongs to window {ident.window_code}")
    _out(f"本机已设置为 {ident.window_code} 窗口（{ident.label}），无需再设置。{START_HINT}")
    return EXIT_OK


def _init_password(args: argparse.Namespace) -> str:
    """The first admin's password: --admin-password/--password or $XINGAN_DESK_PASSWORD, else
    typed twice on a terminal, with another try after a weak or mistyped one."""
    from .auth import check_password_strength

    given = args.admin_password or os.environ.get(PASSWORD_ENV)
    if given:
        return str(given)
    if not sys.stdin.isatty():
        raise UsageError(f"没有可输入密码的终端：请用 --admin-password 密码，或先设置环境变量 "
                         f"{PASSWORD_ENV}，给出管理员 admin 的密码（至少8位，含字母和数字）")
    for _attempt in range(3):
        first = getpass.getpass("管理员 admin 的密码（至少8位，含字母和数字）：")
        problem = check_password_strength(first)
        if problem:
            print(f"{problem}，请重新输入。", file=sys.stderr, flush=True)
            continue
        if getpass.getpass("再输入一次：") != first:
            print("两次输入的密码不一致，请重新输入。", file=sys.stderr, flush=True)
            continue
        return first
    raise UsageError("三次都没有设好管理员密码，窗口未设置")


def cmd_demo(args: argparse.Namespace) -> int:
    from .demo import generate

    if args.records < 1 or args.records > 1_000_000:
        raise UsageError("--records 应在 1 到 1000000 之间")
    desk = _open(args)
    existing = 0 if args.again else sum(desk.counts_by_kind().values())
    if existing:
        desk.close()
        _out(f"数据目录中已有 {existing} 条记录，未再生成演示数据（要追加请加 --again）。{START_HINT}")
        return EXIT_OK
    started = time.perf_counter()
    last = [0.0, 0]  # when and what was printed last

    def progress(done: int, total: int) -> None:
        # one line that advances: each figure once, at most one a second (and the last)
        now = time.perf_counter()
        if done > last[1] and (now - last[0] > 1.0 or done >= total):
            last[:] = [now, done]
            print(f"\r已生成 {done}/{total}", end="", file=sys.stderr, flush=True)

    counts = generate(desk, args.records, seed=args.seed, progress=progress)
    print(file=sys.stderr)
    elapsed = time.perf_counter() - started
    total = sum(counts.values())
    from .records.kinds import KINDS

    detail = "，".join(f"{KINDS[k].title}{n}条" for k, n in counts.items())
    _out(f"已生成演示数据 {total} 条（{detail}），用时 {elapsed:.1f} 秒，{total / elapsed:.0f} 条/秒")
    desk.close()
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    from .export import export
    from .records.kinds import kind_by_name

    try:
        kind = kind_by_name(args.kind)
    except KeyError as exc:
        raise UsageError(str(exc.args[0])) from None
    desk = _open(args)
    n = export(desk, kind.key, args.format, Path(args.out), unmasked=args.unmasked)
    _out(f"已导出{kind.title} {n} 条到 {args.out}" + ("（未遮蔽，已记入审计日志）" if args.unmasked else ""))
    desk.close()
    return EXIT_OK


def cmd_stats(args: argparse.Namespace) -> int:
    from .catalogs import code_of
    from .errors import ValidationFailed
    from .stats import Period, compute
    from .stats_export import export_report

    out = Path(args.out)
    fmt = args.format or ("pdf" if out.suffix.lower() == ".pdf" else "xlsx")
    try:
        period = Period.parse(args.period)
    except ValidationFailed as exc:
        raise UsageError(str(exc)) from None
    county: str | None = None
    if args.county and args.county.strip() not in ("全盟", "league"):
        county = code_of("counties", args.county) or code_of("county_short_names", args.county)
        if county is None:
            raise UsageError(f"--county “{args.county}”不是兴安盟的旗县市代码或名称")
    desk = _open(args)
    report = compute(desk, period, county)
    export_report(desk, report, fmt, out)
    _out(f"已导出统计报表（{report.period.label}，{report.scope_label}）到 {out}")
    m = report.mediation
    _out(f"咨询 {report.consultations.total} 人次；评价 {report.ratings.total} 条，好评率 "
         f"{report.ratings.good_rate.text}，差评 {report.ratings.bad} 条；预审合格率 "
         f"{report.cases.qualify_rate.text}；调解受理 {m.accepted} 件，调解成功 {m.settled} 件")
    for progress in report.targets:
        _out(f"目标：{progress.text}，{progress.status}")
    desk.close()
    return EXIT_OK


def cmd_print(args: argparse.Namespace) -> int:
    from .printing import render

    desk = _open(args)
    path = render(desk, args.receipt_no, Path(args.out), document=args.document,
                  layout=args.layout)
    _out(f"已生成 {path}")
    desk.close()
    return EXIT_OK


def cmd_check(args: argparse.Namespace) -> int:
    from .recovery import corrupt_error

    desk = _open(args, login=False)
    try:
        problems = desk.check()
        damaged = any(p.startswith("SQLite：") for p in problems)
        pending = None if damaged else desk.pending_outbox()
        counts = None if damaged else desk.counts_by_kind()
    finally:
        desk.close()
    if damaged:
        for p in problems:
            _out(f"问题：{p}")
        raise corrupt_error(desk.path)
    assert counts is not None
    _out(f"记录：{sum(counts.values())} 条；待上传：{pending} 条")
    if problems:
        for p in problems:
            _out(f"问题：{p}")
        return _fail(f"发现 {len(problems)} 个问题", f"{len(problems)} problem(s) found")
    _out("检查通过：数据文件完整，编号、状态和索引一致。")
    return EXIT_OK


def cmd_backup(args: argparse.Namespace) -> int:
    desk = _open(args, login=False)
    try:
        target = desk.backup(Path(args.out) if args.out else None)
    finally:
        desk.close()
    _out(f"已备份到 {target}")
    return EXIT_OK


def cmd_restore(args: argparse.Namespace) -> int:
    from .desk import restore
    from .recovery import restore_latest

    password = getattr(args, "password", None) or os.environ.get(PASSWORD_ENV)
    if args.latest == bool(args.file):
        raise UsageError("请给出备份文件，或用 --latest 恢复最近一份完好的备份")
    if args.latest:
        done = restore_latest(args.data_dir, password=password)
        source, path, generation = done.backup.path, done.path, done.generation
        renumbered = done.renumbered
    else:
        source = Path(args.file)
        path, generation = restore(args.data_dir, source, password=password)
        renumbered = ()
    _out(f"已从 {source} 恢复到 {path}")
    _out(f"编号已换代（第{generation}代），恢复后新开的回执编号不会与之前的重复。")
    for old, new in renumbered:
        _out(f"  未上传的记录 {old} 已改编号为 {new}（原编号可能已被其他记录使用，请改正已打印的回执）")
    _out("原数据文件已另存到 backups 目录。请在联网后尽快同步。")
    return EXIT_OK


def cmd_user_add(args: argparse.Namespace) -> int:
    desk = _open(args)  # who is acting first, then the new account's password
    try:
        password = _new_password(f"新账号 {args.username} ", args, "new_password", env=False)
        user = desk.add_user(args.username, args.display_name, args.role, password)
    finally:
        desk.close()
    _out(f"已新建账号 {user.username}（{user.display_name}，{ROLE_LABELS.get(user.role, user.role)}）")
    return EXIT_OK


def cmd_screenshots(args: argparse.Namespace) -> int:
    import importlib
    import tempfile

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    shots = importlib.import_module("ui.screenshots")  # the Qt layer, looked up by name
    data = args.data_dir or tempfile.mkdtemp(prefix="xingan-shots-")  # never the live store
    paths = shots.render_all(data, args.out)
    _out(f"已生成截图 {len(paths)} 张：{args.out}")
    return EXIT_OK


def cmd_self_test(args: argparse.Namespace) -> int:
    from .selftest import run

    failures = run(_out)
    if failures:
        return _fail(f"自检失败 {failures} 项", f"self-test failed ({failures})")
    _out("自检通过 / self-test passed")
    return EXIT_OK


def cmd_import(args: argparse.Namespace) -> int:
    """Import a ledger (xlsx/csv); bad rows are listed by row number and written to an
    error report next to the file; exit 1 when any row was refused."""
    from .importing import ImportJob, write_error_report
    from .records.kinds import kind_by_name

    try:
        kind = kind_by_name(args.kind)
    except KeyError as exc:
        raise UsageError(str(exc.args[0])) from None
    path = Path(args.file)
    desk = _open(args)
    try:
        job = ImportJob(desk, kind.key, path, sheet=args.sheet)
        for plan in job.plans:
            where = f"工作表“{plan.sheet.name}”" if plan.sheet.name else path.name
            if plan.columns is None:
                _out(f"{where}：没有{kind.title}的表头，跳过")
                continue
            used = [f"{h}→{_target_name(kind, t)}" for h, t in
                    zip(plan.columns.headers, plan.columns.targets, strict=True) if t]
            _out(f"{where}：表头在第{plan.columns.header_row}行，约 {plan.total_rows} 行；"
                 + "，".join(used))
        missing = job.missing_columns()
        if missing:
            _out("缺少必填列：" + "、".join(missing) + "（这些行将报错）")
        last = [0.0]

        def progress(done: int, total: int) -> None:
            now = time.perf_counter()
            if now - last[0] > 1.0 or done == total:
                last[0] = now
                print(f"\r已处理 {done}/{total}", end="", file=sys.stderr, flush=True)

        started = time.perf_counter()
        result = job.run(dry_run=args.dry_run, progress=progress)
        print(file=sys.stderr)
        elapsed = max(time.perf_counter() - started, 1e-9)
    finally:
        desk.close()
    for problem in result.problems[:200]:
        _out(f"错误：{problem}")
    if len(result.problems) > 200:
        _out(f"……另有 {len(result.problems) - 200} 处错误，见错误报告")
    if result.problems:
        report = Path(args.report) if args.report else path.with_name(f"{path.stem}-导入错误.xlsx")
        write_error_report(result, report)
        _out(f"错误报告：{report}")
    _out(result.summary() + f"，用时 {elapsed:.1f} 秒"
         + ("（试导入，未写入任何数据）" if args.dry_run else ""))
    if result.bad_rows:
        return _fail(f"{result.bad_rows} 行有错误，未导入", f"{result.bad_rows} row(s) refused")
    return EXIT_OK


def _target_name(kind: Any, target: str) -> str:
    from .importing import target_label

    return str(target_label(kind, target))


def _add_import_parser(sub: Any, common: argparse.ArgumentParser,
                       as_user: argparse.ArgumentParser) -> None:
    s = sub.add_parser("import", parents=[common, as_user],
                       help="导入 Excel/CSV 台账（需主管或管理员）")
    s.add_argument("--kind", required=True,
                   help="consultation|enterprise|preexam_filing|preexam_case|mediation|rating 或中文名")
    s.add_argument("file", help="台账文件（.xlsx 或 .csv）")
    s.add_argument("--sheet", help="只导入这个工作表（默认：所有有表头的工作表）")
    s.add_argument("--dry-run", action="store_true", help="只检查，不写入")
    s.add_argument("--report", help="错误报告文件（默认：台账文件旁的“…-导入错误.xlsx”）")
    s.set_defaults(func=cmd_import)

# --- parser -------------------------------------------------------------------------------------


class _Parser(ChineseParser):
    """argparse with a Chinese frame and errors (cli_frame.py); usage errors exit 2."""


def _role(text: str) -> str:
    """--role: the key (clerk …) or its Chinese name (窗口人员 …)."""
    keys = {label: key for key, label in ROLE_LABELS.items()}
    key = keys.get(text.strip(), text.strip().lower())
    if key not in ROLES:
        raise argparse.ArgumentTypeError(f"角色“{text}”不存在，应为{_ROLE_CHOICES}")
    return key


_ROLE_CHOICES = "、".join(f"{k}（{v}）" for k, v in ROLE_LABELS.items())


def build_parser() -> argparse.ArgumentParser:
    data_help = "数据目录（默认：环境变量 XINGAN_DESK_HOME 或系统数据目录）"
    # Accepted before or after the subcommand; the subcommand's copy must not reset it.
    common = _Parser(add_help=False)
    common.add_argument("--data-dir", default=argparse.SUPPRESS, help=data_help)
    as_user = _Parser(add_help=False)
    as_user.add_argument("--user", default="admin", help="以哪个账号登录（默认 admin）")
    as_user.add_argument("--password", help=f"该账号的密码（也可用环境变量 {PASSWORD_ENV}；"
                                            "都没有时在终端提示输入）")

    p = _Parser(prog="xingan-desk", description="兴安盟知识产权服务窗口系统")
    p.add_argument("--data-dir", default=None, help=data_help)
    p.set_defaults(func=cmd_gui)
    sub = p.add_subparsers(dest="command", parser_class=_Parser)

    s = sub.add_parser("init", parents=[common], help="设置本机窗口（旗县市代码和窗口号）")
    s.add_argument("--county", required=True, help="旗县市代码，如 152223（扎赉特旗）；盟本级 152200")
    s.add_argument("--window", required=True, help="窗口号，如 02")
    s.add_argument("--admin-password", "--password", dest="admin_password",
                   help=f"管理员密码（也可用环境变量 {PASSWORD_ENV}；都没有时在终端提示输入两次）。"
                        "已设置过同一窗口时什么也不改，只在无钥匙环的电脑上用它解锁数据文件")
    s.add_argument("--admin-name", default="系统管理员", help="管理员姓名")
    s.set_defaults(func=cmd_init)

    s = sub.add_parser("demo", parents=[common, as_user], help="生成演示数据")
    s.add_argument("--records", type=int, default=500, help="记录条数（默认 500）")
    s.add_argument("--again", action="store_true",
                   help="数据目录中已有记录时也追加演示数据（默认只给空的数据目录生成）")
    s.add_argument("--seed", type=int, default=2026,
                   help="随机数种子：同一种子生成同样的演示数据（默认 2026）")
    s.set_defaults(func=cmd_demo)

    s = sub.add_parser("export", parents=[common, as_user], help="导出为 Excel 或 CSV")
    s.add_argument("--kind", required=True,
                   help="登记类型：consultation、enterprise、preexam_filing、preexam_case、"
                        "mediation、rating，或中文名（如 咨询登记）")
    s.add_argument("--format", choices=("xlsx", "csv"), default="xlsx",
                   help="文件格式：xlsx（Excel，默认）或 csv")
    s.add_argument("--out", required=True, help="输出文件")
    s.add_argument("--unmasked", action="store_true", help="不遮蔽身份证号和电话（仅管理员，记入审计）")
    s.set_defaults(func=cmd_export)

    s = sub.add_parser("print", parents=[common, as_user], help="生成回执或文书 PDF")
    s.add_argument("receipt_no", help="登记编号")
    s.add_argument("--document", help="文书类型（默认：回执）")
    s.add_argument("--layout", choices=("a4", "roll80"), default="a4",
                   help="版式：a4（A4 纸，默认）或 roll80（80 毫米热敏卷纸回执）")
    s.add_argument("--out", required=True, help="输出 PDF 文件")
    s.set_defaults(func=cmd_print)

    s = sub.add_parser("stats", parents=[common, as_user],
                       help="统计报表：导出 Excel 或 PDF（需主管或管理员）")
    s.add_argument("--period", required=True,
                   help="统计期：2026-03（月）、2026-Q1（季度）、2026-H1（半年）、2026（年）"
                        "或 2026-01-01..2026-03-15")
    s.add_argument("--county", help="旗县市代码或名称（盟本级窗口默认全盟；旗县市窗口只能统计本旗县市）")
    s.add_argument("--format", choices=("xlsx", "pdf"),
                   help="文件格式：xlsx（Excel）或 pdf（双语报表）；默认按 --out 的扩展名")
    s.add_argument("--out", required=True, help="输出文件")
    s.set_defaults(func=cmd_stats)

    s = sub.add_parser("check", parents=[common], help="检查数据文件完整性")
    s.set_defaults(func=cmd_check)

    s = sub.add_parser("backup", parents=[common], help="备份数据文件")
    s.add_argument("--out", help="备份文件或目录（默认：数据目录下的 backups）")
    s.set_defaults(func=cmd_backup)

    s = sub.add_parser("restore", parents=[common], help="从备份恢复（编号自动换代）")
    s.add_argument("file", nargs="?", help="备份文件")
    s.add_argument("--latest", action="store_true",
                   help="恢复 backups 目录中最近一份完好的备份（数据文件损坏时）")
    s.set_defaults(func=cmd_restore)

    s = sub.add_parser("user-add", parents=[common, as_user], help="新建账号（需管理员）")
    s.add_argument("username", help="登录用的账号名（字母、数字，如 zhangli）")
    s.add_argument("display_name", help="姓名（界面、回执和审计日志中显示，如 张丽）")
    s.add_argument("--role", type=_role, choices=ROLES, default="clerk",
                   help=f"角色：{_ROLE_CHOICES}；默认 clerk")
    s.add_argument("--new-password", help="新账号的密码（不给时在终端提示输入两次）")
    s.set_defaults(func=cmd_user_add)

    s = sub.add_parser("screenshots", parents=[common],
                       help="渲染主要界面截图（PNG，1366×768，演示数据）")
    s.add_argument("--out", default="docs/screenshots", help="输出目录")
    s.set_defaults(func=cmd_screenshots)

    s = sub.add_parser("self-test", parents=[common], help="自检（打包后的程序也可运行）")
    s.set_defaults(func=cmd_self_test)

    _add_attachment_parsers(sub, common, as_user)
    _add_pledge_push_parser(sub, common, as_user)
    _add_import_parser(sub, common, as_user)

    from .sync import cli as sync_cli  # argparse wiring only; psycopg loads when a command runs

    sync_cli.register(sub, common, as_user)
    _add_overdue_parser(sub, common, as_user)
    return p


# --- attachments (xingan_desk/attachments) -----------------------------------------------------


def cmd_attach(args: argparse.Namespace) -> int:
    desk = _open(args)
    try:
        rec = desk.get_by_receipt(args.receipt_no)
        att, _ = desk.attach_file(rec.id, Path(args.file), args.type)
        _out(f"已添加附件 {att.no}：{att.name}（{att.material}，{att.pages}页，"
             f"{att.size}字节，SHA-256 {att.sha256}）")
    finally:
        desk.close()
    return EXIT_OK


def cmd_attachments(args: argparse.Namespace) -> int:
    desk = _open(args)
    try:
        rec = desk.get_by_receipt(args.receipt_no)
        found = desk.list_attachments(rec.id)
        if not found:
            _out(f"{rec.receipt_no} 没有附件")
        for a in found:
            state = f"\t已作废：{a.void_reason}" if a.voided else ""
            _out(f"{a.no}\t{a.name}\t{a.material}\t{a.pages}页\t{a.size}\t{a.sha256}{state}")
    finally:
        desk.close()
    return EXIT_OK


def cmd_attachment(args: argparse.Namespace) -> int:
    from .errors import OutputFileError, file_error_reason

    desk = _open(args)
    try:
        rec = desk.get_by_receipt(args.receipt_no)
        att = desk.attachments.by_number(rec.id, args.number)
        data = desk.attachment_content(att.id)
    finally:
        desk.close()
    out = Path(args.out)
    try:
        out.write_bytes(data)
    except OSError as exc:
        raise OutputFileError(f"无法写入 {out}（{file_error_reason(exc)}）") from exc
    _out(f"已保存附件 {att.no}（{att.name}）到 {out}")
    return EXIT_OK


def _add_attachment_parsers(sub: Any, common: argparse.ArgumentParser,
                            as_user: argparse.ArgumentParser) -> None:
    s = sub.add_parser("attach", parents=[common, as_user],
                       help="给登记添加附件（PDF、JPEG、PNG、TIFF）")
    s.add_argument("receipt_no", help="登记编号")
    s.add_argument("file", help="附件文件")
    s.add_argument("--type", help="材料类型（默认：其他材料）")
    s.set_defaults(func=cmd_attach)

    s = sub.add_parser("attachments", parents=[common, as_user], help="列出登记的附件")
    s.add_argument("receipt_no", help="登记编号")
    s.set_defaults(func=cmd_attachments)

    s = sub.add_parser("attachment", parents=[common, as_user], help="取出登记的第 N 个附件")
    s.add_argument("receipt_no", help="登记编号")
    s.add_argument("number", type=int, help="附件序号（见 attachments 列表）")
    s.add_argument("--out", required=True, help="保存为文件")
    s.set_defaults(func=cmd_attachment)


def _add_pledge_push_parser(sub: Any, common: argparse.ArgumentParser,
                            as_user: argparse.ArgumentParser) -> None:
    s = sub.add_parser("pledge-push", parents=[common, as_user],
                       help="导出质押融资需求推送清单（Excel，供银行、担保机构）")
    s.add_argument("--out", required=True, help="输出文件（.xlsx）")
    s.add_argument("--unmasked", action="store_true", help="不遮蔽联系电话（需管理员，记入审计日志）")
    s.set_defaults(func=cmd_pledge_push)


def cmd_pledge_push(args: argparse.Namespace) -> int:
    from .pledge_push import push_list

    desk = _open(args)
    n = push_list(desk, Path(args.out), unmasked=args.unmasked)
    _out(f"已导出质押融资需求推送清单 {n} 条到 {args.out}"
         + ("（未遮蔽，已记入审计日志）" if args.unmasked else ""))
    desk.close()
    return EXIT_OK


# --- 逾期统计 (issue 11 §8) -----------------------------------------------------------------------


def cmd_overdue(args: argparse.Namespace) -> int:
    """Overdue and soon-due open records per window and per clerk; --warn-days sets how many
    working days before a deadline it turns yellow (supervisors and admins)."""
    desk = _open(args)
    try:
        if args.warn_days is not None:
            desk.set_due_warn_workdays(args.warn_days)
            _out(f"已设置：期限前 {args.warn_days} 个工作日提醒（黄色），超过期限为红色")
        days = desk.due_warn_workdays()
        windows, clerks = desk.overdue_report()
    finally:
        desk.close()
    if not windows:
        _out(f"没有逾期或 {days} 个工作日内到期的未办结记录")
        return EXIT_OK
    _out(f"未办结记录：已逾期 / {days} 个工作日内到期（最早逾期的期限）")
    _out("按窗口：")
    for r in windows:
        _out(f"  {r.window}  逾期 {r.overdue} 件  即将到期 {r.soon} 件"
             + (f"  最早 {r.oldest.isoformat()}" if r.oldest else ""))
    _out("按人员（登记人）：")
    for r in clerks:
        _out(f"  {r.window} {r.clerk}  逾期 {r.overdue} 件  即将到期 {r.soon} 件"
             + (f"  最早 {r.oldest.isoformat()}" if r.oldest else ""))
    return EXIT_OK


def _add_overdue_parser(sub: Any, common: argparse.ArgumentParser,
                        as_user: argparse.ArgumentParser) -> None:
    s = sub.add_parser("overdue", parents=[common, as_user],
                       help="逾期统计：按窗口和人员列出已逾期、即将到期的未办结记录")
    s.add_argument("--warn-days", type=int, metavar="工作日数",
                   help="先设置期限前几个工作日开始提醒（黄色，0–30；需主管或管理员）")
    s.set_defaults(func=cmd_overdue)


def _store_path(args: argparse.Namespace) -> Path:
    from .paths import data_dir, db_path

    return db_path(data_dir(getattr(args, "data_dir", None)))


def _quiet_stdout() -> None:
    """After a closed pipe (`… | head -1`): later writes and the exit flush go nowhere."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass


def main(argv: Sequence[str] | None = None) -> int:
    import logging

    from .logsetup import configure

    configure(logging.WARNING)  # no raw exception text or data in what the core logs
    parser = build_parser()
    args = parser.parse_args(argv)
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        return func(args)
    except UsageError as exc:
        print(f"用法错误：{exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return _fail("已取消", "cancelled")
    except BrokenPipeError:
        _quiet_stdout()
        return EXIT_FAIL
    except Exception as exc:
        import sqlite3

        from sqlalchemy.exc import DatabaseError

        from .errors import DeskError
        from .storage.db import explain_db_error

        if isinstance(exc, (DatabaseError, sqlite3.DatabaseError)):
            exc = explain_db_error(exc, _store_path(args))
        if isinstance(exc, DeskError):
            return _fail(str(exc), exc.english)
        if os.environ.get("XINGAN_DESK_DEBUG"):
            raise
        # The class only: driver messages quote rows (names, phones)
        return _fail(f"意外错误（{exc.__class__.__name__}），操作未完成。请联系管理员；"
                     "设置环境变量 XINGAN_DESK_DEBUG=1 再运行可看到详细信息", "unexpected error")


if __name__ == "__main__":
    sys.exit(main())
