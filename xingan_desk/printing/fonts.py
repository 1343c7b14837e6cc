"""The fonts of printed documents: ReportLab registration, glyph coverage and fallback markup.

Three TrueType-outline fonts ship in ``resources/fonts`` (see the README there) and are embedded
as subsets in every PDF:

* ``han``          WenQuanYi Zen Hei: GBK hanzi + CJK Extension A (all of GB 18030-2005's Han),
                   Latin, punctuation. The base font of every Chinese paragraph.
* ``han_fallback`` XinganFallbackHan (subset of Noto Sans CJK SC converted to TrueType): what Zen
                   Hei cannot draw, e.g. Extension B-G (𠮷), capital pinyin letters (Ǖ Ǘ Ǚ Ǜ).
* ``mongolian``    Noto Sans Mongolian, for the traditional-script header line (shape it with
                   ``ParagraphStyle(shaping=1)``).

A font that lacks a glyph prints a blank or a box without any warning, so the printing code
checks text first (`ensure_printable`) and builds paragraph markup with `markup`, which switches
font per character run.

Importing this module is cheap: ReportLab is imported and the fonts (12 MB) are parsed only by
the first call that needs them (`register_fonts`, directly or through the coverage functions).
"""

from __future__ import annotations

import threading
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from xingan_desk.paths import resource_path

if TYPE_CHECKING:
    from reportlab.pdfbase.ttfonts import TTFont

__all__ = [
    "FONT_FILES",
    "FontSet",
    "MissingGlyphError",
    "ensure_printable",
    "font_for_char",
    "markup",
    "register_fonts",
    "split_runs",
    "uncovered_chars",
]

# role -> (ReportLab font name, file in resources/fonts)
FONT_FILES: dict[str, tuple[str, str]] = {
    "han": ("WQYZenHei", "WenQuanYiZenHei-Regular.ttf"),
    "han_fallback": ("XinganFallbackHan", "XinganFallbackHan-Regular.ttf"),
    "mongolian": ("NotoSansMongolian", "NotoSansMongolian-Regular.ttf"),
}

# Code points that are meant to draw nothing (whitespace, format/control characters, Unicode's
# Default_Ignorable_Code_Point ranges such as variation selectors and Mongolian free variation
# selectors): an empty glyph is fine for them, and text need not be refused because of them.
_DEFAULT_IGNORABLE: tuple[tuple[int, int], ...] = (
    (0x00AD, 0x00AD),
    (0x034F, 0x034F),
    (0x061C, 0x061C),
    (0x115F, 0x1160),
    (0x17B4, 0x17B5),
    (0x180B, 0x180F),
    (0x200B, 0x200F),
    (0x202A, 0x202E),
    (0x2060, 0x206F),
    (0x3164, 0x3164),
    (0xFE00, 0xFE0F),
    (0xFEFF, 0xFEFF),
    (0xFFA0, 0xFFA0),
    (0xFFF0, 0xFFF8),
    (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A),
    (0xE0000, 0xE0FFF),
)
_MONGOLIAN_SCRIPT: tuple[tuple[int, int], ...] = ((0x1800, 0x18AF), (0x11660, 0x1167F))


@dataclass(frozen=True, slots=True)
class FontSet:
    """ReportLab font names of the registered fonts (also readable as ``fonts["han"]``)."""

    han: str
    han_fallback: str
    mongolian: str

    def __getitem__(self, role: str) -> str:
        if role not in FONT_FILES:
            raise KeyError(role)
        name: str = getattr(self, role)
        return name


class MissingGlyphError(ValueError):
    """Text contains characters that none of the shipped fonts can draw."""

    def __init__(self, chars: Sequence[str]) -> None:
        self.chars: tuple[str, ...] = tuple(chars)
        listed = "、".join(f"“{ch}”（U+{ord(ch):04X}）" for ch in self.chars)
        super().__init__(f"以下字符无法打印：{listed}。请改用同音字并在备注中说明，或手写补充。")


@dataclass(frozen=True, slots=True)
class _Registry:
    fonts: FontSet
    ttfonts: tuple[TTFont, ...]
    # code points each font really draws (cmap entry with outlines, or meant to be blank)
    coverage: dict[str, frozenset[int]]


_lock = threading.Lock()
_registry: _Registry | None = None


def _is_blank_ok(cp: int) -> bool:
    """True for characters that legitimately draw nothing (see `_DEFAULT_IGNORABLE`)."""
    ch = chr(cp)
    if ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf", "Zs", "Zl", "Zp"):
        return True
    return any(first <= cp <= last for first, last in _DEFAULT_IGNORABLE)


def _is_mongolian(cp: int) -> bool:
    return any(first <= cp <= last for first, last in _MONGOLIAN_SCRIPT)


def _is_neutral(ch: str) -> bool:
    """Characters that should stay in the current run (spaces, joiners, combining marks, ASCII
    punctuation). A "(" switched to the Han font inside a Mongolian name broke HarfBuzz shaping
    of the next word: ReportLab drew it as .notdef boxes (the League office's header)."""
    return (_is_blank_ok(ord(ch)) or unicodedata.category(ch) in ("Mn", "Me")
            or (ch.isascii() and unicodedata.category(ch)[0] == "P"))


def _face_coverage(font: TTFont) -> frozenset[int]:
    """Code points the font draws, from ReportLab's parsed cmap and loca (no second parse).

    A cmap entry is not enough: Zen Hei maps 100+ code points (e.g. U+2F803) to empty glyphs,
    which would print as silent blanks. A glyph is empty when its loca range has zero length.
    """
    face = font.face
    offsets: list[int] = face.glyphPos
    return frozenset(
        cp
        for cp, gid in face.charToGlyph.items()
        if (gid + 1 < len(offsets) and offsets[gid + 1] > offsets[gid]) or _is_blank_ok(cp)
    )


def _patch_non_bmp_to_unicode() -> None:
    """Make ReportLab write correct ToUnicode entries for characters beyond the BMP.

    ReportLab 5.1 embeds a TrueType font as 256-glyph simple-font subsets, each with a ToUnicode
    CMap written by ``ttfonts.makeToUnicodeCMap`` as ``"<%02X> <%04X>" % (code, unicode)``. For
    U+20BB7 (𠮷) that gives ``<20BB7>``, an odd-length string that is not UTF-16BE: pypdf drops
    the character and pdftotext prints garbage, so the PDF is not searchable or copyable. The
    destination must be the UTF-16BE surrogate pair ``<D842DFB7>``. We wrap the function (it is
    looked up as a module global by ``TTFont.addObjects``) and rewrite exactly the wrong lines;
    if a future ReportLab writes them correctly the rewrite finds nothing and is a no-op.
    """
    from reportlab.pdfbase import ttfonts

    original: Callable[[str, Sequence[int]], str] = ttfonts.makeToUnicodeCMap
    if getattr(original, "_xingan_non_bmp_fix", False):
        return

    def make_to_unicode_cmap(fontname: str, subset: Sequence[int]) -> str:
        cmap = original(fontname, subset)
        wrong = {
            f"<{code:02X}> <{cp:04X}>": f"<{code:02X}> <{chr(cp).encode('utf-16-be').hex().upper()}>"
            for code, cp in enumerate(subset)
            if cp > 0xFFFF
        }
        if not wrong:
            return cmap
        return "\n".join(wrong.get(line, line) for line in cmap.split("\n"))

    make_to_unicode_cmap._xingan_non_bmp_fix = True  # type: ignore[attr-defined]
    make_to_unicode_cmap.__doc__ = original.__doc__
    ttfonts.makeToUnicodeCMap = make_to_unicode_cmap


def _load() -> _Registry:
    from reportlab.pdfbase.ttfonts import TTFont

    _patch_non_bmp_to_unicode()
    loaded: list[TTFont] = []
    coverage: dict[str, frozenset[int]] = {}
    for role, (name, filename) in FONT_FILES.items():
        path = resource_path("fonts", filename)
        if not path.is_file():
            raise FileNotFoundError(f"字体文件缺失：{path}（请重新安装本程序）")
        # Han needs no shaping; keeping HarfBuzz off for it also keeps its text extractable
        # (shaped glyphs get Private Use Area codes in the PDF).
        font = TTFont(name, str(path), shapable=(role == "mongolian"))
        loaded.append(font)
        coverage[name] = _face_coverage(font)
    fonts = FontSet(*(name for name, _ in FONT_FILES.values()))
    registry = _Registry(fonts=fonts, ttfonts=tuple(loaded), coverage=coverage)
    _install(registry)
    return registry


def _install(registry: _Registry) -> None:
    from reportlab import rl_config
    from reportlab.lib.fonts import addMapping
    from reportlab.pdfbase import pdfmetrics

    # Every canvas starts each page with "/F1 12 Tf" in its initial font, Helvetica by default:
    # a non-embedded Type 1 font in the PDF even if no text uses it. Start with Zen Hei instead
    # (a document template's or canvas's explicit initialFontName still wins).
    rl_config.canvas_basefontname = registry.fonts.han
    for font in registry.ttfonts:
        pdfmetrics.registerFont(font)
        # One face per family: map <b>/<i> to the regular face instead of failing on them.
        for bold in (0, 1):
            for italic in (0, 1):
                addMapping(font.fontName, bold, italic, font.fontName)


def _get() -> _Registry:
    global _registry
    registry = _registry
    if registry is not None:
        return registry
    with _lock:
        if _registry is None:
            _registry = _load()
        return _registry


def register_fonts() -> FontSet:
    """Register the shipped fonts with ReportLab (once; later calls are cheap) and name them.

    Also makes Zen Hei ReportLab's initial canvas font (``rl_config.canvas_basefontname``), so no
    PDF references the non-embedded Helvetica. Safe to call from several threads. If ReportLab's
    registry was reset in between (``reportlab.rl_config._reset()``), the already parsed fonts
    are registered again.
    """
    registry = _get()
    from reportlab import rl_config
    from reportlab.pdfbase import pdfmetrics

    registered = pdfmetrics.getRegisteredFontNames()
    if rl_config.canvas_basefontname != registry.fonts.han or any(
        font.fontName not in registered for font in registry.ttfonts
    ):
        with _lock:
            _patch_non_bmp_to_unicode()
            _install(registry)
    return registry.fonts


def font_for_char(ch: str) -> str:
    """The ReportLab font name to draw one character with.

    Mongolian script goes to the Mongolian font; everything else to Zen Hei when it draws the
    character, else to the fallback, else to any shipped font that has it. A character no font
    has gets the primary font (it would print blank: call `ensure_printable` first).
    """
    registry = _get()
    fonts, coverage = registry.fonts, registry.coverage
    cp = ord(ch)
    if _is_mongolian(cp) and cp in coverage[fonts.mongolian]:
        return fonts.mongolian
    for name in (fonts.han, fonts.han_fallback, fonts.mongolian):
        if cp in coverage[name]:
            return name
    return fonts.han


def uncovered_chars(text: str) -> list[str]:
    """Characters of ``text`` that no shipped font can draw, each once, in order of appearance.

    Whitespace, control and format characters (and other default-ignorable code points such as
    variation selectors) are never reported: `markup` drops or normalises them.
    """
    registry = _get()
    covered = registry.coverage.values()
    seen: set[str] = set()
    result: list[str] = []
    for ch in text:
        if ch in seen:
            continue
        seen.add(ch)
        cp = ord(ch)
        if _is_blank_ok(cp):
            continue
        if not any(cp in cov for cov in covered):
            result.append(ch)
    return result


def ensure_printable(text: str) -> None:
    """Raise `MissingGlyphError` (message in Chinese) if some character cannot be printed."""
    missing = uncovered_chars(text)
    if missing:
        raise MissingGlyphError(missing)


def split_runs(text: str) -> list[tuple[str, str]]:
    """Split ``text`` into ``(font name, substring)`` runs of consecutive characters.

    Spaces, joiners, variation selectors and combining marks stay in the current run when its
    font has them, so a Mongolian phrase with spaces and free variation selectors is one run.
    """
    registry = _get()
    coverage = registry.coverage
    runs: list[tuple[str, str]] = []
    current: str | None = None
    buffer: list[str] = []
    for ch in text:
        if current is not None and _is_neutral(ch) and ord(ch) in coverage[current]:
            buffer.append(ch)
            continue
        font = font_for_char(ch)
        if font != current and buffer:
            assert current is not None
            runs.append((current, "".join(buffer)))
            buffer = []
        current = font
        buffer.append(ch)
    if buffer:
        assert current is not None
        runs.append((current, "".join(buffer)))
    return runs


def _xml_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def markup(text: str, base: str | None = None, *, check: bool = True) -> str:
    """ReportLab Paragraph markup for plain ``text``: XML-escaped, runs that need another font
    than ``base`` (default: the primary Han font, i.e. the paragraph style's ``fontName``)
    wrapped in ``<font name="...">``.

    With ``check`` (the default) unprintable text raises `MissingGlyphError` instead of being
    printed with blanks. Whitespace a run's font lacks becomes a plain space; invisible format
    characters it lacks (zero-width space, variation selectors, ...) are dropped, since they
    would otherwise draw the font's .notdef box.
    """
    fonts = register_fonts()
    if check:
        ensure_printable(text)
    coverage = _get().coverage
    base_font = base or fonts.han
    parts: list[str] = []
    for font, run in split_runs(text):
        cov = coverage[font]
        cleaned = "".join(
            ch if ord(ch) in cov or not _is_blank_ok(ord(ch)) else (" " if ch.isspace() else "")
            for ch in run
        )
        if not cleaned:
            continue
        escaped = _xml_escape(cleaned)
        if font == base_font:
            parts.append(escaped)
        else:
            parts.append(f'<font name="{font}">{escaped}</font>')
    return "".join(parts)
