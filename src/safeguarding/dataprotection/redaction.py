"""Proposing redactions: plain functions over text, so they are tested without a database.

A proposal is a span of one field of one item, with its category and reason. Third parties are found
in two ways: fields a source knows to be wholly a third party's, and values from the lexicon (other
people's names, identifiers, addresses) found in free text. Identifiers in free text that are not the
subject's own (phone numbers, vehicle registrations, NHS numbers, e-mail addresses, hub references) are
proposed too. The subject's own values are never part of a proposal, and items of their own words are
never read for proposals at all: over-redaction fails a survivor as surely as a leak fails a third party."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable
from dataclasses import dataclass

from safeguarding.dataprotection.sources import Category, Item, Lexicon


@dataclass(frozen=True)
class Span:
    item: int  # index of the item
    field: int  # index of the field within the item
    start: int
    end: int
    text: str
    category: str

    @property
    def reason(self) -> str:
        return Category.REASONS[self.category]


_IDENTIFIERS = [
    re.compile(r"(?<![\w+])(?:\+44\s?7\d{3}|07\d{3})\s?\d{3}\s?\d{3}(?!\w)"),  # UK mobile numbers
    re.compile(r"(?<!\w)[A-Z]{2}\d{2}\s?[A-Z]{3}(?!\w)"),  # current-style vehicle registrations
    re.compile(r"(?<!\w)\d{3}\s?\d{3}\s?\d{4}(?!\w)"),  # NHS numbers
    re.compile(r"(?<![\w.])[\w.+-]+@[\w-]+(?:\.[\w-]+)+"),  # e-mail addresses
    re.compile(r"(?<!\w)P\d{7}(?!\w)"),  # hub references (an alert's explanation names another child by one)
]


def _compact(value: str) -> str:
    return re.sub(r"[\s-]", "", value).lower()


def _lexicon_pattern(terms: Iterable[str]) -> re.Pattern[str] | None:
    ordered = sorted(set(terms), key=len, reverse=True)
    if not ordered:
        return None
    return re.compile(r"(?<!\w)(?:" + "|".join(re.escape(t) for t in ordered) + r")(?!\w)", re.IGNORECASE)


def propose(items: list[Item], lexicon: Lexicon) -> list[Span]:
    """Every proposed redaction over the items, in order."""
    own_compact = {_compact(v) for v in lexicon.own}
    third = {k: v for k, v in lexicon.third_party.items() if k not in lexicon.own and _compact(k) not in own_compact}
    pattern = _lexicon_pattern(third)
    own_pattern = _lexicon_pattern(lexicon.own)
    spans: list[Span] = []
    for i, item in enumerate(items):
        if item.own_words or item.withheld_reason:
            continue
        whole = {tp.field: tp.category for tp in item.third_parties}
        for f, (_label, value) in enumerate(item.fields):
            if not value:
                continue
            if f in whole:
                if _compact(value) not in own_compact:
                    spans.append(Span(i, f, 0, len(value), value, whole[f]))
                continue
            protected = [(m.start(), m.end()) for m in own_pattern.finditer(value)] if own_pattern else []
            found: list[tuple[int, int, str]] = []
            if pattern is not None:
                found += [(m.start(), m.end(), third[m.group(0).lower()]) for m in pattern.finditer(value)]
            for regex in _IDENTIFIERS:
                for m in regex.finditer(value):
                    if _compact(m.group(0)) not in own_compact:
                        found.append((m.start(), m.end(), Category.IDENTIFIER))
            for start, end, category in _merge(found):
                if any(start < p_end and p_start < end for p_start, p_end in protected):
                    continue
                spans.append(Span(i, f, start, end, value[start:end], category))
    return spans


def _merge(found: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """Overlapping finds become one span (the first found's category)."""
    merged: list[tuple[int, int, str]] = []
    for start, end, category in sorted(found):
        if merged and start < merged[-1][1]:
            last = merged[-1]
            merged[-1] = (last[0], max(last[1], end), last[2])
        else:
            merged.append((start, end, category))
    return merged


def apply(value: str, spans: Iterable[tuple[int, int, str]]) -> str:
    """The value with each (start, end, category) span replaced by a marker saying whose it was."""
    out: list[str] = []
    at = 0
    for start, end, category in sorted(spans):
        if start < at:
            continue
        out.append(value[at:start])
        out.append(f"[redacted: {Category.LABELS[category]}]")
        at = end
    out.append(value[at:])
    return "".join(out)


def name_candidates(text: str) -> set[tuple[str, str]]:
    """Pairs of neighbouring capitalised words (a given name and a family name, perhaps), lower case,
    to look up against the people the hub holds."""
    words = re.findall(r"[A-Z][a-zA-Z'\-]+", text)
    tokens = re.findall(r"[A-Za-z][a-zA-Z'\-]*", text)
    capital = set(words)
    return {
        (a.lower(), b.lower())
        for a, b in itertools.pairwise(tokens)
        if a in capital and b in capital
    }
