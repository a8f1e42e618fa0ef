"""Words for values held as codes or text: GOV.UK dates for dates held as text (a date of birth
"2012-07-11" reads "11 July 2012"), and full words for sex."""

from __future__ import annotations

import datetime as dt

from django import template

from safeguarding.core.words import govuk_date, sex_in_words

register = template.Library()


@register.filter(name="govuk_date")
def govuk_date_filter(value: object) -> str:
    """"11 July 2012" for a date or a date held as text ("2012-07-11"; "July 2012" for "2012-07"; the
    year alone for "2012"); anything else as it is."""
    if isinstance(value, dt.date | str) or value is None:
        return govuk_date(value)
    return str(value)


@register.filter
def sex_words(value: object) -> str:
    return sex_in_words(str(value or ""))
