"""Forms of the justice room."""

from __future__ import annotations

from typing import Any

from django import forms

from safeguarding.core.forms import GovukDateField
from safeguarding.core.once import once_field
from safeguarding.justice.models import (
    DisruptionKind,
    DisruptionOutcomeKind,
    Operation,
    OperationKind,
    OutcomeKind,
    SubjectRole,
)

_REF_HELP = "The hub reference, like P0001234 (shown on the person's single view and network)"


class OperationForm(forms.Form):
    name = forms.CharField(label="Name of the investigation or operation", max_length=200)
    kind = forms.ChoiceField(label="Is it an investigation or an operation?", choices=OperationKind.choices,
                             widget=forms.RadioSelect)
    summary = forms.CharField(label="Summary", widget=forms.Textarea, max_length=8000)
    opened_on = GovukDateField(label="Opened on")


class SubjectForm(forms.Form):
    person_ref = forms.CharField(label="Person", help_text=_REF_HELP, max_length=20)
    role = forms.ChoiceField(label="Their part in it", choices=SubjectRole.choices, widget=forms.RadioSelect,
                             help_text="A child victim was a child when abused and may be an adult now (a non-recent "
                                       "investigation); a child at risk is a child today")


class DisruptionForm(forms.Form):
    kind = forms.ChoiceField(label="What kind of disruption?", choices=DisruptionKind.choices, widget=forms.RadioSelect,
                             error_messages={"required": "Choose the kind of disruption"})
    adult_ref = forms.CharField(label="The adult it is against", help_text=_REF_HELP, max_length=20,
                                error_messages={"required": "Enter the adult's hub reference"})
    child_ref = forms.CharField(label="The child it protects",
                                help_text="Needed for a child abduction warning notice. " + _REF_HELP, max_length=20,
                                required=False)
    served_on = GovukDateField(label="Served, made or referred on",
                               error_messages={"required": "Enter the date it was served"})
    expires_on = GovukDateField(label="Expires on (if it does)", required=False)
    operation = forms.ModelChoiceField(label="Investigation or operation (if any)", queryset=Operation.objects.none(),
                                       required=False, empty_label="None")
    detail = forms.CharField(label="What was served or sought, and by whom", widget=forms.Textarea, max_length=4000,
                             error_messages={"required": "Say what was served or sought, and by whom"})
    once = once_field()

    def __init__(self, *args: Any, operations: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if operations is not None:
            self.fields["operation"].queryset = operations  # type: ignore[attr-defined]


class DisruptionOutcomeForm(forms.Form):
    kind = forms.ChoiceField(label="Outcome", choices=DisruptionOutcomeKind.choices, widget=forms.RadioSelect)
    on = GovukDateField(label="Date")
    detail = forms.CharField(label="Detail", widget=forms.Textarea, max_length=4000, required=False)
    once = once_field()


class OutcomeForm(forms.Form):
    person_ref = forms.CharField(label="Person", help_text=_REF_HELP, max_length=20)
    kind = forms.ChoiceField(label="Outcome", choices=OutcomeKind.choices, widget=forms.RadioSelect)
    on = GovukDateField(label="Date")
    offence = forms.CharField(label="Offence", max_length=300)
    detail = forms.CharField(label="Detail (for a sentence, what it was)", widget=forms.Textarea, max_length=4000,
                             required=False)
    once = once_field()
