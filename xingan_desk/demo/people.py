"""Demo people: names as they are written in the League (Han, Mongolian, rare characters),
ethnicity, mobile and landline numbers, addresses."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

from ..catalogs import county_name
from .corpus import corpus

__all__ = ["Person", "random_address", "random_landline", "random_mobile", "random_person",
           "weighted"]

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Person:
    name: str
    gender: str  # "male" | "female" (catalog genders)
    ethnicity: str
    mobile: str


def weighted(rng: random.Random, pairs: Sequence[tuple[T, int]]) -> T:
    """One item of (item, weight) pairs, drawn by weight."""
    items = [item for item, _ in pairs]
    return rng.choices(items, weights=[weight for _, weight in pairs])[0]


def random_mobile(rng: random.Random) -> str:
    return rng.choice(corpus().mobile_prefixes) + f"{rng.randrange(10**8):08d}"


def random_landline(rng: random.Random) -> str:
    return f"0482-{rng.choice('2345678')}{rng.randrange(10**6):06d}"


def random_person(rng: random.Random, gender: str | None = None) -> Person:
    c = corpus()
    gender = gender or rng.choice(("male", "female"))
    pool = c.given[gender]
    r = rng.random()
    if r < 0.12:  # Mongolian names are usually written without a surname
        return Person(rng.choice(pool.mongol), gender, "蒙古族", random_mobile(rng))
    surname = rng.choice(c.surnames)
    if r < 0.17:
        given = rng.choice(pool.rare)
    elif r < 0.47:
        given = rng.choice(pool.one)
    else:
        given = rng.choice(pool.two)
    if surname in c.mongol_surnames and rng.random() < 0.7:
        ethnicity = "蒙古族"
    else:
        ethnicity = weighted(rng, c.ethnic_han)
    return Person(surname + given, gender, ethnicity, random_mobile(rng))


def random_address(rng: random.Random, county: str) -> str:
    c = corpus()
    town = rng.choice(c.towns[county])
    return f"内蒙古自治区兴安盟{county_name(county)}{town}{rng.choice(c.streets)}{rng.randint(1, 399)}号"
