"""What a file is (PDF, JPEG, PNG, TIFF, by its first bytes, not its name) and how many pages
it has: PDF by pypdf (a counting fallback when it cannot parse the file), TIFF by walking its
image directories, JPEG and PNG one page. No Qt, no Pillow."""

from __future__ import annotations

import io
import re
import struct
from dataclasses import dataclass

from ..errors import ValidationFailed

MIME_LABELS = {"application/pdf": "PDF", "image/jpeg": "JPEG", "image/png": "PNG",
               "image/tiff": "TIFF"}
ACCEPTED_TEXT = "PDF、JPEG、PNG 或 TIFF"


@dataclass(frozen=True, slots=True)
class FileInfo:
    mime: str
    pages: int


def sniff(data: bytes) -> str | None:
    """The MIME type from the content, or None when it is none of the accepted kinds."""
    if data.startswith(b"%PDF-") or data[:1024].find(b"%PDF-") >= 0:
        return "application/pdf"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data[:4] in (b"II*\x00", b"MM\x00*"):
        return "image/tiff"
    return None


def inspect(data: bytes, name: str) -> FileInfo:
    """Type and page count of a file to attach; ValidationFailed (Chinese, on "file") when it
    is empty, of another type, or a damaged PDF/TIFF."""
    if not data:
        raise ValidationFailed({"file": f"文件“{name}”是空的"})
    mime = sniff(data)
    if mime is None:
        raise ValidationFailed({"file": f"文件“{name}”不是 {ACCEPTED_TEXT} 文件，不能作为附件"})
    if mime == "application/pdf":
        pages = pdf_pages(data)
    elif mime == "image/tiff":
        pages = tiff_pages(data)
    else:
        pages = 1
    if pages < 1:
        raise ValidationFailed({"file": f"文件“{name}”已损坏或没有页面，无法读取"})
    return FileInfo(mime, pages)


_PAGE = re.compile(rb"/Type\s*/Page(?![a-zA-Z])")


def pdf_pages(data: bytes) -> int:
    try:
        from pypdf import PdfReader
        from pypdf.errors import PyPdfError

        try:
            return len(PdfReader(io.BytesIO(data), strict=False).pages)
        except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, OSError,
                RecursionError):
            pass
    except ImportError:  # pragma: no cover - pypdf is a dependency
        pass
    return len(_PAGE.findall(data))


def tiff_pages(data: bytes) -> int:
    """The number of image directories (pages) of a TIFF; 0 when its structure is broken."""
    order = "<" if data[:2] == b"II" else ">"
    try:
        (offset,) = struct.unpack_from(order + "I", data, 4)
        seen: set[int] = set()
        while offset and offset not in seen and len(seen) < 10_000:
            seen.add(offset)
            (count,) = struct.unpack_from(order + "H", data, offset)
            (offset,) = struct.unpack_from(order + "I", data, offset + 2 + 12 * count)
        return len(seen)
    except struct.error:
        return 0


__all__ = ["ACCEPTED_TEXT", "MIME_LABELS", "FileInfo", "inspect", "pdf_pages", "sniff",
           "tiff_pages"]
