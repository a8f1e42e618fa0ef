"""One form renderer: every Django form renders as GOV.UK Design System fields, with the error
summary and error messages in the standard places."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django import forms
from django.forms.renderers import TemplatesSetting

from safeguarding.core.errors import ServiceError


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


class GovukDateField(forms.MultiValueField):
    widget = GovukDateWidget

    def __init__(self, **kwargs: Any) -> None:
        fields = (forms.IntegerField(), forms.IntegerField(), forms.IntegerField())
        kwargs.setdefault("error_messages", {"incomplete": "Enter a day, month and year"})
        super().__init__(fields=fields, require_all_fields=False, **kwargs)

    def compress(self, data_list: list[Any]) -> dt.date | None:
        if not data_list or all(v in (None, "") for v in data_list):
            return None
        if any(v in (None, "") for v in data_list):
            raise forms.ValidationError("Enter a day, month and year")
        day, month, year = (int(v) for v in data_list)
        if not 1000 <= year <= 9999:
            raise forms.ValidationError("Year must include 4 numbers")
        try:
            return dt.date(year, month, day)
        except (ValueError, OverflowError) as exc:  # a day or month too big for C's int overflows
            raise forms.ValidationError("Enter a real date") from exc


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
