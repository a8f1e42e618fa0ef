"""The search form used to find a person (by casework staff, and by referrers raising a concern)."""

from __future__ import annotations

from typing import Any

from django import forms

from safeguarding.core import normalise
from safeguarding.core.forms import GovukDateField
from safeguarding.core.lists import ListFilters


class PersonSearchForm(forms.Form):
    given_name = forms.CharField(label="First name", required=False, max_length=100)
    family_name = forms.CharField(label="Last name", required=False, max_length=100)
    date_of_birth = GovukDateField(label="Date of birth", required=False, help_text="For example, 27 3 2010")
    nhs_number = forms.CharField(label="NHS number", required=False, max_length=20, help_text="10 digits")
    upn = forms.CharField(label="Unique pupil number", required=False, max_length=20)
    postcode = forms.CharField(label="Postcode", required=False, max_length=10)
    address = forms.CharField(
        label="Address", required=False, max_length=200, help_text="Part of the address, for example Fern Road"
    )


class CaseworkSearchForm(PersonSearchForm):
    """Find a person (casework staff): also by hub reference and phone number; a postcode may be
    part of one ("S60")."""

    reference = forms.CharField(label="Hub reference", required=False, max_length=20,
                                help_text="For example, P0000239")
    phone = forms.CharField(label="Phone number", required=False, max_length=30)
    field_order = ["reference", "given_name", "family_name", "date_of_birth", "nhs_number", "upn", "phone",
                   "postcode", "address"]

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["postcode"].help_text = "All of it, or the first part, for example S60"

    def clean_reference(self) -> str:
        value = str(self.cleaned_data.get("reference") or "").strip()
        if value and normalise.person_reference(value) is None:
            raise forms.ValidationError("Enter a hub reference like P0000239")
        return value

    def clean_phone(self) -> str:
        value = str(self.cleaned_data.get("phone") or "").strip()
        if value and normalise.phone(value) is None:
            raise forms.ValidationError("Enter a phone number, like 01632 960 001, 07700 900 982 or +44 808 157 0192")
        return value


class ChronologyFilters(ListFilters):
    """The single view's chronology, narrowed by agency, kind of event and period
    (``?agency=police&kind=missing_episode&from_0=1&from_1=1&from_2=2025``). The choices are only
    what this viewer's chronology holds, so a choice never tells of an event they may not see."""

    agency = forms.ChoiceField(label="Agency", required=False)
    kind = forms.ChoiceField(label="What happened", required=False)

    def __init__(
        self, *args: Any, agencies: list[tuple[str, str]] | None = None, kinds: list[tuple[str, str]] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["agency"].choices = [("", "Any agency"), *(agencies or [])]  # type: ignore[attr-defined]
        self.fields["kind"].choices = [("", "Anything"), *(kinds or [])]  # type: ignore[attr-defined]
        self.fields["from"] = GovukDateField(label="On or after", required=False, help_text="For example, 1 4 2025")
        self.fields["to"] = GovukDateField(label="On or before", required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("from"), data.get("to")
        if start and end and end < start:
            self.add_error("to", "The date on or before must be the same as or after the other date")
        return data
