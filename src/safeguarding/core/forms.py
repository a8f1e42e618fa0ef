"""One form renderer: every Django form renders as GOV.UK Design System fields, with the error
summary and error messages in the standard places."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

from django import forms
from django.forms.renderers import TemplatesSetting
from django.utils import timezone

from safeguarding.core.errors import ServiceError
from safeguarding.core.normalise import EARLIEST_YEAR
from safeguarding.core.words import govuk_date


class GovukFormRenderer(TemplatesSetting):
    form_template_name = "forms/govuk_form.html"
    field_template_name = "forms/govuk_field.html"


class GovukDateWidget(forms.MultiWidget):
    """The GOV.UK date input: day, month and year in three boxes."""

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__([forms.TextInput(), forms.TextInput(), forms.TextInput()], attrs)

    def decompress(self, value: Any) -> list[Any]:
        if isinstance(value, dt.date):
            return [value.day, value.month, value.year]
        return [None, None, None]


# The years a date typed into the hub may fall in: records reach back to adults born in the 1900s, and
# nothing is planned beyond 2100. A year outside them is a slip of the keyboard (0202, 9999), and would
# overflow a day's arithmetic (the day after 31 December 9999).
LATEST_YEAR = 2100  # from EARLIEST_YEAR, the one for agencies' records too


def number_or_zero(text: str | None) -> int:
    """A whole number sent in a form or a query string, 0 when it is not one (no record has id 0): a
    hand-edited ``hold=abc`` is answered like a missing record, not with an error page."""
    text = (text or "").strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 18 else 0


def plausible_date(value: dt.date) -> None:
    """A validator: a date in the years the hub holds."""
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise forms.ValidationError(f"Enter a date between {EARLIEST_YEAR} and {LATEST_YEAR}", code="invalid")


class GovukDateField(forms.MultiValueField):
    """The GOV.UK date input, checked as GOV.UK asks: every part there, a real date, four-digit
    year; and, where the form says so, not in the future (``not_future``: the message) and not
    before a day (``earliest``: a function giving the day, and ``earliest_message``)."""

    widget = GovukDateWidget

    def __init__(
        self,
        *,
        not_future: str = "",
        earliest: Callable[[], dt.date] | None = None,
        earliest_message: str = "",
        **kwargs: Any,
    ) -> None:
        fields = (forms.IntegerField(), forms.IntegerField(), forms.IntegerField())
        kwargs.setdefault("error_messages", {"incomplete": "Enter a day, month and year"})
        kwargs["error_messages"].setdefault("incomplete", "Enter a day, month and year")
        kwargs["error_messages"].setdefault("invalid", "Enter a real date")
        super().__init__(fields=fields, require_all_fields=False, **kwargs)
        self.not_future = not_future
        self.earliest = earliest
        self.earliest_message = earliest_message

    def clean(self, value: Any) -> Any:
        # Letters typed in a box fail the box's own number check: say so in GOV.UK's words.
        typed = [str(v).strip() for v in value if v is not None] if isinstance(value, list | tuple) else []
        if any(part and not part.isdecimal() for part in typed):
            raise forms.ValidationError("Enter a real date", code="invalid")
        return super().clean(value)

    def compress(self, data_list: list[Any]) -> dt.date | None:
        if not data_list or all(v in (None, "") for v in data_list):
            return None
        if any(v in (None, "") for v in data_list):
            raise forms.ValidationError("Enter a day, month and year")
        day, month, year = (int(v) for v in data_list)
        if not 1000 <= year <= 9999:
            raise forms.ValidationError("Year must include 4 numbers")
        try:
            value = dt.date(year, month, day)
        except (ValueError, OverflowError) as exc:  # a day or month too big for C's int overflows
            raise forms.ValidationError("Enter a real date") from exc
        plausible_date(value)
        if self.not_future and value > timezone.localdate():
            raise forms.ValidationError(self.not_future)
        if self.earliest is not None and value < self.earliest():
            raise forms.ValidationError(self.earliest_message or "Enter a later date")
        return value


def years_ago(years: int) -> Callable[[], dt.date]:
    """For ``GovukDateField(earliest=...)``: the day ``years`` years before today (a child's date of
    birth after the day 18 years ago makes them under 18)."""

    def day() -> dt.date:
        today = timezone.localdate()
        try:
            return today.replace(year=today.year - years) + dt.timedelta(days=1)
        except ValueError:  # 29 February
            return today.replace(year=today.year - years, day=28) + dt.timedelta(days=1)

    return day


def refused(*sent: forms.Form | None) -> forms.Form | None:
    """Of a page's forms, the one sent and refused (for the error summary at the top of the page, where a
    refusal of the whole form, not of one field, shows), or None."""
    return next((form for form in sent if form is not None and form.errors), None)


def add_service_error(form: forms.Form, error: ServiceError) -> None:
    """Show a service's refusal on the form: beside the field it is about when it names one the
    form has (so the error summary links to it), else at the top of the form."""
    form.add_error(error.field if error.field in form.fields else None, str(error))


_TIME = re.compile(r"^\s*(\d{1,2})[:.](\d{2})\s*$")


def time_of(text: str) -> dt.time:
    """A time typed on the 24-hour clock ("14:30" or "9.05"), or a GOV.UK-worded error."""
    match = _TIME.match(text or "")
    if not match or int(match.group(1)) > 23 or int(match.group(2)) > 59:
        raise forms.ValidationError("Enter a time like 14:30")
    return dt.time(int(match.group(1)), int(match.group(2)))


# --- GOV.UK wording for every error, whichever form raised it (issue 16) --------------------------

_ACRONYMS = ("NHS", "UPN", "PNC", "MACE", "NRM", "CSV", "SAR")


def _subject(label: str) -> str:
    """A label as the object of a sentence: "Date of birth" -> "date of birth" (not "NHS number")."""
    text = label.strip().rstrip(":").strip()
    if text.split(" ")[0].upper() in _ACRONYMS or (len(text) > 1 and text[:2].isupper()):
        return text
    return text[:1].lower() + text[1:]


def _django_default(field: forms.Field, code: str) -> str | None:
    """The message Django would give for ``code`` if the form had not chosen its own."""
    defaults: dict[str, Any] = {}
    for klass in reversed(type(field).__mro__):
        defaults.update(getattr(klass, "default_error_messages", {}))
    message = defaults.get(code)
    return str(message) if message is not None else None


def govuk_message(field: forms.Field, label: str, error: forms.ValidationError) -> str:
    """The message for one error in GOV.UK's words. A message the form chose is kept; Django's own
    defaults ("This field is required.", "Ensure this value has at most 300 characters (it has
    400).") are put as the GOV.UK Design System puts them, naming the field."""
    text = str(error.message % error.params) if error.params else str(error.message)
    code = error.code or ""
    chosen = field.error_messages.get(code)
    if chosen is not None and str(chosen) != _django_default(field, code):
        return text
    question = label.strip().endswith("?")
    subject = _subject(label) if label else "an answer"
    name = "Your answer" if question or not label else label.strip().rstrip(":")
    params = error.params or {}
    widget = field.widget
    choosing = isinstance(widget, forms.RadioSelect | forms.Select | forms.CheckboxSelectMultiple)
    if code == "required":
        if isinstance(widget, forms.CheckboxInput):
            return f"Select '{label.strip()}' to continue" if label else "Select the box to continue"
        if question:
            return "Select an answer" if choosing else "Enter your answer"
        return f"Select {subject}" if choosing else f"Enter {subject}"
    if code == "max_length":
        return f"{name} must be {params.get('limit_value')} characters or fewer"
    if code == "min_length":
        return f"{name} must be {params.get('limit_value')} characters or more"
    if code in ("invalid_choice", "invalid_pk_value"):
        return "Select one of the options"
    if code == "max_value":
        return f"{name} must be {params.get('limit_value')} or fewer"
    if code == "min_value":
        return f"{name} must be {params.get('limit_value')} or more"
    if code == "invalid":
        if isinstance(field, forms.EmailField):
            return "Enter an email address in the correct format, like name@example.com"
        if isinstance(field, forms.IntegerField | forms.DecimalField | forms.FloatField):
            return f"{name} must be a number"
        if isinstance(field, forms.SlugField):
            return f"{name} must only include letters a to z, numbers, hyphens and underscores"
    return text


def govuk_errors(bound: forms.BoundField) -> list[str]:
    """Every error of one field of a bound form, in GOV.UK's words (``govuk_message``)."""
    form = bound.form
    if not form.is_bound or not form.errors or bound.name not in form.errors:
        return []
    label = str(bound.label or "")
    return [govuk_message(bound.field, label, error) for error in form.errors.as_data()[bound.name]]


# --- check your answers (issue 16) ----------------------------------------------------------------


def answers(form: forms.Form) -> list[dict[str, Any]]:
    """The rows of a GOV.UK summary list of a valid form's answers, in the form's order: the
    question, the answer as a reader would say it (a choice's label, "Yes"/"No", a date; a list for
    several choices; "" for no answer) and the id of the field for its "Change" link."""
    rows = []
    for bound in form:
        field, value = bound.field, form.cleaned_data.get(bound.name)
        choices = dict((str(k), str(v)) for k, v in getattr(field, "choices", []))
        shown: Any
        if isinstance(field, forms.BooleanField):
            shown = "Yes" if value else "No"
        elif isinstance(field, forms.MultipleChoiceField):
            shown = [choices.get(str(v), str(v)) for v in value or []]
        elif isinstance(field, forms.ChoiceField):
            shown = choices.get(str(value), str(value)) if value not in (None, "") else ""
        elif isinstance(value, dt.date):
            shown = govuk_date(value)
        else:
            shown = value if value not in (None, "") else ""
        if bound.widget_type in ("radioselect", "checkboxselectmultiple"):
            anchor = bound.subwidgets[0].data["attrs"]["id"] if bound.subwidgets else bound.auto_id
        elif isinstance(field, GovukDateField):
            anchor = f"{bound.auto_id}_0"
        else:
            anchor = bound.auto_id
        rows.append({"name": bound.name, "label": str(bound.label or ""), "value": shown, "anchor": anchor,
                     "many": isinstance(shown, list)})
    return rows
