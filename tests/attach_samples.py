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


def big_pdf(size: int, pages: int = 1) -> bytes:
    """A valid PDF of about `size` bytes: `pages` pages and one incompressible image
    XObject (random grey pixels) drawn on the first, written object by object."""
    side = max(8, int(size ** 0.5))
    pixels = os.urandom(side * side)
    objs: list[bytes] = []
    kids = " ".join(f"{4 + 2 * i} 0 R" for i in range(pages))
    objs.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objs.append(f"<< /Type /Pages /Kids [{kids}] /Count {pages} >>".encode())
    objs.append(b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray "
                b"/BitsPerComponent 8 /Length %d >>\nstream\n" % (side, side, len(pixels))
                + pixels + b"\nendstream")
    for i in range(pages):
        content = b"q 500 0 0 500 50 150 cm /Im1 Do Q" if i == 0 else b""
        objs.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
                    f"/Resources << /XObject << /Im1 3 0 R >> >> /Contents {5 + 2 * i} 0 R >>"
                    .encode())
        objs.append(b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream")
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for n, body in enumerate(objs, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1,
                                                                              xref)
    return bytes(out)
