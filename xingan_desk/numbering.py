"""Receipt numbers (回执编号): issued offline, unique across the League without coordination.

Form: ``ZX-152223-02-2026-000123-K``
  kind prefix - county code - window (+ generation letter after a restore: 02B, 02C …)
  - year - per-window sequence - check character (ISO 7064 MOD 37,36 over the rest).

Why unique: the county+window pair is unique in the League and live on one installation;
the sequence is allocated in the same transaction as the record; a restored or cloned store
gets a new generation letter; central keeps UNIQUE(receipt_no) as the last line of defence.
One sequence per window and year serves all kinds, so gaps are visible to an auditor
(voided records keep their numbers).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_RE = re.compile(
    r"^(?P<prefix>[A-Z]{2})-(?P<county>\d{6})-(?P<window>\d{2})(?P<gen>[B-Z]?)-"
    r"(?P<year>\d{4})-(?P<seq>\d{6})-(?P<check>[0-9A-Z])$"
)


def mod37_36_check(payload: str) -> str:
    """ISO 7064 MOD 37,36 check character over digits and upper-case letters."""
    m = 36
    p = m
    for ch in payload:
        p = (p + ALPHABET.index(ch)) % m
        p = (p or m) * 2 % (m + 1)
    return ALPHABET[(m + 1 - p) % m]


def generation_letter(generation: int) -> str:
    if generation < 1 or generation > 25:
        raise ValueError("generation out of range")
    return "" if generation == 1 else chr(ord("A") + generation - 1)


def format_receipt_no(prefix: str, county: str, window: str, generation: int, year: int,
                      seq: int) -> str:
    body = f"{prefix}-{county}-{window}{generation_letter(generation)}-{year}-{seq:06d}"
    return f"{body}-{mod37_36_check(body.replace('-', ''))}"


@dataclass(frozen=True)
class ReceiptNo:
    prefix: str
    county: str
    window: str
    generation: int
    year: int
    seq: int


def normalize_receipt_no(raw: str) -> str:
    text = raw.strip().upper().replace(" ", "").replace("—", "-").replace("－", "-")
    return text


def parse_receipt_no(raw: str) -> ReceiptNo | None:
    text = normalize_receipt_no(raw)
    m = _RE.match(text)
    if not m:
        return None
    body = text.rsplit("-", 1)[0]
    if mod37_36_check(body.replace("-", "")) != m["check"]:
        return None
    gen = 1 if not m["gen"] else ord(m["gen"]) - ord("A") + 1
    return ReceiptNo(m["prefix"], m["county"], m["window"], gen, int(m["year"]), int(m["seq"]))


def check_receipt_no(raw: str) -> str | None:
    text = normalize_receipt_no(raw)
    if not _RE.match(text):
        return "编号格式不对，应类似 ZX-152223-02-2026-000123-K"
    if parse_receipt_no(text) is None:
        return "编号校验位不对，请核对是否抄错"
    return None
