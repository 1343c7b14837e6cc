"""Render every main screen to PNG (1366×768, demo data): main window per area, each form,
a form showing errors, login, first run, an action dialog and the drafts offer."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from xingan_desk.desk import Desk

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
    from xingan_desk.demo import generate
    from xingan_desk.desk import Desk
    from xingan_desk.errors import NotInitialised

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
    generate(desk, records)
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
            def listed(loaded: list[int] = loaded) -> bool:
                return bool(loaded) and not runner.busy

            _pump(listed)
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
            # the plan's targets with their progress chart, the ledgers, the supervisor's table
            for key in ("targets", "ledgers", "staff"):
                if key in view.pages:
                    view.tabs.setCurrentWidget(view.pages[key])
                    saved.append(_save(win, out, f"main_stats_{key}"))
            win.nav.setCurrentRow(0)
            _pump(lambda: not runner.busy)

        for i, (key, _title) in enumerate(AREAS):
            if key == "due":
                continue
            win.nav.setCurrentRow(i)  # a new record opens in its own area
            _pump(lambda: not runner.busy)
            form = win.new_record(key)
            assert form is not None
            saved.append(_save(win, out, f"form_{key}"))
            if key == "consultation":
                form.editor("enterprise_uscc").set("91152201MA0N12340A")
                form.editor("visitor_name").set("王" * 60)
                form.save()
                _pump(lambda: not runner.busy)
                saved.append(_save(win, out, "form_consultation_errors"))
            if key == "mediation":  # the party cards, two applicants and a respondent
                form.editor("applicants").set([
                    {"party_type": "person", "name": "王芳", "gender": "female",
                     "ethnicity": "蒙古族", "id_number": "152223199001011234",
                     "phone": "13800138000", "address": "扎赉特旗音德尔镇繁荣街道12号"},
                    {"party_type": "org", "name": "扎赉特旗丰收农机制造有限公司",
                     "uscc": "93152223MA0R5K6L3R", "legal_rep": "张建国",
                     "phone": "0482-6012345"}])
                form.editor("respondents").set([
                    {"party_type": "org", "name": "突泉县某农机有限公司",
                     "uscc": "92152224MA7Q000118"}])
                _pump()
                group = form.editor("applicants").box.parentWidget()
                if group is not None:  # the 当事人 box at the top of the view
                    form.scroll_area.verticalScrollBar().setValue(group.y())
                saved.append(_save(win, out, "form_mediation_parties"))
            form.cancel(ask=False)
            _pump(lambda: not runner.busy)

        win.set_locked(True)  # what stays on screen behind the login dialog after Ctrl+L
        saved.append(_save(win, out, "main_locked"))
        win.set_locked(False)

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

        from .admin import AdminDialog

        for tab in ("users", "calendar", "print", "audit"):  # 系统管理
            admin = AdminDialog(desk, runner, win, tab=tab)
            admin.show()
            _pump(lambda: not runner.busy)
            saved.append(_save(admin, out, f"admin_{tab}"))
            admin.deleteLater()

        from .attachments import render_attachment_screens

        saved += render_attachment_screens(desk, runner, win, out, _save, _pump)
        saved += _sync_screens(desk, runner, win, out)
    finally:
        win.close()
        runner.shutdown()
        win.deleteLater()
        _pump()
        desk.close()
    return saved


def _sync_screens(desk: Desk, runner: Any, win: Any, out: Path) -> list[Path]:
    """The status bar with sync problems, the settings dialog (a real, failing connection
    test against a closed local port) and the supervisor's review list."""
    import shutil
    import tempfile

    from xingan_desk.desk import Desk
    from xingan_desk.paths import db_path

    saved: list[Path] = []
    # the sample review items go into a copy of the store, never into the store itself
    tmp = Path(tempfile.mkdtemp(prefix="xingan-shots-"))
    desk.backup(db_path(tmp))
    copy = Desk.open(tmp)
    copy.use_account(desk.user.username)
    try:
        saved += _sync_shots(desk, copy, runner, win, out)
    finally:
        copy.close()
        shutil.rmtree(tmp, ignore_errors=True)
    return saved


def _sync_shots(desk: Desk, copy: Desk, runner: Any, win: Any, out: Path) -> list[Path]:
    import datetime as dt
    import socket

    from xingan_desk.sync.review import attention_items
    from xingan_desk.sync.review_samples import sample_sync_items
    from xingan_desk.sync.service import SyncState

    from .review_dialog import ReviewDialog
    from .sync_settings import SyncSettingsDialog

    saved: list[Path] = []
    sample_sync_items(copy)
    n = len(attention_items(copy))
    win.show_sync_state(SyncState(
        configured=True, online=False, pending=desk.pending_outbox(), attention=n,
        last_success=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=42),
        error_kind="stalled", error="同步在“下载”阶段60秒没有进展，已中止，稍后会自动重试（本地数据不受影响）"))
    saved.append(_save(win, out, "main_sync_problem"))
    win.show_sync_state(SyncState(configured=True, online=True, pending=0, attention=n,
                                  last_success=dt.datetime.now(dt.UTC)))
    saved.append(_save(win, out, "main_sync_online"))

    dlg = SyncSettingsDialog(desk, runner, win)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    dlg.host.setText("127.0.0.1")
    dlg.port.setText(str(port))
    dlg.dbname.setText("xingan_central")
    dlg.user.setText(f"xw_{desk.identity.county_code}_{desk.identity.window_no}_xingan_central")
    dlg.password.setText("demo-password")
    dlg.sslmode.setCurrentIndex(dlg.sslmode.findData("verify-full"))
    dlg.show()
    dlg.test_connection()
    _pump(lambda: not runner.busy and not dlg.result_label.text().startswith("正在"))
    saved.append(_save(dlg, out, "sync_settings"))
    dlg.deleteLater()

    review = ReviewDialog(copy, runner, win)
    review.show()
    _pump(lambda: not runner.busy and review.table.rowCount() > 0)
    for row in range(review.table.rowCount()):
        if review.items[row].category == "field_conflict":
            review.table.setCurrentCell(row, 0)
    saved.append(_save(review, out, "review"))
    for row in range(review.table.rowCount()):
        if review.items[row].category == "refused":
            review.table.setCurrentCell(row, 0)
    saved.append(_save(review, out, "review_refused"))
    review.deleteLater()
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
