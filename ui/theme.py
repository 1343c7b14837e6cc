"""Application look: Qt's own Chinese translations, the shipped fonts, the style sheet."""

from __future__ import annotations

import logging

from PySide6.QtCore import QLibraryInfo, QLocale, QTranslator
from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import QApplication

from xingan_desk.paths import resource_path

log = logging.getLogger(__name__)

MAIN_FONT_FILE = "WenQuanYiZenHei-Regular.ttf"
FALLBACK_FONT_FILES = ("XinganFallbackHan-Regular.ttf", "NotoSansMongolian-Regular.ttf")
FONT_SIZE_PT = 10.5
ACCENT = "#1d5fa6"
ERROR = "#b3261e"

_families: list[str] = []


def register_fonts() -> list[str]:
    """Register the shipped fonts once (the same files the printed documents embed)."""
    if _families:
        return _families
    for name in (MAIN_FONT_FILE, *FALLBACK_FONT_FILES):
        path = resource_path("fonts", name)
        fid = QFontDatabase.addApplicationFont(str(path))
        if fid < 0:
            log.warning("font not loaded: %s", path)
            continue
        fams = QFontDatabase.applicationFontFamilies(fid)
        if fams:
            _families.append(fams[0])
    return _families


def app_font(size: float = FONT_SIZE_PT) -> QFont:
    fams = register_fonts()
    font = QFont()
    if fams:
        font.setFamilies(fams)  # main font first, then rare-character and Mongolian fallbacks
    font.setPointSizeF(size)
    return font


def install_translations(app: QApplication) -> bool:
    QLocale.setDefault(QLocale(QLocale.Language.Chinese, QLocale.Country.China))
    path = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    ok = False
    for name in ("qtbase_zh_CN", "qt_zh_CN"):
        tr = QTranslator(app)
        if tr.load(name, path):
            app.installTranslator(tr)
            ok = True
    if not ok:
        log.warning("Qt Chinese translations not found in %s", path)
    return ok


def style_sheet() -> str:
    path = resource_path("styles", "app.qss")
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        log.warning("style sheet missing: %s", path)
        return ""


def apply_theme(app: QApplication) -> None:
    """Everything the look needs; safe to call more than once (tests)."""
    if not app.property("xingan_themed"):
        install_translations(app)
        app.setProperty("xingan_themed", True)
    app.setFont(app_font())
    app.setStyle("Fusion")
    app.setStyleSheet(style_sheet())
