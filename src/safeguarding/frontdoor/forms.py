"""The concern form, the child's details for a child new to the hub, and the decision form."""

from __future__ import annotations

from typing import Any

from django import forms

from safeguarding.core.forms import GovukDateField
from safeguarding.core.lists import ListFilters
from safeguarding.frontdoor.models import ConcernStatus, DecisionOutcome, Indicator


class ConcernForm(forms.Form):
    seen_on = GovukDateField(
        label="When did you see this, or when were you told?",
        help_text="For example, 27 3 2026",
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
        widget=forms.Textarea,
        max_length=10000,
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

    def clean_seen_on(self) -> Any:
        value = self.cleaned_data.get("seen_on")
        if value is None:
            raise forms.ValidationError("Enter the date you saw this or were told")
        return value


class NewChildForm(forms.Form):
    given_name = forms.CharField(label="Child's first name", max_length=100, required=False)
    family_name = forms.CharField(label="Child's last name", max_length=100, required=False)
    date_of_birth = GovukDateField(label="Date of birth", required=False, help_text="Leave blank if you do not know it")
    sex = forms.ChoiceField(
        label="Sex",
        required=False,
        choices=[("F", "Female"), ("M", "Male"), ("X", "Other"), ("U", "Not known")],
        widget=forms.RadioSelect,
    )
    nhs_number = forms.CharField(label="NHS number (if known)", required=False, max_length=20)
    upn = forms.CharField(label="Unique pupil number (if known)", required=False, max_length=20)
    address = forms.CharField(label="Address (if known)", required=False, max_length=300)
    postcode = forms.CharField(label="Postcode (if known)", required=False, max_length=10)

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
