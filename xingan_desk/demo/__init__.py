"""Realistic demo data for every record kind (command `xingan-desk demo`, screenshots, trials).

Everything goes through the Desk like a clerk's input: `create_many` for the bulk of each kind
(one transaction per 500 rows), `act` for the status actions, so every record is validated,
numbered, audited and queued for sync exactly like real work. Nothing here writes to the store
directly.

The data is deterministic for a seed (on a fresh store): names, credit codes, ID numbers, dates
and the workflow states reached. Codes are valid by construction: 统一社会信用代码 with the
League's county codes and both check characters (GB 11714 and GB 32100), 18-digit ID numbers with
1522xx address codes and the ISO 7064 check, patent application numbers with their check digit,
mobile numbers in real number ranges. Dates lie in the last 12 months and never in the future.

Accounts (created by the admin if missing, password DEMO_PASSWORD): the clerk 李娜 registers all
records, the mediator 赵敏 handles mediations, the supervisor 孙伟 verifies 差评.

The corpus (names, places, trades, patent cases, texts) is data: `data/*.toml`, read by
`corpus`. Modules: `people` and `codes` (persons, addresses, valid codes), `run` (the state of
one run and its shared steps), one module per kind of record (`enterprises`, `consultations`,
`preexam`, `mediations`, `ratings`) and `driver` (`plan`, `generate`).
"""

from __future__ import annotations

from .codes import random_application_no, random_grant_pub_no, random_id_number, random_uscc
from .consultations import consultation_raw
from .driver import SHARES, generate, plan
from .enterprises import Enterprise, enterprise_raw, random_enterprise
from .mediations import mediation_raw
from .people import Person, random_person
from .preexam import filing_raw
from .run import DEMO_PASSWORD, DEMO_USERS, KIND_ORDER, DemoRun

__all__ = [
    "DEMO_PASSWORD",
    "DEMO_USERS",
    "KIND_ORDER",
    "SHARES",
    "DemoRun",
    "Enterprise",
    "Person",
    "consultation_raw",
    "enterprise_raw",
    "filing_raw",
    "generate",
    "mediation_raw",
    "plan",
    "random_application_no",
    "random_enterprise",
    "random_grant_pub_no",
    "random_id_number",
    "random_person",
    "random_uscc",
]
