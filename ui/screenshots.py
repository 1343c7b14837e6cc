"""Render every main screen to PNG (1366×768, demo data): main window per area, each form,
a form showing errors, login, first run, an action dialog and the drafts offer."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QApplication, QWidget

SIZE = (1366, 768)
DEMO_PASSWORD = "Admin2026x"


def _pump(until: Callable[[], bool] | None = None, timeout: float = 5.0) -> None:
    app = QApplication.instance()
    end = time.monotonic() + timeout
    while True:
        if app is not None:
            app.processEvents()
        if until is None or until() or time.monotonic() > end:
            break
        time.sleep(0.01)
    if app is not None:
        app.processEvents()


def _save(w: QWidget, out: Path, name: str) -> Path:
    _pump()
    path = out / f"{name}.png"
    w.grab().save(str(path))
    return path


def open_demo_store(data_dir: str | Path, records: int = 300) -> Any:
    """Open the store in data_dir, creating it with demo data when it does not exist."""
    from xingan_desk.desk import Desk
    from xingan_desk.errors import NotInitialised

    from .sample_data import populate

    try:
        desk = Desk.open(data_dir)
        _ = desk.identity
        desk.use_account("admin")
        return desk
    except NotInitialised:
        pass
    desk = Desk.initialise(data_dir, "152201", "01", admin_password=DEMO_PASSWORD,
                           admin_name="王丽娜")
    desk.use_account("admin")
    populate(desk, records)
    if not any(u.role == "mediator" for u in desk.list_users()):
        desk.add_user("mediator", "包银山", "mediator", "Mediator2026")
    return desk


def render_all(data_dir: str | Path, out_dir: str | Path) -> list[Path]:
    from .app import make_app
    from .dialogs import DraftsDialog, FirstRunDialog, LoginDialog
    from .main_window import AREAS, MainWindow
    from .record_form import ActionDialog
    from .tasks import TaskRunner

    make_app()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    desk = open_demo_store(data_dir)
    runner = TaskRunner()
    saved: list[Path] = []
    win = MainWindow(desk, runner)
    try:
        win.resize(*SIZE)
        win.show()
        _pump(lambda: not runner.busy)
        for i, (key, _title) in enumerate(AREAS):
            loaded: list[int] = []
            win.list_loaded.connect(loaded.append)
            win.nav.setCurrentRow(i)
            _pump(lambda loaded=loaded: bool(loaded) and not runner.busy)
            win.list_loaded.disconnect(loaded.append)
            if win.model is not None and win.model.rowCount():
                win.table.selectRow(0)
                _pump(lambda: win.detail.record is not None and not runner.busy)
            saved.append(_save(win, out, f"main_{key}"))

        if win.stats_view is not None:  # 统计: the year so far, targets and each section
            from xingan_desk.stats import Period
            from xingan_desk.timeutil import today_cst

            view = win.stats_view
            shown: list[object] = []
            view.report_shown.connect(shown.append)
            win.nav.setCurrentRow(len(AREAS))
            _pump(lambda: bool(shown) and not runner.busy)
            view.set_period(Period.year(today_cst().year))
            shown.clear()
            view.refresh()
            _pump(lambda: bool(shown) and not runner.busy)
            view.report_shown.disconnect(shown.append)
            for i, name in ((1, "main_stats"), (5, "main_stats_mediation")):
                view.tabs.setCurrentIndex(i)
                saved.append(_save(win, out, name))
            win.nav.setCurrentRow(0)
            _pump(lambda: not runner.busy)

        for key, _title in AREAS:
            if key == "due":
                continue
            form = win.new_record(key)
            assert form is not None
            saved.append(_save(win, out, f"form_{key}"))
            if key == "consultation":
                form.editor("enterprise_uscc").set("91152201MA0N12340A")
                form.editor("visitor_name").set("王" * 60)
                form.save()
                _pump(lambda: not runner.busy)
                saved.append(_save(win, out, "form_consultation_errors"))
            form.cancel(ask=False)
            _pump(lambda: not runner.busy)

        login = LoginDialog(desk, username="admin")
        login.password.setText("wrong")
        login.submit()
        login.show()
        saved.append(_save(login, out, "login"))
        login.deleteLater()

        first = FirstRunDialog(None)
        first.show()
        saved.append(_save(first, out, "first_run"))
        first.deleteLater()

        from xingan_desk.records.kinds import KINDS
        from xingan_desk.views import Query

        ids = (desk.find_ids(Query(kind="mediation", status="registered", limit=1))
               or desk.find_ids(Query(kind="mediation", limit=1)))
        if ids:
            rec = desk.get(ids[0])
            wf = KINDS["mediation"].workflow
            assert wf is not None
            dlg = ActionDialog(desk, runner, rec, wf.action("accept"), win)
            dlg.show()
            saved.append(_save(dlg, out, "action_accept"))
            dlg.deleteLater()
            dlg2 = ActionDialog(desk, runner, rec, wf.action("refuse"), win)
            dlg2.show()
            saved.append(_save(dlg2, out, "action_refuse"))
            dlg2.deleteLater()

        import datetime as dt

        drafts = DraftsDialog([("d1", "consultation", None,
                                {"raw": {"visitor_name": "王芳"}}, dt.datetime.now(dt.UTC)),
                               ("d2", "mediation", None, {"raw": {}},
                                dt.datetime.now(dt.UTC) - dt.timedelta(hours=3))], win)
        drafts.show()
        saved.append(_save(drafts, out, "drafts"))
        drafts.deleteLater()
    finally:
        win.close()
        runner.shutdown()
        win.deleteLater()
        _pump()
        desk.close()
    return saved


def main(argv: list[str] | None = None) -> int:
    import argparse
    import os

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    p = argparse.ArgumentParser(description="渲染主要界面截图")
    p.add_argument("--data-dir", required=True)
    p.add_argument("--out", default="docs/screenshots")
    args = p.parse_args(argv)
    for path in render_all(args.data_dir, args.out):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
