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
