"""Real sample files for the attachment tests: PDFs drawn with ReportLab (any number of
pages, any size), a PNG and a two-page TIFF written byte by byte (no Pillow)."""

from __future__ import annotations

import io
import os
import struct
import zlib


def pdf(pages: int = 2, *, text: str = "scan", pad_to: int = 0) -> bytes:
    """A PDF with `pages` pages; `pad_to` bytes (at least) with an incompressible image."""
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    c.setPageCompression(0)
    for i in range(pages):
        c.drawString(72, 720, f"{text} page {i + 1}")
        c.showPage()
    if pad_to:
        c.drawString(72, 720, "padding")
        side = int((pad_to / 3) ** 0.5) + 1
        raw = os.urandom(side * side * 3)
        c.drawImage(ImageReader(io.BytesIO(png(side, side, raw))), 0, 0, 100, 100)
        c.showPage()
    c.save()
    return buf.getvalue()


def _chunk(tag: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))


def png(width: int = 40, height: int = 30, rgb: bytes | None = None) -> bytes:
    """An RGB PNG (a gradient, or the given pixels)."""
    if rgb is None:
        rgb = bytes((x * 6 + y * 3) % 256 for y in range(height) for x in range(width)
                    for _ in range(3))
    stride = width * 3
    raw = b"".join(b"\x00" + rgb[y * stride:(y + 1) * stride] for y in range(height))
    return (b"\x89PNG\r\n\x1a\n"
            + _chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + _chunk(b"IDAT", zlib.compress(raw, 0 if len(raw) > 1_000_000 else 6))
            + _chunk(b"IEND", b""))


def tiff(pages: int = 2, width: int = 8, height: int = 8) -> bytes:
    """A little-endian greyscale TIFF with `pages` image directories."""
    out = bytearray(b"II*\x00\x00\x00\x00\x00")
    pixels = bytes(range(width * height))
    prev_next_at = 4
    for _ in range(pages):
        data_at = len(out)
        out += pixels
        ifd_at = len(out)
        struct.pack_into("<I", out, prev_next_at, ifd_at)
        entries = [(256, 3, 1, width), (257, 3, 1, height), (258, 3, 1, 8), (259, 3, 1, 1),
                   (262, 3, 1, 1), (273, 4, 1, data_at), (277, 3, 1, 1), (278, 3, 1, height),
                   (279, 4, 1, len(pixels))]
        out += struct.pack("<H", len(entries))
        for tag, typ, count, value in entries:
            out += struct.pack("<HHII", tag, typ, count, value)
        prev_next_at = len(out)
        out += b"\x00\x00\x00\x00"
    return bytes(out)


def jpeg_like() -> bytes:
    """Bytes a JPEG starts with (enough for the type check; not for a viewer)."""
    return b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + os.urandom(64) + b"\xff\xd9"
