"""Codes valid by construction: 统一社会信用代码 with the League's county codes and both check
characters (GB 11714 and GB 32100), 18-digit ID numbers with 1522xx address codes and the
ISO 7064 check, patent application numbers with their check digit, grant publication numbers."""

from __future__ import annotations

import datetime as dt
import random

from .. import validation as v
from .corpus import corpus
from .people import Person

__all__ = ["random_application_no", "random_grant_pub_no", "random_id_number", "random_uscc"]


def _org_check(first8: str) -> str:
    """GB 11714 check character of the organisation code embedded at USCC positions 9–17."""
    weights = (3, 7, 9, 10, 5, 8, 4, 2)
    r = 11 - sum(int(c, 36) * w for c, w in zip(first8, weights, strict=True)) % 11
    return "X" if r == 10 else "0" if r == 11 else str(r)


def random_uscc(rng: random.Random, county: str, category: str = "1") -> str:
    """A valid 统一社会信用代码: 9 (market regulation) + category + county + org code + check."""
    if rng.random() < 0.6:  # codes issued since 2015 start with MA
        body = "MA" + "".join(rng.choice(v.USCC_ALPHABET) for _ in range(6))
    else:
        body = f"{rng.randrange(10**8):08d}"
    first17 = f"9{category}{county}{body}{_org_check(body)}"
    return first17 + v.uscc_check_char(first17)


def random_id_number(rng: random.Random, person: Person, today: dt.date) -> str:
    county = rng.choice(corpus().counties)
    born = dt.date(rng.randint(1958, today.year - 20), rng.randint(1, 12), rng.randint(1, 28))
    seq = rng.randrange(100)
    sex = rng.choice("13579" if person.gender == "male" else "02468")
    first17 = f"{county}{born:%Y%m%d}{seq:02d}{sex}"
    return first17 + v.id_check_char(first17)


def random_application_no(rng: random.Random, year: int, patent_type: str) -> str:
    body = f"{year}{'1' if patent_type == 'invention' else '2'}{rng.randrange(1, 10**7):07d}"
    return f"{body}.{v.patent_check_char(body)}"


def random_grant_pub_no(rng: random.Random, patent_type: str) -> str:
    if patent_type == "invention":
        return f"CN11{rng.randrange(10**7):07d}B"
    return f"CN22{rng.randrange(10**7):07d}U"
