"""Masking of personal data on anything handed out (receipts, notices, default exports).

Rules (reference/domain.md §2.4): ID numbers keep the first 3 and last 4 characters, mobiles
the first 3 and last 4 digits, landlines the area code and last 4, names the surname.
"""

from __future__ import annotations

import re


def mask_id(value: str | None) -> str:
    if not value:
        return ""
    s = str(value)
    if len(s) <= 7:
        return "*" * len(s)
    return s[:3] + "*" * (len(s) - 7) + s[-4:]


def mask_phone(value: str | None) -> str:
    if not value:
        return ""
    s = str(value)
    digits = re.sub(r"\D", "", s)
    if re.fullmatch(r"1\d{10}", digits):
        return f"{digits[:3]}****{digits[-4:]}"
    m = re.fullmatch(r"(0\d{2,3})[-\s]?(\d{7,8})(.*)", s)
    if m:
        local = m.group(2)
        return f"{m.group(1)}-{'*' * (len(local) - 4)}{local[-4:]}"
    if len(digits) <= 5:
        return s  # service numbers such as 12345
    return "*" * (len(s) - 4) + s[-4:]


def mask_name(value: str | None) -> str:
    if not value:
        return ""
    s = str(value)
    return s[0] + "*" * max(1, len(s) - 1) if len(s) > 1 else s


MASKERS = {"id": mask_id, "phone": mask_phone, "name": mask_name}


def mask(kind: str | None, value: str | None) -> str:
    if value is None:
        return ""
    if not kind:
        return str(value)
    return MASKERS[kind](value)
