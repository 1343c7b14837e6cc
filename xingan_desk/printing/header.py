"""The bilingual header of every printed receipt and document: the issuing office's name in
traditional Mongolian script above its Chinese name, both at the same size (内政办发〔1996〕32号:
horizontal layout, Mongolian above Chinese, equal size; reference/domain.md §2.5).

Texts are data, not code:

* defaults in ``resources/catalogs/offices.toml``, keyed by county code (152200 … 152224) plus
  ``"committee"`` for 兴安盟知识产权纠纷人民调解委员会;
* per installation, the setting ``"office_texts"`` (``Desk.set_setting("office_texts", {...})``)
  overrides single fields without a new release. Its value is a dict keyed like the TOML file,
  each entry a dict with any of ``chinese``, ``mongolian``, ``phone``, ``phone_note``,
  ``mongolian_approved``; fields not given keep the shipped default. Example::

      {"152223": {"phone": "0482-6012345"},
       "committee": {"chinese": "兴安盟知识产权纠纷人民调解委员会", "mongolian": "ᠬᠢᠩᠭᠠᠨ …"}}

Which office issues what (`office_key_for`): mediation records are issued by the committee;
everything else by the office of the window that prints (its identity's county code).

Importing this module is cheap: ReportLab is imported only when header flowables are built.
"""

from __future__ import annotations

import functools
import logging
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from xingan_desk.paths import resource_path

if TYPE_CHECKING:
    from reportlab.platypus import Paragraph

    from xingan_desk.views import RecordView

    from ..desk import Desk

__all__ = [
    "COMMITTEE",
    "SETTING_KEY",
    "FittedHeader",
    "OfficeText",
    "fit_header",
    "header_paragraphs",
    "office_for",
    "office_for_record",
    "office_key_for",
    "shipped_offices",
]

log = logging.getLogger(__name__)

COMMITTEE = "committee"
SETTING_KEY = "office_texts"
_FIELDS = ("chinese", "mongolian", "phone", "phone_note", "mongolian_approved")


@dataclass(frozen=True, slots=True)
class OfficeText:
    """One issuing office: its names in both scripts and the phone printed for enquiries."""

    key: str
    chinese: str
    mongolian: str
    phone: str
    phone_note: str = ""
    mongolian_approved: bool = False

    @property
    def phone_line(self) -> str:
        """The phone as printed, e.g. "0482-6012345" or "12345（政务服务便民热线）"."""
        return f"{self.phone}（{self.phone_note}）" if self.phone_note else self.phone


@functools.cache
def shipped_offices() -> dict[str, OfficeText]:
    """The offices of resources/catalogs/offices.toml (phone defaults filled in)."""
    with resource_path("catalogs", "offices.toml").open("rb") as fh:
        data = tomllib.load(fh)
    defaults = data.get("defaults", {})
    out: dict[str, OfficeText] = {}
    for key, entry in data.get("offices", {}).items():
        phone = str(entry.get("phone") or "")
        out[str(key)] = OfficeText(
            key=str(key),
            chinese=str(entry["chinese"]),
            mongolian=str(entry["mongolian"]),
            phone=phone or str(defaults.get("phone", "")),
            phone_note=str(entry.get("phone_note", "" if phone else defaults.get("phone_note", ""))),
            mongolian_approved=bool(entry.get("mongolian_approved", False)),
        )
    return out


def _override(base: OfficeText, patch: Any) -> OfficeText:
    if not isinstance(patch, Mapping):
        log.warning("setting %s[%s] is not a dict; ignored", SETTING_KEY, base.key)
        return base
    changes: dict[str, Any] = {}
    for name in _FIELDS:
        if name not in patch:
            continue
        value = patch[name]
        if name == "mongolian_approved":
            changes[name] = bool(value)
        elif isinstance(value, str) and (value.strip() or name == "phone_note"):
            changes[name] = value.strip()
        else:
            log.warning("setting %s[%s].%s is not usable text; ignored", SETTING_KEY, base.key, name)
    if "phone" in changes and "phone_note" not in changes:
        changes["phone_note"] = ""  # a local number replaces the hotline and its note
    return replace(base, **changes)


def office_for(desk: Desk, key: str) -> OfficeText:
    """The office ``key`` (county code or "committee"), with this installation's overrides."""
    shipped = shipped_offices()
    base = shipped.get(key) or shipped["152200"]
    if base.key != key:
        base = replace(base, key=key)
    overrides = desk.setting(SETTING_KEY, None) if desk is not None else None
    if isinstance(overrides, Mapping) and key in overrides:
        return _override(base, overrides[key])
    return base


def office_key_for(desk: Desk, record: RecordView) -> str:
    """Who issues papers about ``record``: the committee for mediation, else the window's office."""
    if record.kind == "mediation":
        return COMMITTEE
    return str(desk.identity.county_code)


def office_for_record(desk: Desk, record: RecordView) -> OfficeText:
    return office_for(desk, office_key_for(desk, record))


def header_paragraphs(office: OfficeText, font_size: float) -> tuple[Paragraph, Paragraph]:
    """(Mongolian, Chinese) paragraphs of the office name, centred, the same font size.

    The Mongolian line is shaped with HarfBuzz (``shaping=1``), so letters join as in
    handwriting; it is written horizontally and placed above the Chinese line.
    """
    from reportlab.lib.enums import TA_CENTER
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Paragraph

    from .fonts import markup, register_fonts

    fonts = register_fonts()
    mongolian_style = ParagraphStyle(
        "office-mn", fontName=fonts.mongolian, fontSize=font_size, leading=font_size * 1.6,
        alignment=TA_CENTER, shaping=1,
    )
    chinese_style = ParagraphStyle(
        "office-zh", fontName=fonts.han, fontSize=font_size, leading=font_size * 1.35,
        alignment=TA_CENTER, wordWrap="CJK",
    )
    return (
        Paragraph(markup(office.mongolian, base=fonts.mongolian), mongolian_style),
        Paragraph(markup(office.chinese), chinese_style),
    )


@dataclass(frozen=True, slots=True)
class FittedHeader:
    """The header paragraphs at the size that keeps the Mongolian name on one line.
    `scale` < 1: the Mongolian line is drawn condensed horizontally by that factor (wrap it at
    width / scale); its letters keep the Chinese line's height."""

    mongolian: Paragraph
    chinese: Paragraph
    size: float
    scale: float = 1.0


def _lines(p: Paragraph, width: float) -> int:
    p.wrap(width, 10_000)
    return len(getattr(p.blPara, "lines", ()) or ()) or 1


def fit_header(office: OfficeText, font_size: float, width: float, *, min_size: float,
               min_scale: float = 0.7) -> FittedHeader:
    """Both names at one size (Mongolian above Chinese, equal size), the Mongolian on ONE line
    of ``width``: the largest size from ``font_size`` down to ``min_size`` (quarter points)
    at which it fits; a name too long even at ``min_size`` is condensed horizontally (not
    below ``min_scale``); only a name longer still wraps."""
    size = font_size
    while True:
        mongolian, chinese = header_paragraphs(office, size)
        if _lines(mongolian, width) <= 1:
            return FittedHeader(mongolian, chinese, size)
        if size - 0.25 < min_size - 1e-9:
            break
        size -= 0.25
    scale = 0.98
    while scale >= min_scale - 1e-9:
        if _lines(mongolian, width / scale) <= 1:
            return FittedHeader(mongolian, chinese, size, round(scale, 2))
        scale -= 0.02
    log.warning("office name %s wraps in the header", office.key)
    return FittedHeader(mongolian, chinese, size)
