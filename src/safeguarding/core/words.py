"""Values in the words a reader uses: GOV.UK dates for dates held as text, full words for codes."""

from __future__ import annotations

import datetime as dt

_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"]

SEX_WORDS = {"F": "Female", "M": "Male", "X": "Other", "U": "Not known", "I": "Indeterminate", "O": "Other"}


def govuk_date(value: dt.date | str | None) -> str:
    """"11 July 2012" (GOV.UK style: no leading zero, the month in full). Dates held as text may be
    partial ("2012-07" reads "July 2012", "2012" reads "2012"); text that is not a date is returned
    as it is, and nothing as ""."""
    if value is None or value == "":
        return ""
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return f"{value.day} {_MONTHS[value.month - 1]} {value.year}"
    text = value.strip()
    parts = text.split("-")
    try:
        numbers = [int(p) for p in parts]
    except ValueError:
        return text
    if len(parts[0]) != 4 or len(numbers) > 3:
        return text
    if len(numbers) == 1:
        return str(numbers[0])
    if not 1 <= numbers[1] <= 12:
        return text
    if len(numbers) == 2:
        return f"{_MONTHS[numbers[1] - 1]} {numbers[0]}"
    try:
        return govuk_date(dt.date(numbers[0], numbers[1], numbers[2]))
    except ValueError:
        return text


def sex_in_words(code: str) -> str:
    """"Female" for "F": the exchange format's codes in full; an unknown code as it is."""
    code = (code or "").strip()
    if not code:
        return ""
    return SEX_WORDS.get(code.upper(), code)


def in_a_list(items: list[str]) -> str:
    """"a, b and c": items as a sentence lists them ("" for none)."""
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} and {items[-1]}"
