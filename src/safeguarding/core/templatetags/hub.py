"""Words for values held as codes or text: GOV.UK dates for dates held as text (a date of birth
"2012-07-11" reads "11 July 2012"), and full words for sex."""

from __future__ import annotations

import datetime as dt

from django import template
from django.forms import BoundField

from safeguarding.core.forms import govuk_errors as _govuk_errors
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


@register.filter
def govuk_errors(bound: object) -> list[str]:
    """A form field's errors in GOV.UK wording (``core.forms.govuk_errors``)."""
    if not isinstance(bound, BoundField):
        return []
    return _govuk_errors(bound)


@register.filter
def as_form_list(value: object) -> list[object]:
    """One form or a list of forms, as a list (for the error summary)."""
    if value in (None, ""):
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


@register.filter
def forms_have_errors(value: object) -> bool:
    return any(getattr(f, "errors", None) for f in as_form_list(value))
