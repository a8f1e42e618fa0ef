"""Forms of the contexts room: the time window, finding an entity, submitting information, graded
intelligence, disclosures, and work on contexts."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms

from safeguarding.accounts.models import Agency, AgencyKind
from safeguarding.contexts.models import (
    EntityKind,
    HandlingCode,
    IntelligenceAssessment,
    LawfulBasis,
    LinkNature,
    PlaceKind,
    SourceEvaluation,
)
from safeguarding.core.forms import GovukDateField, plausible_date


class WindowForm(forms.Form):
    start = forms.DateField(label="From", required=False, widget=forms.DateInput(attrs={"type": "date"}),
                            validators=[plausible_date])
    end = forms.DateField(label="To", required=False, widget=forms.DateInput(attrs={"type": "date"}),
                          validators=[plausible_date])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            raise forms.ValidationError("The start of the window must be before its end")
        return data


class PlaceholderClearForm(forms.Form):
    reason = forms.CharField(
        label="Why is this a real vehicle, phone or place?", widget=forms.Textarea, max_length=2000,
        help_text="For example: a private hire car that carried these children; its links will join networks again",
    )


class PlaceKindForm(forms.Form):
    place_kind = forms.ChoiceField(label="What kind of place is it?", choices=PlaceKind.choices,
                                   error_messages={"required": "Choose the kind of place"})
    reason = forms.CharField(
        label="How do you know?", widget=forms.Textarea, max_length=2000,
        help_text="For example: a visit, a licensing record, or what the children said",
        error_messages={"required": "Say how you know what kind of place it is"},
    )


class EntitySearchForm(forms.Form):
    kind = forms.ChoiceField(label="What are you looking for?", choices=EntityKind.choices, initial=EntityKind.VEHICLE)
    text = forms.CharField(label="Registration, phone number, postcode or name", max_length=200)


_REPORTED_KINDS = [(EntityKind.VEHICLE, "Vehicle"), (EntityKind.PHONE, "Phone"), (EntityKind.PLACE, "Place")]
_NATURES = [
    (LinkNature.VEHICLE_USED, "They drive or use this vehicle"),
    (LinkNature.SEEN_IN_VEHICLE, "They were seen in this vehicle"),
    (LinkNature.PHONE_USED, "They use this phone"),
    (LinkNature.SEEN_AT, "They were seen at this place"),
    (LinkNature.OTHER, "Another link (say in the summary)"),
]


class SubmissionForm(forms.Form):
    person_ref = forms.CharField(
        label="Who is it about?",
        help_text="Your agency's own record id for the person (for example a licence number's record, LIC-10234), "
        "or, if you can search the hub, their hub reference (P0001234)",
        max_length=60,
        error_messages={"required": "Enter who the information is about"},
    )
    kind = forms.ChoiceField(label="What are you reporting?", choices=_REPORTED_KINDS, widget=forms.RadioSelect,
                             error_messages={"required": "Choose a vehicle, phone or place"})
    value = forms.CharField(label="Registration, phone number or place name", max_length=200,
                            error_messages={"required": "Enter the registration, phone number or place"})
    postcode = forms.CharField(label="Postcode of the place (if you know it)", max_length=10, required=False)
    nature = forms.ChoiceField(label="How are they linked to it?", choices=_NATURES, widget=forms.RadioSelect,
                               error_messages={"required": "Choose how they are linked to it"})
    observed_on = GovukDateField(label="When was this seen or reported to you?",
                                 error_messages={"required": "Enter the date", "incomplete": "Enter a day, month and year"})
    summary = forms.CharField(label="What did you see or were you told?", widget=forms.Textarea, max_length=4000,
                              error_messages={"required": "Say what you saw or were told"})


class IntelligenceForm(forms.Form):
    person_refs = forms.CharField(label="Hub references of the people it is about",
                                  help_text="Separate with commas, for example P0001234, P0004567", max_length=400)
    adult_ref = forms.CharField(label="Hub reference of a suspected perpetrator (optional)", max_length=20, required=False)
    kind = forms.ChoiceField(label="Vehicle, phone or place reported (optional)", choices=[("", "None"), *_REPORTED_KINDS],
                             required=False)
    value = forms.CharField(label="Registration, phone number or place name", max_length=200, required=False)
    postcode = forms.CharField(label="Postcode of the place", max_length=10, required=False)
    nature = forms.ChoiceField(label="How are they linked to it?", choices=_NATURES, required=False)
    observed_on = GovukDateField(label="Date of the intelligence")
    source_evaluation = forms.ChoiceField(label="Source evaluation", choices=SourceEvaluation.choices,
                                          widget=forms.RadioSelect)
    assessment = forms.ChoiceField(label="Intelligence assessment", choices=IntelligenceAssessment.choices,
                                   widget=forms.RadioSelect)
    handling = forms.ChoiceField(label="Handling code", choices=HandlingCode.choices, widget=forms.RadioSelect)
    handling_conditions = forms.CharField(label="Handling conditions (for code C)", widget=forms.Textarea,
                                          required=False, max_length=2000)
    sanitised_text = forms.CharField(label="Sanitised text (what may be shared)", widget=forms.Textarea, max_length=4000)
    source_description = forms.CharField(
        label="The source (kept apart; seen only by police intelligence officers)", widget=forms.Textarea, max_length=2000
    )
    original_text = forms.CharField(label="The original account (kept with the source)", widget=forms.Textarea,
                                    required=False, max_length=8000)


class DisclosureForm(forms.Form):
    to_agency = forms.ModelChoiceField(label="Agency it is shared with", queryset=Agency.objects.none(),
                                       empty_label="Choose an agency")
    to_person = forms.CharField(label="Name of the person it is shared with", max_length=200)
    purpose = forms.CharField(label="Why it is shared", widget=forms.Textarea, max_length=2000)
    lawful_basis = forms.ChoiceField(label="Lawful basis", choices=LawfulBasis.choices, widget=forms.RadioSelect)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["to_agency"].queryset = Agency.objects.exclude(kind=AgencyKind.POLICE).filter(is_active=True)  # type: ignore[attr-defined]


class PeerGroupForm(forms.Form):
    name = forms.CharField(label="Name of the group", max_length=200,
                           help_text="How practitioners know it, for example Clifton Park group")
    member_refs = forms.CharField(label="Hub references of its members",
                                  help_text="At least two, separated with commas, for example P0001234, P0004567",
                                  max_length=2000)
    since = GovukDateField(label="Known as a group since")


class ContextOpenForm(forms.Form):
    assessment = forms.CharField(label="Assessment of the context", widget=forms.Textarea, max_length=8000,
                                 help_text="What happens there, who goes there, what makes it a risk to children")
    plan = forms.CharField(label="Plan", widget=forms.Textarea, max_length=8000,
                           help_text="For example patrols, a licensing review of a taxi firm, engagement with a hotel")
    review_due_on = GovukDateField(label="Review due by")


class ContextReviewForm(forms.Form):
    summary = forms.CharField(label="What did the review find?", widget=forms.Textarea, max_length=8000)
    next_review_on = GovukDateField(label="Next review due by")


class ContextCloseForm(forms.Form):
    reason = forms.CharField(label="Why is the work being closed?", widget=forms.Textarea, max_length=4000)


def default_review(days: int = 42) -> dt.date:
    return dt.date.today() + dt.timedelta(days=days)
