"""Search tokens for the FTS5 index, so short Chinese names are found fast.

SQLite's trigram tokenizer finds nothing for 1–2 character queries (most Chinese names), and a
LIKE scan over 200,000 rows is too slow while a clerk types. So every Han character is indexed
as a unigram and every adjacent pair as a bigram; ASCII words (credit codes, phone numbers,
receipt numbers, patent numbers) as whole lower-case words, matched by prefix, plus the last
four digits of long digit runs (phone tails). A query is turned into an AND of tokens that is
a superset of the substring matches; the caller confirms with LIKE on the few candidates.
"""

from __future__ import annotations

import re

_HAN = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
_RUN = re.compile(rf"[{_HAN}]+|[0-9A-Za-z]+")
_IS_HAN = re.compile(rf"[{_HAN}]")


def _han_tokens(run: str) -> list[str]:
    grams = list(run)
    grams += [run[i : i + 2] for i in range(len(run) - 1)]
    return grams


_DIGITS4 = re.compile(r"\d{4,}")


def tokens_for(text: str) -> str:
    out: list[str] = []
    for run in _RUN.findall(text):
        if run.isascii():  # a word of ASCII letters and digits (the pattern's other half)
            low = run.lower()
            out.append(low)
            if low.isdigit():
                if len(low) >= 7:
                    out.append(low[-4:])  # a phone's tail
            elif not low.isalpha():
                # digit runs inside mixed words (ZL2017…, CN1028…) are searchable on their own
                runs = _DIGITS4.findall(low)
                out.extend(runs)
                out.extend(d[-4:] for d in runs if len(d) >= 7)
        else:
            out.extend(run)  # Han unigrams, then bigrams
            out.extend(map(str.__add__, run, run[1:]))
    return " ".join(dict.fromkeys(out))  # each token once, first place kept


def query_terms(query: str) -> list[tuple[str, bool]]:
    """The index terms a clerk's search text must all match: (term, matched as a prefix)."""
    terms: list[tuple[str, bool]] = []
    for run in _RUN.findall(query):
        if _IS_HAN.match(run):
            if len(run) == 1:
                terms.append((run, False))
            else:
                terms.extend((run[i:i + 2], False) for i in range(len(run) - 1))
        else:
            terms.append((run.lower(), True))
    return list(dict.fromkeys(terms))


def match_query(query: str) -> str | None:
    """An FTS5 MATCH expression for a clerk's search text, or None if nothing searchable."""
    parts = [f'"{t}"*' if prefix else f'"{t}"' for t, prefix in query_terms(query)]
    return " AND ".join(parts) if parts else None


# The index's own count of records per term (fts5vocab), per connection in its temp schema
VOCAB = "temp.record_search_vocab"
VOCAB_DDL = (f"CREATE VIRTUAL TABLE IF NOT EXISTS {VOCAB} "
             "USING fts5vocab(main, 'record_search', 'row')")


def needs_confirmation(query: str) -> bool:
    """True when the token AND may match non-adjacent pieces (Han runs of 3+ or mixed)."""
    runs = _RUN.findall(query)
    return len(runs) > 1 or any(_IS_HAN.match(r) and len(r) > 2 for r in runs)
