"""The command line logs in as a real account: no implicit admin, locks hold, user-add takes
its own password. Run as a subprocess with stdin not a terminal (as a scheduled task runs)."""

from __future__ import annotations

import os
import pty
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import ADMIN_PASSWORD
from tests.core.test_cli import ROOT, run
from xingan_desk.desk import Desk
from xingan_desk.errors import PermissionDenied

ENV = "XINGAN_DESK_PASSWORD"


@pytest.fixture
def store(tmp_path: Path) -> str:
    d = str(tmp_path / "w")
    Desk.initialise(d, "152223", "02", admin_password=ADMIN_PASSWORD).close()
    return d


def test_no_password_is_no_admin(store: str, tmp_path: Path) -> None:
    out = tmp_path / "全部.csv"
    r = run("export", "--kind", "consultation", "--format", "csv", "--unmasked",
            "--out", str(out), "--data-dir", store)
    assert r.returncode == 2 and "需要密码" in r.stderr and not out.exists()
    r = run("user-add", "boss", "老板", "--role", "admin", "--new-password", "Boss2026x",
            "--data-dir", store)
    assert r.returncode == 2 and "需要密码" in r.stderr
    r = run("demo", "--records", "5", "--data-dir", store, "--password", "Wrong2026x")
    assert r.returncode == 1 and "用户名或密码不正确" in r.stderr
    with Desk.open(store) as desk:
        assert [u.username for u in desk.list_users()] == ["admin"]
        assert desk.counts_by_kind().get("consultation", 0) == 0


def test_a_locked_account_stays_locked_on_the_command_line(store: str, tmp_path: Path) -> None:
    out = tmp_path / "x.csv"
    for _ in range(5):
        r = run("export", "--kind", "consultation", "--format", "csv", "--out", str(out),
                "--data-dir", store, env={ENV: "Wrong2026x"})
        assert r.returncode == 1 and "用户名或密码不正确" in r.stderr
    r = run("export", "--kind", "consultation", "--format", "csv", "--out", str(out),
            "--data-dir", store, env={ENV: ADMIN_PASSWORD})
    assert r.returncode == 1 and "连续输错5次" in r.stderr and not out.exists()
    r = run("stats", "--period", "2026", "--out", str(tmp_path / "s.xlsx"), "--data-dir", store,
            "--password", ADMIN_PASSWORD)
    assert r.returncode == 1 and "连续输错5次" in r.stderr


def test_user_add_never_takes_the_acting_users_variable(store: str) -> None:
    r = run("user-add", "lina", "李娜", "--data-dir", store, env={ENV: ADMIN_PASSWORD})
    assert r.returncode == 2 and "--new-password" in r.stderr
    r = run("user-add", "lina", "李娜", "--new-password", "Lina2026x", "--data-dir", store,
            env={ENV: ADMIN_PASSWORD})
    assert r.returncode == 0, r.stderr
    with Desk.open(store) as desk:
        with pytest.raises(PermissionDenied):
            desk.login("lina", ADMIN_PASSWORD)
        assert desk.login("lina", "Lina2026x").role == "clerk"
    # a clerk may not create accounts, whatever the command line says
    r = run("user-add", "boss", "老板", "--role", "admin", "--new-password", "Boss2026x",
            "--user", "lina", "--password", "Lina2026x", "--data-dir", store)
    assert r.returncode == 1 and "管理员" in r.stderr


def _on_terminal(args: list[str], typed: list[str], env: dict[str, str]) -> tuple[int, str]:
    """Run the command on a pseudo-terminal, answering each password prompt in turn."""
    pid, fd = pty.fork()
    if pid == 0:  # child
        os.chdir(ROOT)
        os.execve(sys.executable, [sys.executable, "-m", "xingan_desk", *args],
                  {**os.environ, **env})
    seen = b""
    mark = 0  # output before this was already answered
    answers = iter(typed)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.5)
        if not ready:
            continue
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
        if seen[mark:].rstrip().endswith("：".encode()):  # a new prompt
            mark = len(seen)
            answer = next(answers, None)
            if answer is not None:
                time.sleep(0.3)  # getpass switches echo off (flushing input) around its prompt
                os.write(fd, answer.encode() + b"\n")
    else:
        os.kill(pid, signal.SIGKILL)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), seen.decode(errors="replace")


@pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX")
def test_prompts_on_a_terminal(tmp_path: Path) -> None:
    d = str(tmp_path / "t")
    # issue 11 §7: a mistyped or weak password gets another try (three in all)
    code, text = _on_terminal(["init", "--county", "152223", "--window", "02", "--data-dir", d],
                              ["Admin2026x", "Admin2026y", "short1", "Admin2026x",
                               "Admin2026x"], {})
    assert "两次输入的密码不一致，请重新输入" in text and "密码至少8位，请重新输入" in text, text
    assert code == 0 and "152223-02" in text and "以后启动程序只需运行 xingan-desk" in text, text
    code, text = _on_terminal(["demo", "--records", "12", "--data-dir", d], ["Admin2026x"], {})
    assert code == 0 and "已生成演示数据" in text and "admin 的密码" in text, text
    assert "Admin2026x" not in text  # getpass does not echo
    code, text = _on_terminal(["user-add", "wangx", "王晓", "--data-dir", d],
                              ["Admin2026x", "Wang2026x", "Wang2026x"], {})
    assert code == 0 and "已新建账号 wangx" in text, text
    with Desk.open(d, password="Admin2026x") as desk:  # no keyring here: a password unlocks
        assert desk.login("wangx", "Wang2026x").display_name == "王晓"


@pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX")
def test_init_gives_up_after_three_tries(tmp_path: Path) -> None:
    d = str(tmp_path / "t")
    code, text = _on_terminal(["init", "--county", "152223", "--window", "02", "--data-dir", d],
                              ["abc", "12345678", "Admin2026x", "Admin2026y"], {})
    assert code == 2 and "三次都没有设好管理员密码" in text, text
    assert not (Path(d) / "xingan-desk.sqlite3").exists()


def test_tests_are_hermetic_to_the_users_variables(tmp_path: Path) -> None:
    """conftest removes XINGAN_DESK_* before any test (and from subprocesses' environment)."""
    assert not [k for k in os.environ if k.startswith(("XINGAN_DESK_", "XINGAN_CENTRAL_"))]
    r = subprocess.run([sys.executable, "-c", "import os; print(sorted(k for k in os.environ "
                        "if k.startswith('XINGAN_DESK')))"], capture_output=True, text=True)
    assert r.stdout.strip() == "[]"
