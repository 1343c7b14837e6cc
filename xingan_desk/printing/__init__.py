"""Printed receipts and documents (ReportLab), with the shipped fonts embedded.

One entry point for the UI and the command line::

    from xingan_desk.printing import render
    path = render(desk, "TJ-152223-02-2026-000003-G", Path("回执.pdf"))             # receipt, A4
    render(desk, no, Path("r.pdf"), layout="roll80")                               # 80 mm roll
    render(desk, no, Path("a.pdf"), document="agreement")                           # a document

`render` looks the record up, checks that every character can be printed (`MissingGlyphError`
lists the ones that cannot, before anything is written or logged), lays the PDF out in memory,
writes it next to ``out`` and moves it into place (never a half-written file), and logs the
print with `Desk.log_print`. A second or later print of the same paper is stamped
"补打（第N次）". Which documents exist and when they apply: `documents.DOCUMENTS`,
`documents_for(record)`. Settings read: ``office_texts`` (header.py), ``notice_days``
(working days given to hand in missing materials, default 5).

Importing this package is cheap: ReportLab and the fonts load on the first print, or earlier
in the background with `warm_up()`.
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from xingan_desk.errors import (
    IllegalTransition,
    NotFound,
    OutputFileError,
    PermissionDenied,
    ValidationFailed,
    file_error_reason,
)

from .fonts import MissingGlyphError, ensure_printable

if TYPE_CHECKING:
    from xingan_desk.views import RecordView

    from ..desk import Desk
    from .documents import DocumentSpec

__all__ = [
    "LAYOUTS",
    "MissingGlyphError",
    "check_printable",
    "documents_for",
    "print_title",
    "prior_prints",
    "render",
    "warm_up",
]

LAYOUTS = ("a4", "roll80")
REVEAL_SUFFIX = "（含完整证件号码和电话）"


def warm_up() -> None:
    """Load ReportLab, parse the fonts, build the styles and start the shaping engine, so that
    the first print does not wait for them (about 0.3 s of CPU). Call it once on a background
    lane after start-up; it is safe to call from any thread and again later."""
    from .header import header_paragraphs, shipped_offices
    from .layout import LAYOUTS as _LAYOUTS
    from .layout import qr_code, styles

    for key in _LAYOUTS:
        styles(key)
    mongolian, chinese = header_paragraphs(shipped_offices()["152200"], 10)
    mongolian.wrap(400, 100)
    chinese.wrap(400, 100)
    qr_code("0", 10)


def documents_for(record: RecordView) -> list[DocumentSpec]:
    """The documents that apply to ``record`` now (see `documents.DOCUMENTS`)."""
    from .documents import documents_for as _documents_for

    return _documents_for(record)


def print_title(record: RecordView, document: str | None) -> str:
    """The paper's Chinese name as logged: the kind's receipt title or the document title."""
    from xingan_desk.records.kinds import KINDS

    if document is None:
        return KINDS[record.kind].receipt_title
    from .documents import DOCUMENTS

    return DOCUMENTS[document].title


def prior_prints(desk: Desk, record_id: str, title: str) -> int:
    """How often this paper (same title) of the record was printed before, from the audit trail.

    `Desk.log_print` counts prints per record, whatever the paper; a clerk who prints the
    application form and then the receipt must not get a receipt stamped 补打.
    """
    _, audit = desk.history(record_id)
    return sum(
        1 for entry in audit
        if entry.action in ("print", "reprint")
        and (entry.detail.startswith(f"{title} ") or entry.detail.startswith(f"{title}（"))
    )


def _texts(desk: Desk, record: RecordView) -> Iterable[str]:
    from .content import all_texts, clerk_name, current_clerk, window_label
    from .header import office_for_record

    office = office_for_record(desk, record)
    yield from (office.chinese, office.mongolian, office.phone_line)
    yield from window_label(desk, record.owner)
    yield clerk_name(desk, record.created_by)
    yield current_clerk(desk)
    yield from all_texts(record)


def check_printable(desk: Desk, record: RecordView) -> None:
    """Raise `MissingGlyphError` naming every character of the record (and of the office texts
    and names printed with it) that no shipped font can draw."""
    ensure_printable("\n".join(_texts(desk, record)))


def _write_error(path: Path, exc: OSError) -> OutputFileError:
    return OutputFileError(
        f"无法保存打印文件“{path}”：{file_error_reason(exc)}。请换一个保存位置后重试。")


def _write_atomically(path: Path, data: bytes, before_replace: Any) -> None:
    """Write ``data`` to a temporary file beside ``path``, call ``before_replace()``, then move
    the file into place (a reader never sees a half-written PDF)."""
    if path.is_dir():
        raise _write_error(path, IsADirectoryError(errno.EISDIR, "is a directory"))
    tmp: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        before_replace()
        os.replace(tmp, path)
        tmp = None
    except OSError as exc:
        raise _write_error(path, exc) from exc
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


def render(
    desk: Desk,
    receipt_no: str,
    out: Path,
    *,
    document: str | None = None,
    layout: str = "a4",
    reveal: bool = False,
    log: bool = True,
) -> Path:
    """Print the receipt (``document=None``) or a document of the record ``receipt_no`` to the
    PDF file ``out`` and log the print. Returns ``out``.

    ``log=False`` makes the same paper for a preview without logging it (a reprint still shows
    补打, as it will print); call `log_output` once the clerk really prints or saves it.

    ``layout`` is "a4" or "roll80" (80 mm roll, receipts only). ``reveal`` prints full ID and
    phone numbers on the application (人民调解申请书); documents that legally identify the parties
    (`DocumentSpec.identifies_parties`: 人民调解协议书, 司法确认申请书, the 卷宗 holding them) always
    do. The print log says so. Raises NotFound (unknown number or document), IllegalTransition
    (voided record, or the document does not apply in the record's status), MissingGlyphError
    (characters no font has; nothing written), OutputFileError (``out`` cannot be written).
    """
    from .documents import DOCUMENTS, render_document
    from .receipts import render_receipt

    if layout not in LAYOUTS:
        raise ValidationFailed({"layout": f"未知的打印版式“{layout}”（可选：{'、'.join(LAYOUTS)}）"})
    record = desk.get_by_receipt(receipt_no)
    if record.voided:
        raise IllegalTransition(f"编号为“{record.receipt_no}”的登记已作废，不能打印")
    if document is not None:
        spec = DOCUMENTS.get(document)
        if spec is None:
            known = "、".join(f"{k}（{s.title}）" for k, s in DOCUMENTS.items())
            raise NotFound(f"没有名为“{document}”的文书（可选：{known}）")
        if not spec.applies_to(record):
            raise IllegalTransition(
                f"{record.receipt_no}（{record.kind_title}，{record.status_label}）"
                f"不能打印{spec.title}")
        if layout != "a4":
            raise ValidationFailed({"layout": f"{spec.title}只能用A4纸打印"})
        # a document that legally identifies the parties prints their full numbers; the log
        # line below says so (the audit trail records who printed it)
        reveal = reveal or spec.identifies_parties
        if reveal and not spec.reveal_allowed:
            raise PermissionDenied(f"{spec.title}只能打印遮蔽后的证件号码和电话")
    elif reveal:
        raise PermissionDenied("回执只能打印遮蔽后的证件号码和电话")

    check_printable(desk, record)
    title = print_title(record, document)
    reprint = prior_prints(desk, record.id, title)
    buffer = io.BytesIO()
    if document is None:
        render_receipt(desk, record, buffer, layout=layout, reprint=reprint)
    else:
        render_document(desk, record, document, buffer, reprint=reprint, reveal=reveal)
    path = Path(out)
    logged = title + (REVEAL_SUFFIX if reveal else "")
    _write_atomically(path, buffer.getvalue(),
                      (lambda: desk.log_print(record.id, logged)) if log else (lambda: None))
    return path


def log_output(desk: Desk, receipt_no: str, *, document: str | None = None,
               reveal: bool = False) -> int:
    """Log a previewed paper as printed (or saved); returns the record's print count."""
    record = desk.get_by_receipt(receipt_no)
    if document is not None:
        from .documents import DOCUMENTS

        spec = DOCUMENTS.get(document)
        reveal = reveal or (spec is not None and spec.identifies_parties)
    return int(desk.log_print(record.id, print_title(record, document)
                              + (REVEAL_SUFFIX if reveal else "")))
