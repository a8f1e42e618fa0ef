"""The concern form, the child's details for a child new to the hub, and the decision form."""

from __future__ import annotations

from typing import Any

from django import forms

from safeguarding.core import normalise
from safeguarding.core.forms import GovukDateField, years_ago
from safeguarding.core.lists import ListFilters
from safeguarding.frontdoor.models import ConcernStatus, Consent, DecisionOutcome, Indicator, ParentsTold
from safeguarding.frontdoor.services import DESCRIPTION_MAX, ConcernContext


class ConcernForm(forms.Form):
    """The concern: what was seen, when and where, who else is involved, whether the parents or
    carers were told and consent given, and how to reach the person raising it. Every field is
    checked at once (the service checks again)."""

    seen_on = GovukDateField(
        label="When did you see this, or when were you told?",
        help_text="For example, 27 3 2026",
        not_future="The date you saw this or were told must be today or in the past",
        error_messages={
            "required": "Enter the date you saw this, or were told",
            "incomplete": "Enter a day, month and year",
        },
    )
    location = forms.CharField(
        label="Where did it happen?",
        required=False,
        max_length=300,
        help_text="For example, the bus station on Station Road",
    )
    description = forms.CharField(
        label="What did you see or hear?",
        widget=forms.Textarea(attrs={"rows": 8}),
        max_length=DESCRIPTION_MAX,
        error_messages={"required": "Describe what you saw or heard"},
        help_text="Say what happened in your own words, who was there and what the child said. Facts first.",
    )
    indicators = forms.MultipleChoiceField(
        label="Which of these have you noticed?",
        choices=Indicator.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Select all that apply",
    )
    immediate_danger = forms.BooleanField(
        label="The child is in immediate danger",
        required=False,
        help_text="If so, call 999 now as well. The concern will be marked urgent.",
    )
    people_involved = forms.CharField(
        label="Other people involved (if any)",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Names, nicknames, descriptions and ages of adults or other children: one on each line",
    )
    vehicles_involved = forms.CharField(
        label="Vehicles involved (if any)",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Registration numbers, makes, colours, taxi firm: one on each line",
    )
    places_involved = forms.CharField(
        label="Places involved (if any)",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Addresses, businesses, parks, flats: one on each line",
    )
    parents_told = forms.ChoiceField(
        label="Have the child's parents or carers been told about this concern?",
        choices=ParentsTold.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Select whether the child's parents or carers have been told"},
    )
    parents_not_told_reason = forms.CharField(
        label="If not, why not?",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="For example, telling them could put the child at risk",
    )
    consent = forms.ChoiceField(
        label="Has consent been given to share this concern?",
        choices=Consent.choices,
        widget=forms.RadioSelect,
        help_text="You can share without consent to protect a child. Say why.",
        error_messages={"required": "Select whether consent was given to share this concern"},
    )
    consent_reason = forms.CharField(
        label="If consent was not given or not asked for, why not?",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    referrer_role = forms.CharField(label="Your job title", max_length=200,
                                    error_messages={"required": "Enter your job title"})
    referrer_phone = forms.CharField(label="Your phone number", max_length=30,
                                     help_text="The front door may need to call you today",
                                     error_messages={"required": "Enter a phone number the front door can call you on"})
    referrer_email = forms.EmailField(label="Your email address", required=False, max_length=254)

    def clean_referrer_phone(self) -> str:
        value = str(self.cleaned_data.get("referrer_phone") or "").strip()
        if value and normalise.phone(value) is None:
            raise forms.ValidationError("Enter a phone number, like 01632 960 001 or 07700 900 982")
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("parents_told") == ParentsTold.NO and not str(data.get("parents_not_told_reason", "")).strip():
            self.add_error("parents_not_told_reason", "Say why the child's parents or carers have not been told")
        if data.get("consent") in (Consent.REFUSED, Consent.NOT_SOUGHT) and not str(
                data.get("consent_reason", "")).strip():
            self.add_error("consent_reason", "Say why the concern is shared without consent")
        return data

    def context(self) -> ConcernContext:
        data = self.cleaned_data
        return ConcernContext(**{name: data.get(name) or "" for name in ConcernContext.__dataclass_fields__})


class NewChildForm(forms.Form):
    """A child the hub does not hold: checked as the hub would record them, every field at once."""

    given_name = forms.CharField(label="Child's first name", max_length=100, required=False)
    family_name = forms.CharField(label="Child's last name", max_length=100, required=False)
    date_of_birth = GovukDateField(
        label="Date of birth", required=False, help_text="For example, 11 7 2012. Leave blank if you do not know it",
        not_future="Date of birth must be in the past",
        earliest=years_ago(18),
        earliest_message="The child must be under 18: enter a date of birth less than 18 years ago, or leave it blank",
    )
    sex = forms.ChoiceField(
        label="Sex",
        required=False,
        choices=[("F", "Female"), ("M", "Male"), ("X", "Other"), ("U", "Not known")],
        widget=forms.RadioSelect,
    )
    nhs_number = forms.CharField(label="NHS number (if known)", required=False, max_length=20,
                                 help_text="10 digits, for example 943 476 5919")
    upn = forms.CharField(label="Unique pupil number (if known)", required=False, max_length=20)
    address = forms.CharField(label="Address (if known)", required=False, max_length=300)
    postcode = forms.CharField(label="Postcode (if known)", required=False, max_length=10)

    def clean_nhs_number(self) -> str:
        value = str(self.cleaned_data.get("nhs_number") or "").strip()
        digits = normalise.nhs_number_digits(value)
        if value and not (digits and normalise.nhs_number_is_valid(digits)):
            raise forms.ValidationError("Enter a real NHS number, like 943 476 5919, or leave it blank")
        return value

    def clean_postcode(self) -> str:
        value = str(self.cleaned_data.get("postcode") or "").strip()
        if value and not normalise.postcode(value):
            raise forms.ValidationError("Enter a real postcode, like S65 1AB, or leave it blank")
        return value

    def clean_upn(self) -> str:
        value = str(self.cleaned_data.get("upn") or "").strip()
        if value and not normalise.upn(value):
            raise forms.ValidationError("Enter a unique pupil number like A123456789012, or leave it blank")
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not (data.get("given_name") or data.get("family_name")):
            self.add_error("given_name", "Enter the child's first or last name")
        return data


class DecisionForm(forms.Form):
    outcome = forms.ChoiceField(
        label="What happens next?",
        choices=DecisionOutcome.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose what happens next"},
    )
    reason = forms.CharField(
        label="Reason for the decision",
        widget=forms.Textarea,
        max_length=4000,
        required=False,
        help_text="Required for no further action. Say what you considered.",
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("outcome") == DecisionOutcome.NO_FURTHER_ACTION and not (data.get("reason") or "").strip():
            self.add_error("reason", "Give the reason for no further action")
        return data


# --- filters of the front door's lists (issue 16) --------------------------------------------------


class TriageFilters(ListFilters):
    priority = forms.MultipleChoiceField(
        label="Priority", required=False, widget=forms.CheckboxSelectMultiple,
        choices=[("urgent", "Urgent"), ("overdue", "Decision overdue")],
    )
    agency = forms.TypedChoiceField(label="Raised by", required=False, coerce=int, empty_value=None)
    child = forms.CharField(label="Child", required=False, max_length=100,
                            help_text="Name or hub reference, for example P0000239")

    def __init__(self, *args: Any, agencies: list[tuple[int, str]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["agency"].choices = [("", "Any agency"), *(agencies or [])]  # type: ignore[attr-defined]


class DecidedFilters(ListFilters):
    outcome = forms.MultipleChoiceField(label="Decision", required=False, choices=DecisionOutcome.choices,
                                        widget=forms.CheckboxSelectMultiple)
    late = forms.ChoiceField(label="In time", required=False, widget=forms.RadioSelect,
                             choices=[("late", "Decided late"), ("in_time", "Decided in time")])


class MyConcernFilters(ListFilters):
    status = forms.ChoiceField(label="Status", required=False, widget=forms.RadioSelect,
                               choices=ConcernStatus.choices)
