"""Password hashing for clerk accounts: salted scrypt from the standard library.

Format: ``scrypt$<log2 n>$<r>$<p>$<salt b64>$<hash b64>``; parameters are stored with the hash
so they can be raised later without breaking existing accounts.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

_N_LOG2, _R, _P = 15, 8, 1  # ~60 ms and 32 MiB per check on the hall's PCs
_MAXMEM = 64 * 1024 * 1024


def hash_password(password: str) -> str:
    salt = os.urandom(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=2**_N_LOG2, r=_R, p=_P,
                            maxmem=_MAXMEM, dklen=32)
    b64 = base64.b64encode
    return f"scrypt${_N_LOG2}${_R}${_P}${b64(salt).decode()}${b64(digest).decode()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n_log2, r, p, salt_b64, hash_b64 = stored.split("$")
        if scheme != "scrypt":
            return False
        salt, expected = base64.b64decode(salt_b64), base64.b64decode(hash_b64)
        digest = hashlib.scrypt(password.encode(), salt=salt, n=2 ** int(n_log2), r=int(r),
                                p=int(p), maxmem=_MAXMEM, dklen=len(expected))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(digest, expected)


def check_password_strength(password: str) -> str | None:
    if len(password) < 8:
        return "密码至少8位"
    if password.isdigit() or password.isalpha():
        return "密码须同时包含字母和数字"
    return None
