"""Build the fonts shipped in resources/fonts from the Debian packages (one-off, reproducible).

Usage (Debian 12, as root or with the packages already installed):

    apt-get install -y --no-install-recommends fonts-wqy-zenhei fonts-noto-cjk fonts-noto-core
    .venv/bin/pip install "fonttools>=4.50"          # the `dev` extra of pyproject.toml
    .venv/bin/python tools/build_fonts.py            # writes resources/fonts/*
    .venv/bin/python tools/build_fonts.py --out /tmp/fonts   # somewhere else, e.g. to diff

What it produces (see resources/fonts/README.md):

* WenQuanYiZenHei-Regular.ttf   face 0 of wqy-zenhei.ttc, tables copied byte for byte
                                 (primary Han font: GBK + CJK Extension A, TrueType outlines);
  LICENSE-wqy-zenhei.txt         the package's copyright file + the full GPL-2 text.
* XinganFallbackHan-Regular.ttf  "Noto Sans CJK SC" (face 2 of NotoSansCJK-Regular.ttc) subset to the
                                 characters it draws and Zen Hei does not (Ext B-G, compatibility
                                 supplement, capital pinyin letters, ...), CFF outlines converted to
                                 TrueType (quadratic, cu2qu) and renamed, because the OFL forbids the
                                 Reserved Font Name ("Source") in Modified Versions and "Noto" is a
                                 Google trademark;
  OFL-XinganFallbackHan.txt      the upstream copyright line + OFL 1.1.
* NotoSansMongolian-Regular.ttf  copied unchanged from fonts-noto-core;
  OFL-NotoSansMongolian.txt      the font's copyright line + OFL 1.1.

The output is deterministic for a given fontTools version and given package versions (no time
stamps are recalculated), so running it again reproduces the shipped files byte for byte.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import shutil
import subprocess
import sys
import time
import unicodedata
from collections.abc import Iterable
from pathlib import Path

from fontTools import subset as ft_subset
from fontTools.pens.cu2quPen import Cu2QuPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTFont, newTable

REPO = Path(__file__).resolve().parent.parent
DEFAULT_OUT = REPO / "resources" / "fonts"

# Debian sources (package -> path). The versions are recorded in resources/fonts/README.md.
ZENHEI_PKG = "fonts-wqy-zenhei"
ZENHEI_TTC = Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")
ZENHEI_FACE = 0  # 0 = "WenQuanYi Zen Hei", 1 = "... Mono", 2 = "... Sharp" (with bitmaps)
NOTO_CJK_PKG = "fonts-noto-cjk"
NOTO_CJK_TTC = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
NOTO_CJK_SC_FAMILY = "Noto Sans CJK SC"  # the .ttc starts with JP: select SC by name, not index
NOTO_CORE_PKG = "fonts-noto-core"
MONGOLIAN_TTF = Path("/usr/share/fonts/truetype/noto/NotoSansMongolian-Regular.ttf")
GPL2_TEXT = Path("/usr/share/common-licenses/GPL-2")
EXPECTED_VERSIONS = {
    ZENHEI_PKG: "0.9.45-8",
    NOTO_CJK_PKG: "1:20220127+repack1-1",
    NOTO_CORE_PKG: "20201225-1",
}

OUT_ZENHEI = "WenQuanYiZenHei-Regular.ttf"
OUT_FALLBACK = "XinganFallbackHan-Regular.ttf"
OUT_MONGOLIAN = "NotoSansMongolian-Regular.ttf"
LICENSE_ZENHEI = "LICENSE-wqy-zenhei.txt"
LICENSE_FALLBACK = "OFL-XinganFallbackHan.txt"
LICENSE_MONGOLIAN = "OFL-NotoSansMongolian.txt"

FALLBACK_FAMILY = "XinganFallbackHan"
FALLBACK_PS_NAME = "XinganFallbackHan-Regular"
# The Noto CJK upstream LICENSE (github.com/notofonts/noto-cjk, Sans/LICENSE) reserves "Source";
# the font's own name ID 0 omits that part, so it is restated here.
NOTO_CJK_COPYRIGHT = (
    "Copyright 2014-2021 Adobe (http://www.adobe.com/), with Reserved Font Name 'Source'."
)
# Han-neighbouring code points the fallback should never take (Hangul is not written at the
# service windows and would only add size).
EXCLUDED_RANGES = ((0x1100, 0x11FF), (0x3130, 0x318F), (0xA960, 0xA97F), (0xAC00, 0xD7FF))
CU2QU_MAX_ERR = 1.0  # font units (UPM 1000): invisible at print sizes


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def package_version(pkg: str) -> str:
    out = subprocess.run(
        ["dpkg-query", "-W", "-f=${Version}", pkg], capture_output=True, text=True, check=False
    )
    return out.stdout.strip() if out.returncode == 0 else "(not installed)"


def check_sources() -> dict[str, str]:
    missing = [
        str(p) for p in (ZENHEI_TTC, NOTO_CJK_TTC, MONGOLIAN_TTF, GPL2_TEXT) if not p.is_file()
    ]
    if missing:
        sys.exit(
            "missing source files: "
            + ", ".join(missing)
            + f"\napt-get install -y --no-install-recommends {ZENHEI_PKG} {NOTO_CJK_PKG} "
            + NOTO_CORE_PKG
        )
    versions = {pkg: package_version(pkg) for pkg in EXPECTED_VERSIONS}
    for pkg, version in versions.items():
        if version != EXPECTED_VERSIONS[pkg]:
            log(
                f"warning: {pkg} is {version}, README documents {EXPECTED_VERSIONS[pkg]}; "
                "update resources/fonts/README.md"
            )
    return versions


# --- coverage helpers ------------------------------------------------------------------------


def drawn_codepoints(font: TTFont) -> set[int]:
    """Code points whose cmap glyph has outlines (an empty glyph prints as a silent blank)."""
    cmap = font.getBestCmap()
    if "glyf" in font:
        glyf = font["glyf"]
        return {cp for cp, name in cmap.items() if glyf[name].numberOfContours != 0}
    glyph_set = font.getGlyphSet()
    from fontTools.pens.boundsPen import ControlBoundsPen

    result: set[int] = set()
    for cp, name in cmap.items():
        pen = ControlBoundsPen(glyph_set)
        glyph_set[name].draw(pen)
        if pen.bounds is not None:
            result.add(cp)
    return result


def is_blank_char(cp: int) -> bool:
    ch = chr(cp)
    return ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf", "Zs", "Zl", "Zp")


def gb2312_hanzi() -> list[str]:
    chars = []
    for hi in range(0xB0, 0xF8):
        for lo in range(0xA1, 0xFF):
            try:
                chars.append(bytes((hi, lo)).decode("gb2312"))
            except UnicodeDecodeError:
                continue
    return chars


def gbk_hanzi() -> list[str]:
    chars = []
    for hi in range(0x81, 0xFF):
        for lo in range(0x40, 0xFF):
            if lo == 0x7F:
                continue
            try:
                ch = bytes((hi, lo)).decode("gbk")
            except UnicodeDecodeError:
                continue
            if unicodedata.name(ch, "").startswith(("CJK UNIFIED", "CJK COMPATIBILITY IDEOGRAPH")):
                chars.append(ch)
    return chars


def count_in(cps: set[int], first: int, last: int) -> int:
    return sum(1 for cp in cps if first <= cp <= last)


# --- the three fonts -------------------------------------------------------------------------


def build_zenhei(dst: Path) -> set[int]:
    """Extract face 0 of the .ttc; unchanged tables are copied as raw bytes (lazy load)."""
    font = TTFont(
        ZENHEI_TTC,
        fontNumber=ZENHEI_FACE,
        lazy=True,
        recalcBBoxes=False,
        recalcTimestamp=False,
    )
    family = font["name"].getDebugName(1)
    if family != "WenQuanYi Zen Hei":
        sys.exit(f"unexpected face {ZENHEI_FACE} in {ZENHEI_TTC}: {family!r}")
    font.save(dst, reorderTables=True)
    font.close()
    with TTFont(dst) as check:
        return drawn_codepoints(check)


def find_face(ttc: Path, family: str) -> int:
    from fontTools.ttLib import TTCollection

    collection = TTCollection(ttc, lazy=True)
    for index, face in enumerate(collection.fonts):
        if face["name"].getDebugName(1) == family:
            return index
    sys.exit(f"{family!r} not found in {ttc}")


def fallback_codepoints(noto_cmap: Iterable[int], primary: set[int]) -> list[int]:
    def excluded(cp: int) -> bool:
        return any(a <= cp <= b for a, b in EXCLUDED_RANGES)

    return sorted(
        cp for cp in noto_cmap if cp not in primary and not excluded(cp) and not is_blank_char(cp)
    )


def cff_to_glyf(font: TTFont) -> None:
    """Replace the CFF table by quadratic TrueType outlines (fontTools' otf2ttf recipe)."""
    glyph_order = font.getGlyphOrder()
    glyph_set = font.getGlyphSet()
    glyf = newTable("glyf")
    glyf.glyphOrder = glyph_order
    glyf.glyphs = {}
    for name in glyph_order:
        pen = TTGlyphPen(glyph_set)
        glyph_set[name].draw(Cu2QuPen(pen, CU2QU_MAX_ERR, reverse_direction=True))
        glyf.glyphs[name] = pen.glyph()
    font["loca"] = newTable("loca")
    font["glyf"] = glyf
    del font["CFF "]
    for tag in ("VORG",):
        if tag in font:
            del font[tag]
    hmtx = font["hmtx"]
    for name in glyph_order:
        glyph = glyf[name]
        glyph.recalcBounds(glyf)
        advance, _ = hmtx[name]
        hmtx[name] = (advance, glyph.xMin if glyph.numberOfContours != 0 else 0)
    maxp = font["maxp"]
    maxp.tableVersion = 0x00010000
    maxp.maxZones = 1
    maxp.maxTwilightPoints = 0
    maxp.maxStorage = 0
    maxp.maxFunctionDefs = 0
    maxp.maxInstructionDefs = 0
    maxp.maxStackElements = 0
    maxp.maxSizeOfInstructions = 0
    maxp.maxComponentElements = 0
    maxp.maxComponentDepth = 0
    maxp.maxPoints = maxp.maxContours = maxp.maxCompositePoints = maxp.maxCompositeContours = 0
    post = font["post"]
    post.formatType = 3.0  # no glyph names: smaller, and ReportLab does not need them
    post.extraNames = []
    post.mapping = {}
    font.sfntVersion = "\x00\x01\x00\x00"


def rename_fallback(font: TTFont, source_version: str) -> None:
    name = font["name"]
    keep = {0, 7, 8, 9, 11, 12, 13, 14}
    old = {rec.nameID: rec.toUnicode() for rec in name.names if rec.nameID in keep}
    name.names = []
    version = f"Version {font['head'].fontRevision:.3f}; {FALLBACK_FAMILY}"
    new = {
        1: FALLBACK_FAMILY,
        2: "Regular",
        3: f"{version};{FALLBACK_PS_NAME}",
        4: f"{FALLBACK_FAMILY} Regular",
        5: version,
        6: FALLBACK_PS_NAME,
        10: (
            f"Modified Version of {NOTO_CJK_SC_FAMILY} Regular ({source_version}) made by "
            "xingan-desk tools/build_fonts.py: subset to the characters WenQuanYi Zen Hei lacks, "
            "CFF outlines converted to TrueType. Renamed as required by the SIL OFL 1.1."
        ),
    }
    for name_id, text in sorted({**old, **new}.items()):
        name.setName(text, name_id, 3, 1, 0x409)


def build_fallback(dst: Path, primary: set[int]) -> tuple[set[int], str]:
    face = find_face(NOTO_CJK_TTC, NOTO_CJK_SC_FAMILY)
    font = TTFont(NOTO_CJK_TTC, fontNumber=face, recalcTimestamp=False)
    source_version = font["name"].getDebugName(5) or "?"
    wanted = fallback_codepoints(font.getBestCmap(), primary)
    log(f"  {NOTO_CJK_SC_FAMILY} (face {face}): {len(wanted)} code points for the fallback")

    options = ft_subset.Options()
    options.layout_features = []  # no GSUB closure: no JP/KR/TC variants pulled in
    options.drop_tables += ["GSUB", "GPOS", "GDEF", "BASE", "VORG", "vhea", "vmtx", "DSIG"]
    options.hinting = False
    options.desubroutinize = True
    options.notdef_outline = True
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.recalc_timestamp = False
    subsetter = ft_subset.Subsetter(options)
    subsetter.populate(unicodes=wanted)
    subsetter.subset(font)

    cff_to_glyf(font)
    rename_fallback(font, source_version)
    font.recalcTimestamp = False
    font.save(dst, reorderTables=True)
    font.close()
    with TTFont(dst) as check:
        return drawn_codepoints(check), source_version


# --- licence texts ---------------------------------------------------------------------------


def debian_license_stanza(copyright_file: Path, license_name: str) -> str:
    """The text of the stand-alone `License: NAME` paragraph of a Debian copyright file."""
    paragraphs = re.split(r"\n\s*\n", copyright_file.read_text(encoding="utf-8"))
    for paragraph in paragraphs:
        first, _, rest = paragraph.strip("\n").partition("\n")
        if first.strip() != f"License: {license_name}" or not rest:
            continue
        body = []
        for line in rest.splitlines():
            if line and not line.startswith(" "):
                break  # the next field of the paragraph (e.g. License-Reference)
            text = line[1:]
            body.append("" if text == "." else text)
        return "\n".join(body).rstrip() + "\n"
    sys.exit(f"no 'License: {license_name}' paragraph in {copyright_file}")


def write_licenses(out: Path) -> None:
    zen_copyright = Path("/usr/share/doc") / ZENHEI_PKG / "copyright"
    (out / LICENSE_ZENHEI).write_text(
        "WenQuanYi Zen Hei (WenQuanYiZenHei-Regular.ttf, extracted unchanged from wqy-zenhei.ttc)\n"
        f"Copied from {zen_copyright} and {GPL2_TEXT} ({ZENHEI_PKG}, Debian 12).\n\n"
        + zen_copyright.read_text(encoding="utf-8")
        + "\n\n"
        + "=" * 76
        + "\n\n"
        + GPL2_TEXT.read_text(encoding="utf-8"),
        encoding="utf-8",
    )

    ofl_cjk = debian_license_stanza(Path("/usr/share/doc") / NOTO_CJK_PKG / "copyright", "SIL-1.1")
    (out / LICENSE_FALLBACK).write_text(
        f"{OUT_FALLBACK} is a Modified Version of {NOTO_CJK_SC_FAMILY} Regular\n"
        f"(subset and converted to TrueType outlines; renamed to {FALLBACK_FAMILY}).\n\n"
        f"{NOTO_CJK_COPYRIGHT}\n"
        "Noto is a trademark of Google Inc.\n\n"
        "This Font Software is licensed under the SIL Open Font License, Version 1.1.\n"
        "This license is copied below, and is also available with a FAQ at:\n"
        "https://openfontlicense.org\n\n" + ofl_cjk,
        encoding="utf-8",
    )

    with TTFont(MONGOLIAN_TTF, lazy=True) as mong:
        mong_copyright = mong["name"].getDebugName(0)
    ofl_core = debian_license_stanza(
        Path("/usr/share/doc") / NOTO_CORE_PKG / "copyright", "OFL-1.1"
    )
    (out / LICENSE_MONGOLIAN).write_text(
        f"{OUT_MONGOLIAN} (Noto Sans Mongolian, unchanged)\n\n"
        f"{mong_copyright}\n\n"
        "This Font Software is licensed under the SIL Open Font License, Version 1.1.\n"
        "This license is copied below, and is also available with a FAQ at:\n"
        "https://openfontlicense.org\n\n"
        "SIL OPEN FONT LICENSE Version 1.1 - 26 February 2007\n\n" + ofl_core,
        encoding="utf-8",
    )


# --- main ------------------------------------------------------------------------------------


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output directory")
    args = parser.parse_args(argv)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)

    versions = check_sources()
    started = time.perf_counter()

    log(f"[1/4] {OUT_ZENHEI}")
    primary = build_zenhei(out / OUT_ZENHEI)
    log(f"[2/4] {OUT_FALLBACK} (CFF -> TrueType, takes a while)")
    fallback, noto_version = build_fallback(out / OUT_FALLBACK, primary)
    log(f"[3/4] {OUT_MONGOLIAN}")
    shutil.copyfile(MONGOLIAN_TTF, out / OUT_MONGOLIAN)
    log("[4/4] licence texts")
    write_licenses(out)

    either = primary | fallback
    gb2312 = [ord(c) for c in gb2312_hanzi()]
    gbk = [ord(c) for c in gbk_hanzi()]
    ext_a = range(0x3400, 0x4DB6)
    print(f"built in {time.perf_counter() - started:.1f} s into {out}")
    print("packages: " + ", ".join(f"{k} {v}" for k, v in versions.items()))
    print(f"Noto Sans CJK SC source version: {noto_version}")
    for name in (
        OUT_ZENHEI,
        OUT_FALLBACK,
        OUT_MONGOLIAN,
        LICENSE_ZENHEI,
        LICENSE_FALLBACK,
        LICENSE_MONGOLIAN,
    ):
        path = out / name
        print(f"  {name:32} {path.stat().st_size:>10,} B  sha256 {sha256(path)}")
    print("coverage (code points with outlines):")
    print(f"  GB2312 hanzi  {sum(cp in either for cp in gb2312):>6} / {len(gb2312)}")
    print(
        f"  GBK hanzi     {sum(cp in either for cp in gbk):>6} / {len(gbk)}"
        f" (primary alone {sum(cp in primary for cp in gbk)})"
    )
    print(f"  Ext A to 4DB5 {sum(cp in primary for cp in ext_a):>6} / {len(ext_a)} (primary alone)")
    print(f"  Ext A 4DB6-4DBF {sum(cp in either for cp in range(0x4DB6, 0x4DC0))} / 10")
    for label, first, last in (
        ("Ext B", 0x20000, 0x2A6DF),
        ("Ext C", 0x2A700, 0x2B73F),
        ("Ext D", 0x2B740, 0x2B81F),
        ("Ext E", 0x2B820, 0x2CEAF),
        ("Ext F", 0x2CEB0, 0x2EBEF),
        ("Ext G", 0x30000, 0x3134F),
        ("Compat. Suppl.", 0x2F800, 0x2FA1F),
    ):
        print(
            f"  {label:14} fallback {count_in(fallback, first, last):>5}"
            f"  primary {count_in(primary, first, last):>4}"
        )
    print(
        f"  fallback total {len(fallback)} code points, "
        f"{sum(1 for cp in fallback if cp <= 0xFFFF)} of them in the BMP"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
