"""The demo's corpus: names, places, trades, patent cases and texts, kept as TOML data files in
`data/` (shipped as package data) and read once with `importlib.resources`.

Every list keeps its order: the generators draw from them with a seeded random generator, so
the same files and seed give the same demo.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

__all__ = ["Corpus", "GivenNames", "corpus"]

Weights = tuple[tuple[str, int], ...]
Texts = tuple[str, ...]


@dataclass(frozen=True)
class GivenNames:
    one: str  # one-character given names, a character per draw
    two: Texts
    rare: Texts
    mongol: Texts  # written without a surname


@dataclass(frozen=True)
class Corpus:
    # people
    surnames: str  # a character per draw
    mongol_surnames: str
    given: Mapping[str, GivenNames]  # by gender: male | female
    ethnic_han: Weights
    mobile_prefixes: Texts
    occupations: Texts
    # places
    county_weights: Weights
    towns: Mapping[str, Texts]
    streets: Texts
    # enterprises
    brands: Texts
    industry_weights: Weights
    industry_words: Mapping[str, Texts]
    main_business: Mapping[str, Texts]
    cooperatives: tuple[tuple[str, str], ...]  # (product, form of the name)
    preexam_field: Mapping[str, str]  # industry → pre-examination field
    sub_fields: Mapping[str, Texts]
    # patents
    cases: Mapping[tuple[str, str], tuple[tuple[str, str, str, str], ...]]
    agencies: tuple[tuple[str, str], ...]  # (name, agency code)
    courts: Texts
    # consultations
    topic_weights: Weights
    topic_texts: Mapping[str, tuple[tuple[str, str, str], ...]]  # (question, answer, basis)
    products: Texts
    notice_items: Texts
    refer_to: Mapping[str, str]
    refer_default: str
    institutes: Texts
    followup_results: Texts
    # ratings
    good_comments: Texts  # "" = no comment
    bad_comments: Texts
    service_items: Mapping[str, str]

    @property
    def counties(self) -> Texts:
        """The League's counties (not the League itself), in the order of the weights."""
        return tuple(code for code, _ in self.county_weights)


def _load(name: str) -> dict[str, Any]:
    with resources.files(__package__).joinpath("data", f"{name}.toml").open("rb") as fh:
        return tomllib.load(fh)


def _texts(items: Any) -> Texts:
    return tuple(str(item) for item in items)


def _weights(table: Mapping[str, Any]) -> Weights:
    return tuple((str(key), int(weight)) for key, weight in table.items())


def _lists(table: Mapping[str, Any]) -> dict[str, Texts]:
    return {str(key): _texts(items) for key, items in table.items()}


def _pairs(items: Any) -> tuple[tuple[str, str], ...]:
    return tuple((str(a), str(b)) for a, b in items)


@cache
def corpus() -> Corpus:
    """The corpus of the shipped data files (read on first use)."""
    people = _load("people")
    places = _load("places")
    ents = _load("enterprises")
    patents = _load("patents")
    consult = _load("consultations")
    ratings = _load("ratings")
    given = {gender: GivenNames(str(g["one"]), _texts(g["two"]), _texts(g["rare"]),
                                _texts(g["mongol"]))
             for gender, g in people["given"].items()}
    cases = {(str(fld), str(ptype)): tuple((str(t), str(ipc), str(extra), str(tech))
                                           for t, ipc, extra, tech in rows)
             for fld, by_type in patents["cases"].items() for ptype, rows in by_type.items()}
    bases: Mapping[str, Any] = consult["bases"]
    topic_texts = {str(topic): tuple((str(t["question"]), str(t["answer"]),
                                      str(bases[t["basis"]]) if "basis" in t else "")
                                     for t in texts)
                   for topic, texts in consult["topics"].items()}
    return Corpus(
        surnames=str(people["surnames"]),
        mongol_surnames=str(people["mongol_surnames"]),
        given=given,
        ethnic_han=_weights(people["ethnic_han"]),
        mobile_prefixes=_texts(people["mobile_prefixes"]),
        occupations=_texts(people["occupations"]),
        county_weights=_weights(places["county_weights"]),
        towns=_lists(places["towns"]),
        streets=_texts(places["streets"]),
        brands=_texts(ents["brands"]),
        industry_weights=_weights(ents["industry_weights"]),
        industry_words=_lists(ents["industry_words"]),
        main_business=_lists(ents["main_business"]),
        cooperatives=_pairs(ents["cooperatives"]),
        preexam_field={str(k): str(v) for k, v in ents["preexam_field"].items()},
        sub_fields=_lists(ents["sub_fields"]),
        cases=cases,
        agencies=_pairs(patents["agencies"]),
        courts=_texts(patents["courts"]),
        topic_weights=_weights(consult["topic_weights"]),
        topic_texts=topic_texts,
        products=_texts(consult["products"]),
        notice_items=_texts(consult["notice_items"]),
        refer_to={str(k): str(v) for k, v in consult["refer_to"].items()},
        refer_default=str(consult["refer_default"]),
        institutes=_texts(consult["institutes"]),
        followup_results=_texts(consult["followup_results"]),
        good_comments=_texts(ratings["good_comments"]),
        bad_comments=_texts(ratings["bad_comments"]),
        service_items={str(k): str(v) for k, v in ratings["service_items"].items()},
    )
