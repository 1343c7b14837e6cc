"""Shipped fonts: embedding, text extraction (incl. non-BMP), coverage and fallback markup."""

from __future__ import annotations

import shutil
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest

try:
    import xingan_desk  # noqa: F401
except ModuleNotFoundError:  # not installed: run from the checkout (tests/core has no __init__)
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from xingan_desk.printing import fonts as F

CHINESE = "兴安盟知识产权 乌兰浩特 扎赉特旗 𠮷 䶮 㛃 堃 龑 喆 燊 赟 禤 玥"
MONGOLIAN = "ᠬᠢᠩᠭᠠᠨ ᠠᠶᠢᠮᠠᠭ"


def build_sample_pdf(path: Path) -> Path:
    """One A4 page: the Chinese test line (with fallback runs) and the shaped Mongolian line."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

    fonts = F.register_fonts()
    han = ParagraphStyle("han", fontName=fonts.han, fontSize=14, leading=20, wordWrap="CJK")
    mong = ParagraphStyle("mong", fontName=fonts.mongolian, fontSize=18, leading=26, shaping=1)
    doc = SimpleDocTemplate(
        str(path), pagesize=A4, leftMargin=20 * mm, rightMargin=20 * mm, title="font check"
    )
    doc.build(
        [
            Paragraph(F.markup(MONGOLIAN, base=fonts.mongolian), mong),
            Spacer(1, 4 * mm),
            Paragraph(F.markup(CHINESE), han),
            Spacer(1, 4 * mm),
            Paragraph(F.markup("拼音：LǙ Xiǎo-míng　化学元素：鿏 鿔　兼容汉字：﨎 﨑"), han),
        ]
    )
    return path


@pytest.fixture(scope="module")
def sample_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_sample_pdf(tmp_path_factory.mktemp("fonts") / "font-check.pdf")


def test_register_fonts_is_idempotent() -> None:
    from reportlab.pdfbase import pdfmetrics

    first = F.register_fonts()
    assert F.register_fonts() is first
    assert first["han"] == first.han
    for name in (first.han, first.han_fallback, first.mongolian):
        assert name in pdfmetrics.getRegisteredFontNames()


def test_chinese_text_extracts_exactly(sample_pdf: Path) -> None:
    from pypdf import PdfReader

    text = PdfReader(sample_pdf).pages[0].extract_text()
    assert CHINESE in text
    assert "𠮷" in text


def test_pdftotext_sees_non_bmp_character(sample_pdf: Path) -> None:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (apt package poppler-utils) is not installed")
    out = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(sample_pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "𠮷" in out
    assert "扎赉特旗" in out


def test_every_font_is_embedded(sample_pdf: Path) -> None:
    if shutil.which("pdffonts") is None:
        pytest.skip("pdffonts (apt package poppler-utils) is not installed")
    out = subprocess.run(
        ["pdffonts", str(sample_pdf)], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    header, rule, rows = out[0], out[1], [line for line in out[2:] if line.strip()]
    # Columns are delimited by the dashes of the second line.
    spans, start = [], 0
    for field in rule.split(" "):
        spans.append((start, start + len(field)))
        start += len(field) + 1
    columns = [header[a:b].strip() for a, b in spans]
    emb = columns.index("emb")
    names = [row[spans[0][0] : spans[0][1]].strip() for row in rows]
    assert rows, out
    for row in rows:
        a, b = spans[emb]
        assert row[a:b].strip() == "yes", row
    for family in ("WenQuanYiZenHei", "XinganFallbackHan", "NotoSansMongolian"):
        assert any(family in name for name in names), names


def test_uncovered_chars_and_message() -> None:
    assert F.uncovered_chars(CHINESE) == []
    assert F.uncovered_chars(MONGOLIAN) == []
    assert F.uncovered_chars("张\u200b三\ufe00 \t\n") == []  # invisible characters are not refused
    assert F.uncovered_chars("张😀三\U0010fffd😀") == ["😀", "\U0010fffd"]
    F.ensure_printable(CHINESE + MONGOLIAN)
    with pytest.raises(F.MissingGlyphError) as info:
        F.ensure_printable("申请人：王😀")
    message = str(info.value)
    assert "以下字符无法打印" in message
    assert "U+1F600" in message
    assert "同音字" in message
    assert info.value.chars == ("😀",)
    with pytest.raises(F.MissingGlyphError):
        F.markup("王😀")


def test_empty_glyphs_do_not_count_as_covered() -> None:
    """Zen Hei maps U+2F803 to an empty glyph: it must be reported, not printed blank."""
    fonts = F.register_fonts()
    from reportlab.pdfbase import pdfmetrics

    face = pdfmetrics.getFont(fonts.han).face
    assert 0x2F803 in face.charToGlyph
    assert F.uncovered_chars("\U0002f803") == ["\U0002f803"]


def test_runs_and_markup() -> None:
    fonts = F.register_fonts()
    assert F.font_for_char("吉") == fonts.han
    assert F.font_for_char("𠮷") == fonts.han_fallback
    assert F.font_for_char("Ǚ") == fonts.han_fallback
    assert F.font_for_char("ᠬ") == fonts.mongolian
    assert F.split_runs("吉𠮷吉") == [
        (fonts.han, "吉"),
        (fonts.han_fallback, "𠮷"),
        (fonts.han, "吉"),
    ]
    assert F.split_runs("乌 " + MONGOLIAN) == [(fonts.han, "乌 "), (fonts.mongolian, MONGOLIAN)]
    assert "".join(run for _, run in F.split_runs(CHINESE)) == CHINESE
    assert F.markup("a<b>&𠮷") == f'a&lt;b&gt;&amp;<font name="{fonts.han_fallback}">𠮷</font>'
    assert F.markup("张\u200b三") == "张三"
    assert F.markup("王" + MONGOLIAN, base=fonts.mongolian) == (
        f'<font name="{fonts.han}">王</font>{MONGOLIAN}'
    )
    # ASCII brackets inside a Mongolian name stay in the Mongolian run: a switch to the Han
    # font there made ReportLab draw the next word as boxes (the League office's header)
    bracketed = f"{MONGOLIAN} ({MONGOLIAN})"
    assert F.split_runs(bracketed) == [(fonts.mongolian, bracketed)]
    assert F.split_runs("（乌(") == [(fonts.han, "（乌(")]


def _gb2312_hanzi() -> list[str]:
    chars = []
    for hi in range(0xB0, 0xF8):
        for lo in range(0xA1, 0xFF):
            try:
                chars.append(bytes((hi, lo)).decode("gb2312"))
            except UnicodeDecodeError:
                continue
    return chars


def test_gb2312_and_extension_a_are_covered() -> None:
    fonts = F.register_fonts()
    gb2312 = _gb2312_hanzi()
    assert len(gb2312) == 6763
    ext_a = [chr(cp) for cp in range(0x3400, 0x4DB6)]
    assert F.uncovered_chars("".join(gb2312 + ext_a)) == []
    for ch in gb2312 + ext_a:
        assert F.font_for_char(ch) in (fonts.han, fonts.han_fallback), f"U+{ord(ch):04X}"


def _gbk_ideographs() -> list[str]:
    found = []
    for b1 in range(0x81, 0xFF):
        for b2 in range(0x40, 0xFF):
            try:
                ch = bytes([b1, b2]).decode("gbk")
            except UnicodeDecodeError:
                continue
            if "CJK" in unicodedata.name(ch, "") and "IDEOGRAPH" in unicodedata.name(ch, ""):
                found.append(ch)
    return found


def test_every_gbk_ideograph_is_covered() -> None:
    """GBK's ideographs (20,902 unified U+4E00–U+9FA5 plus the compatibility and additional
    ones Python's codec maps outside the private use area) all print from a shipped font."""
    gbk = _gbk_ideographs()
    assert len(gbk) > 20_900
    assert F.uncovered_chars("".join(gbk)) == []
