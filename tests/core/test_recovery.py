"""A damaged store (pages overwritten mid-file, as a failing disk or a bad copy leaves it) is
recognised with one Chinese message naming the newest good backup, and `restore --latest`
brings that backup back."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import ADMIN_PASSWORD
from tests.core.test_cli import run
from xingan_desk.demo import generate
from xingan_desk.desk import Desk
from xingan_desk.errors import StoreCorrupt
from xingan_desk.views import Query

ADMIN = {"XINGAN_DESK_PASSWORD": ADMIN_PASSWORD}
RAW = ("sqlalche.me", "DatabaseError", "Traceback", "[SQL", "parameters")


def damage(path: Path, length: int | None = None) -> None:
    """Overwrite `length` bytes in the middle of the file (default: its middle half) with
    garbage (a real damaged SQLite file). A fixed few pages in the middle hit whichever table
    happened to lie there, not necessarily one the commands read."""
    size = path.stat().st_size
    length = size // 2 if length is None else min(length, size // 2)
    with path.open("r+b") as f:
        f.seek(size // 2 - length // 2)
        f.write(bytes((i * 37 + 11) % 256 for i in range(length)))


@pytest.fixture
def damaged(tmp_path: Path) -> tuple[Path, Path]:
    """A store with 200 records and one good daily backup, then damaged; WAL checkpointed so
    the damage is in the pages the queries read."""
    d = tmp_path / "w"
    desk = Desk.initialise(d, "152223", "02", admin_password=ADMIN_PASSWORD)
    desk.use_account("admin")
    generate(desk, 200, seed=3)
    good = desk.auto_backup()
    assert good is not None
    desk.close()
    damage(desk.path)
    return d, good


def test_cli_names_the_newest_good_backup_and_restores_it(damaged: tuple[Path, Path],
                                                           tmp_path: Path) -> None:
    d, good = damaged
    # (no keyring here: every command unlocks the encrypted store with a password)
    for args, env in ((["check"], ADMIN), (["backup"], ADMIN),
                      (["export", "--kind", "consultation", "--format", "csv",
                        "--out", str(tmp_path / "x.csv")], ADMIN),
                      (["demo", "--records", "3"], ADMIN)):
        r = run(*args, "--data-dir", str(d), env=env)
        assert r.returncode == 1, (args, r.stdout, r.stderr)
        err = r.stderr.strip()
        assert err.startswith("错误：数据文件已损坏") and good.name in err, (args, err)
        assert len(err.splitlines()) == 1 and not any(w in err for w in RAW), err
    # the failed backup left no damaged copy that would push out the good ones
    assert [p.name for p in (d / "backups").glob("xingan-desk-*.sqlite3")] == [good.name]
    r = run("restore", "--latest", "--data-dir", str(d), env=ADMIN)
    assert r.returncode == 0, r.stderr
    assert good.name in r.stdout and "第2代" in r.stdout
    r = run("check", "--data-dir", str(d), env=ADMIN)
    from xingan_desk.demo.mediations import ROSTER  # the demo also writes the mediator roster

    assert r.returncode == 0 and "检查通过" in r.stdout
    assert f"记录：{200 + len(ROSTER)} 条" in r.stdout
    assert list((d / "backups").glob("before-restore-*.sqlite3"))  # the damaged file is kept


def test_the_core_raises_store_corrupt_with_the_backup(damaged: tuple[Path, Path]) -> None:
    d, good = damaged
    with pytest.raises(StoreCorrupt) as caught:
        desk = Desk.open(d, password=ADMIN_PASSWORD)
        try:
            desk.login("admin", ADMIN_PASSWORD)
            desk.check()
        finally:
            desk.close()
    assert caught.value.backup == good and good.name in str(caught.value)


def test_no_good_backup_says_so(tmp_path: Path) -> None:
    d = tmp_path / "w"
    desk = Desk.initialise(d, "152223", "02", admin_password=ADMIN_PASSWORD)
    desk.use_account("admin")
    generate(desk, 120, seed=4)
    desk.close()
    damage(desk.path)
    r = run("check", "--data-dir", str(d), env=ADMIN)
    assert r.returncode == 1 and "没有完好的备份" in r.stderr
    r = run("restore", "--latest", "--data-dir", str(d), env=ADMIN)
    assert r.returncode == 1 and "没有完好的备份" in r.stderr


def test_unexpected_errors_print_one_line_without_their_text(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import sqlite3

    from sqlalchemy.exc import IntegrityError

    from xingan_desk import cli

    def boom(_args: object) -> int:
        raise ValueError("王芳 13812345678")

    def unique(_args: object) -> int:
        raise IntegrityError("INSERT INTO record VALUES (?, ?)", ("王芳", "13812345678"),
                             sqlite3.IntegrityError("UNIQUE constraint failed: record.receipt_no"))

    for fn in (boom, unique):
        monkeypatch.setattr(cli, "cmd_check", fn)
        assert cli.main(["check", "--data-dir", str(tmp_path)]) == 1
        err = capsys.readouterr().err.strip()
        assert err.startswith("错误：") and len(err.splitlines()) == 1, err
        assert "王芳" not in err and "138" not in err and not any(w in err for w in RAW), err


def test_a_lone_surrogate_in_the_search_box(desk: Desk) -> None:
    from tests.conftest import GOOD_CONSULTATION

    rec, _ = desk.create("consultation", GOOD_CONSULTATION, register_enterprise=False)
    assert desk.search(Query(text="\ud800")) != []  # nothing left to search for: everything
    assert [r.id for r in desk.search(Query(text="王\udc00芳"))] == [rec.id]
    assert desk.count(Query(text="\ud83d")) >= 1
