"""The command line as an admin or a scheduled task uses it: exit codes and messages."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "xingan_desk", *args], cwd=ROOT, text=True,
                          capture_output=True, env={**os.environ, **(env or {})}, timeout=300)


def test_init_demo_export_check_backup_restore(tmp_path: Path) -> None:
    d = str(tmp_path / "w")
    bad = run("init", "--data-dir", d, "--county", "152299", "--window", "02",
              "--admin-password", "Admin2026x")
    assert bad.returncode == 1 and "152299" in bad.stderr and "不是兴安盟的代码" in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1
    ok = run("init", "--data-dir", d, "--county", "152223", "--window", "02",
             "--admin-password", "Admin2026x")
    assert ok.returncode == 0, ok.stderr
    assert "152223-02" in ok.stdout
    admin = {"XINGAN_DESK_PASSWORD": "Admin2026x"}
    demo = run("demo", "--data-dir", d, "--records", "40", env=admin)
    assert demo.returncode == 0, demo.stderr
    assert "已生成演示数据" in demo.stdout
    out = tmp_path / "咨询.xlsx"
    exp = run("export", "--kind", "咨询登记", "--format", "xlsx", "--out", str(out),
              "--data-dir", d, env=admin)
    assert exp.returncode == 0, exp.stderr
    assert out.stat().st_size > 0
    chk = run("check", "--data-dir", d, env=admin)  # the password unlocks the store
    assert chk.returncode == 0 and "检查通过" in chk.stdout
    sh = run("shrink", "--data-dir", d, env=admin)
    assert sh.returncode == 0 and "数据文件已压缩" in sh.stdout, sh.stderr
    bk = run("backup", "--data-dir", d, "--out", str(tmp_path / "b.sqlite3"), env=admin)
    assert bk.returncode == 0, bk.stderr
    rs = run("restore", "--data-dir", d, str(tmp_path / "b.sqlite3"), env=admin)
    assert rs.returncode == 0 and "第2代" in rs.stdout
    assert run("check", "--data-dir", d, env=admin).returncode == 0


def test_usage_errors_exit_2_and_failures_exit_1(tmp_path: Path) -> None:
    assert run("frobnicate").returncode == 2
    assert run("export", "--kind", "consultation").returncode == 2  # --out missing
    r = run("export", "--kind", "不存在", "--out", "x.csv", "--data-dir", str(tmp_path))
    assert r.returncode == 2 and "未知的登记类型" in r.stderr
    r = run("check", "--data-dir", str(tmp_path / "none"))
    assert r.returncode == 1 and "init" in r.stderr


def test_no_arguments_says_the_window_is_not_available_yet_or_starts_it() -> None:
    r = run("--help")
    assert r.returncode == 0 and "兴安盟知识产权服务窗口系统" in r.stdout


def test_self_test_passes() -> None:
    r = run("self-test")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "自检通过" in r.stdout


def test_print_the_case_file(tmp_path: Path) -> None:
    """`xingan-desk print 登记编号 --document dossier --out FILE.pdf`."""
    from tests.conftest import GOOD_MEDIATION
    from xingan_desk.desk import Desk

    d = tmp_path / "w"
    desk = Desk.initialise(d, "152223", "02", admin_password="Admin2026x")
    desk.use_account("admin")
    rec, _ = desk.create("mediation", GOOD_MEDIATION)
    desk.act(rec.id, "accept", {"accepted_on": "2026-03-03", "mediator": "赵敏"})
    desk.close()
    out = tmp_path / "卷宗.pdf"
    r = run("print", rec.receipt_no, "--document", "dossier", "--out", str(out),
            "--data-dir", str(d), env={"XINGAN_DESK_PASSWORD": "Admin2026x"})
    assert r.returncode == 0, r.stderr
    assert out.read_bytes().startswith(b"%PDF")


# --- issue 11 §6: the command line is Chinese, frame included ----------------------------------
_ENGLISH_FRAME = ("usage:", "options:", "show this help", "positional arguments",
                  "optional arguments", "the following arguments", "invalid choice", "error:")
_HELP_PAGES = (("--help",), ("export", "--help"), ("user-add", "--help"), ("demo", "--help"),
               ("print", "--help"), ("central", "--help"), ("central", "init", "--help"),
               ("central", "add-window", "--help"), ("sync", "--help"), ("stats", "--help"))


def _subparsers(parser: object) -> list[tuple[str, object]]:
    import argparse

    assert isinstance(parser, argparse.ArgumentParser)
    found: list[tuple[str, object]] = [(parser.prog, parser)]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in dict.fromkeys(action.choices.values()):
                found.extend(_subparsers(child))
    return found


def test_help_pages_have_a_chinese_frame() -> None:
    for page in _HELP_PAGES:
        r = run(*page, env={"COLUMNS": "80"})
        assert r.returncode == 0, (page, r.stderr)
        assert r.stdout.startswith("用法：xingan-desk"), page
        assert "选项：" in r.stdout and "显示本帮助并退出" in r.stdout, page
        for english in _ENGLISH_FRAME:
            assert english not in r.stdout, (page, english)
    central = run("central", "--help").stdout
    assert "建立或升级中心数据库的同步结构" in central and "登记窗口" in central
    assert "在中心数据库登记窗口" in run("central", "add-window", "--help").stdout


def test_every_option_of_every_command_has_chinese_help() -> None:
    import argparse
    import re

    from xingan_desk.cli import build_parser

    han = re.compile(r"[\u4e00-\u9fff]")
    for prog, parser in _subparsers(build_parser()):
        assert isinstance(parser, argparse.ArgumentParser)
        if parser is not build_parser() and prog != "xingan-desk":
            assert parser.description and han.search(parser.description), prog
        for action in parser._actions:
            if action.help is argparse.SUPPRESS:
                continue
            assert action.help and han.search(action.help), (prog, action.dest)


def test_roles_in_chinese() -> None:
    r = run("user-add", "--help")
    for label in ("窗口人员", "调解员", "主管", "管理员"):
        assert label in r.stdout
    bad = run("user-add", "zhang", "张丽", "--role", "boss")
    assert bad.returncode == 2 and "角色“boss”不存在" in bad.stderr and "窗口人员" in bad.stderr


def test_kind_help_never_breaks_a_word() -> None:
    for columns in ("60", "70", "80", "100", "120"):
        out = run("export", "--help", env={"COLUMNS": columns}).stdout
        for word in ("consultation", "enterprise", "preexam_filing", "preexam_case", "mediation",
                     "rating"):
            assert word in out, (columns, word)
        from xingan_desk.cli_frame import display_width

        help_lines = out.split("\n\n", 2)[2].splitlines()  # after the usage and description
        assert all(display_width(line) <= int(columns) for line in help_lines), columns


def test_usage_errors_are_chinese() -> None:
    r = run("export", "--kind", "consultation")
    assert r.returncode == 2
    assert "用法：xingan-desk export" in r.stderr
    assert "用法错误：缺少必需的参数：--out" in r.stderr
    r = run("demo", "--records", "many")
    assert r.returncode == 2 and "参数 --records：无效的整数值 'many'" in r.stderr
    r = run("frobnicate")
    assert r.returncode == 2 and "无效的选择 'frobnicate'" in r.stderr
    r = run("central")
    assert r.returncode == 2 and "缺少必需的参数：子命令" in r.stderr
    r = run("check", "--nonsense")
    assert r.returncode == 2 and "无法识别的参数：--nonsense" in r.stderr
    for text in (r.stderr for r in [r]):
        for english in _ENGLISH_FRAME:
            assert english not in text


# --- issue 11 §7: set-up and start -------------------------------------------------------------
def test_init_without_a_terminal_says_how_to_give_the_password(tmp_path: Path) -> None:
    d = str(tmp_path / "w")
    r = run("init", "--data-dir", d, "--county", "152223", "--window", "02",
            env={"XINGAN_DESK_PASSWORD": ""})
    assert r.returncode == 2
    assert "没有可输入密码的终端" in r.stderr
    assert "--admin-password" in r.stderr and "XINGAN_DESK_PASSWORD" in r.stderr
    r = run("init", "--data-dir", d, "--county", "152223", "--window", "02",
            "--password", "Admin2026x", env={"XINGAN_DESK_PASSWORD": ""})
    assert r.returncode == 0 and "152223-02" in r.stdout, r.stderr


def test_the_setup_command_can_run_again_another_day(tmp_path: Path) -> None:
    d = str(tmp_path / "w")
    admin = {"XINGAN_DESK_PASSWORD": "Admin2026x"}
    setup = (("init", "--data-dir", d, "--county", "152223", "--window", "02"),
             ("demo", "--data-dir", d, "--records", "30"))
    first = [run(*cmd, env=admin) for cmd in setup]
    assert [r.returncode for r in first] == [0, 0], [r.stderr for r in first]
    again = [run(*cmd, env=admin) for cmd in setup]
    assert [r.returncode for r in again] == [0, 0], [r.stderr for r in again]
    assert "本机已设置为 152223-02 窗口" in again[0].stdout and "无需再设置" in again[0].stdout
    from xingan_desk.demo.mediations import ROSTER

    total = 30 + len(ROSTER)  # the demo also writes the mediator roster (reference data)
    assert f"已有 {total} 条记录，未再生成演示数据" in again[1].stdout
    assert "xingan-desk" in again[1].stdout  # says how to start the app next time
    chk = run("check", "--data-dir", d, env=admin)
    assert f"记录：{total} 条" in chk.stdout
    more = run("demo", "--data-dir", d, "--records", "5", "--again", env=admin)
    assert more.returncode == 0 and "已生成演示数据" in more.stdout
    other = run("init", "--data-dir", d, "--county", "152223", "--window", "03", env=admin)
    assert other.returncode == 1 and "已设置为 152223-02 窗口，不能改设为 152223-03" in other.stderr


def test_overdue_lists_per_window_and_clerk_and_sets_the_warning_days(tmp_path: Path) -> None:
    from tests.conftest import ADMIN_PASSWORD, GOOD_MEDIATION
    from xingan_desk.desk import Desk

    d = tmp_path / "w"
    desk = Desk.initialise(d, "152223", "02", admin_password=ADMIN_PASSWORD)
    desk.use_account("admin")
    desk.create("mediation", GOOD_MEDIATION)  # its deadline (2026-03-05) has passed
    desk.close()
    env = {"XINGAN_DESK_PASSWORD": ADMIN_PASSWORD}
    r = run("overdue", "--data-dir", str(d), "--warn-days", "5", env=env)
    assert r.returncode == 0, r.stderr
    assert "期限前 5 个工作日提醒" in r.stdout
    assert "152223-02  逾期 1 件  即将到期 0 件  最早 2026-03-05" in r.stdout
    assert "152223-02 admin  逾期 1 件" in r.stdout
    r = run("overdue", "--data-dir", str(d), "--warn-days", "99", env=env)
    assert r.returncode == 1 and "0到30" in r.stderr
