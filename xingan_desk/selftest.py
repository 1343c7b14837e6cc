"""`xingan-desk self-test`: exercises the installed (or frozen) program end to end on a
throw-away store: migrations, validation vectors, numbering, a record of every kind, export,
and printing when available. Prints one line per check."""

from __future__ import annotations

import tempfile
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .desk import Desk


def _checks(tmp: Path) -> list[tuple[str, Callable[[], None]]]:
    state: dict[str, Desk] = {}
    files: dict[str, Path] = {}

    def store() -> None:
        from .desk import Desk

        desk = Desk.initialise(tmp / "store", "152223", "02", admin_password="SelfTest2026")
        desk.use_account("admin")
        state["desk"] = desk

    def validators() -> None:
        from . import validation as v

        assert v.check_uscc("91512081MA62K0260E") is None
        assert v.check_uscc("91512081MA62K0260F")
        assert v.check_id_number("11010519491231002X") is None
        assert v.check_patent_application_number("202210123456.1") is None
        assert v.check_patent_application_number("202210123456.7")

    def records() -> None:
        from .demo import generate
        from .numbering import parse_receipt_no

        desk = state["desk"]
        counts = generate(desk, 30, seed=7)
        assert all(n > 0 for n in counts.values()), counts
        from .views import Query

        for rec in desk.search(Query()):
            assert parse_receipt_no(rec.receipt_no) is not None, rec.receipt_no
        assert desk.check() == []

    def export() -> None:
        from .export import export as do_export

        n = do_export(state["desk"], "consultation", "xlsx", tmp / "out.xlsx")
        assert n > 0 and (tmp / "out.xlsx").stat().st_size > 0

    def printing() -> None:
        try:
            from .printing import render
        except ImportError:
            return
        from .views import Query

        desk = state["desk"]
        rec = desk.search(Query(kind="mediation"))[0]
        out = render(desk, rec.receipt_no, tmp / "receipt.pdf")
        assert out.stat().st_size > 1000
        files["pdf"] = out

    def window() -> None:
        import importlib

        try:  # the Qt layer, looked up by name (the core never imports it)
            check = importlib.import_module("ui.selfcheck")
        except ModuleNotFoundError as exc:
            if exc.name in ("ui", "ui.selfcheck"):
                return  # a core-only installation
            raise
        check.check_window(state["desk"], state.get("pdf"))

    return [("数据库与迁移", store), ("校验规则", validators), ("登记与编号", records),
            ("导出", export), ("打印", printing), ("界面", window)]


def run(out: Callable[[str], None] = print) -> int:
    failures = 0
    with tempfile.TemporaryDirectory(prefix="xingan-selftest-") as tmp:
        state_desk = None
        for name, check in _checks(Path(tmp)):
            try:
                check()
                out(f"  通过  {name}")
            except Exception as exc:  # report every failing check, not only the first
                failures += 1
                out(f"  失败  {name}：{exc.__class__.__name__}: {exc}")
                out(traceback.format_exc(limit=3))
        del state_desk
    return failures
