"""What the clerk does with records in the main window: show the selected one, open the form
(new, edit, from a draft, handover, rating), save and cancel it, take a workflow action, void,
print. Every write is a `DeskOp`, so the list, the counts, the detail panel and sync follow
through the change bus; this module only handles what is particular to the command (close the
form, select the saved record, say what happened)."""

from __future__ import annotations

import dataclasses
import importlib
import logging
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QInputDialog

from xingan_desk.records.kinds import KINDS
from xingan_desk.records.workflow import Action
from xingan_desk.views import AuditView, Changes, EventView, RecordView

from .areas import new_kind_for
from .ops import DeskOp, Latest, QueryOp
from .record_form import ActionDialog, RecordForm

if TYPE_CHECKING:
    from .main_window import MainWindow
    from .print_preview import PrintPreview

log = logging.getLogger(__name__)

Draft = tuple[str, str, str | None, dict[str, Any], Any]  # as Desk.drafts() lists them
_Shown = tuple[RecordView, tuple[Action, ...], list[EventView], list[AuditView],
               list[tuple[str, str]], bool, list[tuple[str, str]]]


def probe_printing() -> Callable[..., Any] | None:
    """`xingan_desk.printing.render`, or None when printing is unavailable (the window still
    works; 打印 stays disabled). ReportLab itself loads on the first print."""
    try:
        mod = importlib.import_module("xingan_desk.printing")
    except Exception:  # pragma: no cover - a broken printing module must not stop the window
        log.exception("printing module failed to import")
        return None
    render = getattr(mod, "render", None)
    return render if callable(render) else None


def _default_printer() -> Any:
    from .print_preview import default_printer

    return default_printer()


PRINT_DIRECT_SETTING = "print_direct"  # Ctrl+P prints on the default printer (打印设置)


class RecordCommands(QObject):
    record_shown = Signal(str)  # record id, after the detail panel was filled

    def __init__(self, win: MainWindow) -> None:
        super().__init__(win)
        self.win = win
        self.desk = win.desk
        self.runner = win.runner
        self.form: RecordForm | None = None
        self.action_dialog: ActionDialog | None = None
        self.preview: PrintPreview | None = None
        self.printing = probe_printing()
        # where Ctrl+P prints with direct printing on (a QPrinter, or None: no printer)
        self.direct_printer: Callable[[], Any] = _default_printer
        self._details = Latest()
        self._loading: str | None = None  # the record whose detail is being read
        d = win.detail
        d.edit_requested.connect(self.edit_record)
        d.action_requested.connect(self.open_action)
        d.handover_requested.connect(self.handover)
        d.rate_requested.connect(self.rate_record)
        d.void_requested.connect(self.void_record)
        d.print_requested.connect(self.print_record)
        self.runner.bus.changed.connect(self._changed)

    # --- the detail panel ----------------------------------------------------------------
    def show_record(self, record_id: str) -> None:
        """Read the record, its legal actions, history and documents on the DB lane."""
        desk, printing = self.desk, self.printing is not None

        def load() -> _Shown:
            rec = desk.get(record_id)
            docs: list[tuple[str, str]] = []
            if printing:
                from xingan_desk.printing import documents_for

                docs = [(d.key, d.title) for d in documents_for(rec)]
            events, audit = desk.history(record_id)
            extra: list[tuple[str, str]] = []
            if rec.kind == "mediator":  # the roster entry: the cases the mediator holds
                entry = next((e for e in desk.mediator_roster() if e.record_id == rec.id), None)
                if entry is not None:
                    extra.append(("承办案件", f"{entry.cases}件（在办{entry.open_cases}件）"))
            return (rec, desk.actions_for(record_id), events, audit, docs, desk.can_edit(rec),
                    extra)

        def done(result: _Shown) -> None:
            self._loading = None
            rec, actions, events, audit, docs, can_edit, extra = result
            self.win.detail.show_record(rec, actions, events, can_print=printing,
                                        documents=docs, audit=audit, can_edit=can_edit,
                                        extra=extra)
            self.record_shown.emit(record_id)

        self._loading = record_id
        QueryOp(self.win, self.runner, load).latest(self._details).success(done).run()

    def _changed(self, changes: Changes | None, _origin: object) -> None:
        """Re-read the shown record if a write touched it (unless a read already under way
        started after that write: the DB lane runs in order)."""
        rec = self.win.detail.record
        if rec is None or rec.id == self._loading:
            return
        if changes is None or rec.id in changes.records:
            self.show_record(rec.id)

    # --- forms ---------------------------------------------------------------------------
    def _open_form(self, form: RecordForm) -> RecordForm:
        self.form = form
        form.saved.connect(self._form_saved)
        form.closed.connect(self.close_form)
        form.message.connect(lambda m: self.win.say(m, 8000))
        self.win.right.addWidget(form)
        self.win.right.setCurrentWidget(form)
        self.win.records.filters.hide()  # the form needs the width; the list keeps its filters
        self.win.panes.form_wide()
        first = next(iter(form.editors.values()), None)
        if first is not None:
            first.focus()
        return form

    def form_busy(self) -> bool:
        """A form is open: say so and go back to it."""
        if self.form is None:
            return False
        self.win.say("请先保存或取消当前表单", 5000)
        self.form.setFocus()
        return True

    def new_record(self, kind_key: str | None = None,
                   values: Mapping[str, Any] | None = None,
                   handover_from: str | None = None) -> RecordForm | None:
        if self.form_busy():
            return None
        key = kind_key if isinstance(kind_key, str) else new_kind_for(self.win.records.area)
        return self._open_form(RecordForm(self.desk, self.runner, key, values=values,
                                          handover_from=handover_from))

    def edit_record(self) -> RecordForm | None:
        rec = self.win.detail.record
        if rec is None or self.form_busy():
            return None
        return self._open_form(RecordForm(self.desk, self.runner, rec.kind, record=rec))

    def restore_draft(self, draft: Draft) -> None:
        """Open the form of a draft (an edit's record is read on the DB lane first)."""
        draft_id, kind, record_id, payload, _when = draft
        if self.form_busy():
            return

        def opened(record: RecordView | None) -> None:
            if self.form_busy():
                return
            if record is not None and payload.get("version"):
                record = dataclasses.replace(record, version=int(payload["version"]))
            self.win.goto_area(kind)
            self._open_form(RecordForm(self.desk, self.runner, kind, record=record,
                                       values=payload.get("raw") or {}, draft_id=draft_id,
                                       handover_from=payload.get("handover_from")))

        if not record_id:
            opened(None)
            return
        desk = self.desk
        QueryOp(self.win, self.runner, lambda: desk.get(record_id)).success(opened) \
            .error_title("草稿无法恢复").run()

    def _form_saved(self, view: RecordView, _changes: Changes) -> None:
        """The list, counts, detail and sync follow from the change bus; here: close the
        form, show the saved record (in its area, not filtered out by a search)."""
        self.close_form()
        self.win.say(f"已保存：{view.kind_title} {view.receipt_no}", 8000)
        self.win.records.clear_search_quietly()
        self.win.records.select_after = view.id
        self.show_record(view.id)
        self.win.nav.goto(view.kind)  # the bus re-runs the search (in the new area if it moved)

    def close_form(self) -> None:
        form = self.form
        self.form = None
        if form is not None:
            form.stop()
            self.win.right.removeWidget(form)
            form.deleteLater()
        self.win.right.setCurrentWidget(self.win.detail)
        self.win.records.filters.show()
        self.win.panes.list_wide()

    def keep_form_as_draft(self) -> str | None:
        """Leaving (lock, close): the open form's values are kept as the clerk's draft, now,
        on this thread (the window is about to go away or change hands). Returns the form's
        kind title when something typed was kept, so the clerk can be told."""
        if self.form is None:
            return None
        typed = self.form.dirty
        try:
            self.form.autosave(wait=True)
        except Exception:
            log.exception("draft not saved")
            typed = False
        self.form.stop()
        return self.form.kind.title if typed else None

    def save_form(self) -> None:
        if self.form is not None:
            self.form.save()

    def cancel_form(self) -> bool:
        """Esc: cancel the open form (True), else nothing to cancel here (False)."""
        if self.form is None:
            return False
        self.form.cancel()
        return True

    # --- record actions ------------------------------------------------------------------
    def open_action(self, action_key: str) -> ActionDialog | None:
        rec = self.win.detail.record
        if rec is None:
            return None
        wf = KINDS[rec.kind].workflow
        if wf is None:
            return None
        dlg = ActionDialog(self.desk, self.runner, rec, wf.action(action_key), self.win)
        self.action_dialog = dlg
        dlg.accepted.connect(lambda: self._action_done(dlg))
        dlg.finished.connect(lambda _r: dlg.deleteLater())
        dlg.open()
        return dlg

    def _action_done(self, dlg: ActionDialog) -> None:
        if self.action_dialog is dlg:
            self.action_dialog = None
        view = dlg.result_view
        if view is None:
            return
        self.win.say(f"已办理：{dlg.action.label} {view.receipt_no}", 8000)
        self.win.records.select_after = view.id

    def handover(self, target_kind: str) -> None:
        """转办: the target kind's form, filled from the consultation (read on the DB lane)."""
        rec = self.win.detail.record
        if rec is None or self.form_busy():
            return
        desk = self.desk

        def opened(values: dict[str, Any]) -> None:
            self.win.goto_area(target_kind)
            self.new_record(target_kind, values=values, handover_from=rec.id)

        QueryOp(self.win, self.runner, lambda: desk.handover(rec.id, target_kind)) \
            .success(opened).error_title("无法转办").run()

    def rate_record(self) -> RecordForm | None:
        rec = self.win.detail.record
        if rec is None or self.form_busy():
            return None
        values = self.desk.defaults("rating")  # declared defaults and the clerk: no DB read
        values.update({"service_no": rec.receipt_no, "service_item": rec.kind_title})
        self.win.goto_area("rating")
        return self.new_record("rating", values=values)

    def void_record(self) -> None:
        rec = self.win.detail.record
        if rec is None:
            return
        reason, ok = QInputDialog.getText(self.win, "作废",
                                          f"作废 {rec.receipt_no}\n请填写作废原因：")
        if not ok:
            return
        desk = self.desk
        DeskOp(self.win, self.runner, lambda: desk.void(rec.id, reason)).run()

    # --- printing ------------------------------------------------------------------------
    def print_record(self, document: str | None = None, *, preview: bool = False) -> None:
        """Render the receipt (or a document) to PDF on the I/O lane, then preview it; with
        the window's direct printing on (打印设置), Ctrl+P prints it on the default printer
        and only `preview` (Ctrl+Shift+P) shows it first."""
        rec = self.win.detail.record
        render = self.printing
        if rec is None or render is None:
            return
        out = Path(tempfile.mkdtemp(prefix="xingan-print-")) / f"{rec.receipt_no}.pdf"
        doc = document if isinstance(document, str) else None
        desk = self.desk

        def work() -> tuple[Path, bool]:
            layout = "a4"
            if doc is None:  # receipts follow the window's paper (A4 or an 80 mm roll)
                layout = str(desk.setting("receipt_layout") or "a4")
            direct = not preview and bool(desk.setting(PRINT_DIRECT_SETTING) or False)
            path = render(desk, rec.receipt_no, out, document=doc, layout=layout, log=False)
            return Path(str(path or out)), direct

        def done(result: tuple[Path, bool]) -> None:
            path, direct = result
            if direct:
                self._print_direct(path, rec, doc)
            else:
                self._preview(path, rec, doc)

        QueryOp(self.win, self.runner, work).on_io().with_progress("正在生成打印文件…") \
            .success(done).run()

    def _output_logger(self, rec: RecordView, document: str | None) -> Callable[[], None]:
        desk = self.desk

        def output() -> None:  # printed or saved: now it is a print (补打 from the second)
            from xingan_desk.printing import log_output

            DeskOp(self.win, self.runner,
                   lambda: log_output(desk, rec.receipt_no, document=document)) \
                .changes(lambda _n: Changes(frozenset({rec.id}))).run()

        return output

    def _preview(self, path: Path, rec: RecordView, document: str | None) -> None:
        from .print_preview import PrintPreview

        self.preview = PrintPreview(path, self.win, on_output=self._output_logger(rec, document))
        self.preview.open()

    def _print_direct(self, path: Path, rec: RecordView, document: str | None) -> None:
        from .print_preview import PrintPreview

        printer = self.direct_printer()
        if printer is None:
            self.win.say("本机没有默认打印机，已打开打印预览", 8000)
            self._preview(path, rec, document)
            return
        job = PrintPreview(path, self.win, on_output=self._output_logger(rec, document))
        ok = job.print_without_dialog(printer)
        job.deleteLater()
        if ok:
            self.win.say(f"已发送到打印机：{rec.receipt_no}（预览请按 Ctrl+Shift+P）", 8000)
