"""The data protection officer's forms."""

from __future__ import annotations

from typing import Any

from django import forms

from safeguarding.audit.models import AuditEventType
from safeguarding.core import normalise
from safeguarding.core.forms import GovukDateField
from safeguarding.core.lists import ListFilters
from safeguarding.core.once import once_field
from safeguarding.dataprotection.models import LawfulBasis, SarStatus


def _date(label: str, message: str, explain: str = "") -> GovukDateField:
    return GovukDateField(label=label, help_text=f"{explain} For example, 27 3 2026".lstrip(),
                          error_messages={"required": message})


class PersonReferenceField(forms.CharField):
    def __init__(self, **kwargs: object) -> None:
        super().__init__(label="Person's hub reference", max_length=20, help_text="For example, P0000123",
                         error_messages={"required": "Enter the person's hub reference"}, **kwargs)  # type: ignore[arg-type]


class SarLogForm(forms.Form):
    reference = PersonReferenceField()
    requester_name = forms.CharField(label="Who made the request", max_length=200,
                                     error_messages={"required": "Enter who made the request"})
    requester_relationship = forms.CharField(
        label="Who they are to the person", max_length=200, help_text="For example, the person themselves, or their solicitor",
        error_messages={"required": "Say who they are to the person the records are about"})
    received_on = _date("When was the request received?", "Enter the date the request was received")


class VerifyForm(forms.Form):
    # The ICO: where identity must be checked, the month runs from the day the proof is received.
    verified_on = _date("When did you receive their proof of identity?",
                        "Enter the date their proof of identity was received",
                        "The month to answer runs from this day, if it is after the request.")
    evidence = forms.CharField(label="How", max_length=1000, help_text="For example, passport seen at the council offices",
                               error_messages={"required": "Say how their identity was verified"})


class ExtendForm(forms.Form):
    reason = forms.CharField(label="Why is the request complex enough to extend?", widget=forms.Textarea,
                             max_length=4000, error_messages={"required": "Give the reason the request is complex enough to extend"})


class LiftForm(forms.Form):
    note = forms.CharField(label="Why is it reasonable to disclose it?", widget=forms.Textarea, max_length=4000,
                           required=False)


class SendForm(forms.Form):
    recipient = forms.CharField(label="Sent to", max_length=300, error_messages={"required": "Say to whom it was sent"})
    sent_on = _date("When was it sent?", "Enter the date it was sent")


class WithdrawForm(forms.Form):
    note = forms.CharField(label="Why is the request closing without a bundle?", widget=forms.Textarea, max_length=4000,
                           error_messages={"required": "Say why the request is closing without a bundle"})


class DisclosureForm(forms.Form):
    reference = forms.CharField(label="Person's hub reference (optional)", max_length=20, required=False,
                                help_text="For example, P0000123; leave blank for a disclosure about many people")
    recipient = forms.CharField(label="Disclosed to", max_length=300,
                                error_messages={"required": "Say to whom it was disclosed"})
    what = forms.CharField(label="What was disclosed", widget=forms.Textarea, max_length=4000,
                           error_messages={"required": "Say what was disclosed"})
    purpose = forms.CharField(label="Why was it shared", widget=forms.Textarea, max_length=4000,
                              help_text="What it was necessary for, for example a strategy discussion in another area",
                              error_messages={"required": "Say why it was shared"})
    shared_by = forms.CharField(label="Who shared it (optional)", max_length=300, required=False,
                                help_text="Name and agency, if not you")
    lawful_basis = forms.ChoiceField(label="Lawful basis", choices=LawfulBasis.choices, widget=forms.RadioSelect,
                                     error_messages={"required": "Choose the lawful basis"})
    disclosed_on = _date("When?", "Enter the date of the disclosure")


class SealForm(forms.Form):
    reference = PersonReferenceField()
    reason = forms.CharField(label="Why seal the record?", widget=forms.Textarea, max_length=4000,
                             error_messages={"required": "Give the reason for sealing the record"})
    named = forms.CharField(label="Who may open it", max_length=1000,
                            help_text="Usernames, separated by commas: the people who work with the record",
                            error_messages={"required": "Name at least one person who works with the record"})


class SealNamesForm(forms.Form):
    named = forms.CharField(label="Who may open it", max_length=1000,
                            help_text="Usernames, separated by commas: everyone who works with the record now",
                            error_messages={"required": "Name at least one person who works with the record"})
    reason = forms.CharField(label="Why are the people named changing?", widget=forms.Textarea, max_length=4000,
                             error_messages={"required": "Say why the people named are changing"})
    # Who the page showed named: a change made by someone else meanwhile refuses this one.
    named_before = forms.CharField(widget=forms.HiddenInput, required=False, max_length=4000)


class SealReviewForm(forms.Form):
    keep_sealed = forms.ChoiceField(label="Decision", choices=[("yes", "Keep it sealed"), ("no", "Unseal it")],
                                    widget=forms.RadioSelect, error_messages={"required": "Choose a decision"})
    note = forms.CharField(label="What the review found", widget=forms.Textarea, max_length=4000,
                           error_messages={"required": "Say what the review found"})
    # How many reviews the officer saw: a review recorded by someone else meanwhile refuses this one.
    based_on = forms.IntegerField(widget=forms.HiddenInput, min_value=0)
    named_before = forms.CharField(widget=forms.HiddenInput, required=False, max_length=4000)


class BreakGlassForm(forms.Form):
    reference = PersonReferenceField()
    reason = forms.CharField(label="Why do you need to open this record now?", widget=forms.Textarea, max_length=4000,
                             error_messages={"required": "Say why you need to open this record now"})


class BreakGlassReviewForm(forms.Form):
    justified = forms.ChoiceField(label="Was it justified?", choices=[("yes", "Yes"), ("no", "No")],
                                  widget=forms.RadioSelect, error_messages={"required": "Say whether it was justified"})
    note = forms.CharField(label="Note", widget=forms.Textarea, max_length=4000, required=False)


class HoldForm(forms.Form):
    reference = PersonReferenceField()
    reason = forms.CharField(label="The investigation or claim", widget=forms.Textarea, max_length=4000,
                             error_messages={"required": "Say which investigation or claim the hold is for"})
    once = once_field()


# --- the audit trail's filters (issue 16) ------------------------------------------------------------


class TrailFilters(ListFilters):
    person = forms.CharField(label="Person's hub reference", required=False, max_length=20,
                             help_text="For example, P0000123: who viewed or changed their record, when and why")
    user = forms.CharField(label="Who", required=False, max_length=150,
                           help_text="Part of the user's name or username")
    action = forms.TypedChoiceField(label="What they did", required=False, coerce=int, empty_value=None)
    occurred_from = GovukDateField(label="On or after", required=False)
    occurred_to = GovukDateField(label="On or before", required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = sorted(AuditEventType.choices, key=lambda choice: str(choice[1]))
        self.fields["action"].choices = [("", "Anything"), *choices]  # type: ignore[attr-defined]

    def clean_person(self) -> str:
        value = str(self.cleaned_data.get("person") or "").strip()
        if value and normalise.person_reference(value) is None:
            raise forms.ValidationError("Enter a hub reference like P0000123")
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("occurred_from"), data.get("occurred_to")
        if start and end and end < start:
            self.add_error("occurred_to", "The date on or before must be the same as or after the other date")
        return data


class SarFilters(ListFilters):
    status = forms.MultipleChoiceField(label="Status", required=False, choices=SarStatus.choices,
                                       widget=forms.CheckboxSelectMultiple)
    due = forms.ChoiceField(label="Due", required=False, widget=forms.RadioSelect,
                            choices=[("overdue", "Overdue"), ("week", "Due in the next 7 days")])
