"""Forms for acting on an early-warning alert. Each has its own prefix, so all can share a page."""

from __future__ import annotations

from typing import Any

from django import forms

from safeguarding.core.forms import GovukDateField
from safeguarding.core.lists import ListFilters
from safeguarding.earlywarning.models import AlertLevel


class AcknowledgeForm(forms.Form):
    """No fields: it carries the error when the alert cannot be acknowledged."""

    prefix = "acknowledge"


class AlertToConcernForm(forms.Form):
    prefix = "concern"

    description = forms.CharField(
        label="Describe the concern",
        widget=forms.Textarea,
        max_length=10000,
        error_messages={"required": "Describe the concern"},
        help_text="This starts as the alert's explanation. Add what you know. The concern goes to the triage queue.",
    )


class ReferToPanelForm(forms.Form):
    prefix = "refer"

    reason = forms.CharField(
        label="Why refer the child to the panel?",
        widget=forms.Textarea,
        max_length=4000,
        error_messages={"required": "Give the reason for referring the child to the panel"},
        help_text="The panel reads this first. Say what worries you, from the evidence below and what you know.",
    )


class DismissAlertForm(forms.Form):
    prefix = "dismiss"

    reason = forms.CharField(
        label="Why dismiss the alert?",
        widget=forms.Textarea,
        max_length=4000,
        error_messages={"required": "Give the reason for dismissing the alert"},
        help_text="For example, what you checked and with whom. The reason is kept in the audit trail.",
    )
    # How much evidence the page showed: a scan that adds to the alert meanwhile stops the dismissal.
    evidence_seen = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)


# --- the alerts queue's filters (issue 16) ---------------------------------------------------------


class AlertFilters(ListFilters):
    show = forms.ChoiceField(
        label="Show",
        required=False,
        choices=[("waiting", "Alerts waiting for someone to act"), ("all", "All alerts, including those dealt with")],
        widget=forms.RadioSelect,
    )
    level = forms.MultipleChoiceField(
        label="Level", required=False, choices=AlertLevel.choices, widget=forms.CheckboxSelectMultiple
    )
    rule = forms.TypedChoiceField(label="Rule", required=False, coerce=int, empty_value=None)
    child = forms.CharField(
        label="Child", required=False, max_length=100, help_text="Name or hub reference, for example P0000239"
    )
    raised_from = GovukDateField(label="Raised on or after", required=False)
    raised_to = GovukDateField(label="Raised on or before", required=False)

    def __init__(self, *args: Any, rules: list[tuple[int, str]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["rule"].choices = [("", "Any rule"), *(rules or [])]  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("raised_from"), data.get("raised_to")
        if start and end and end < start:
            self.add_error("raised_to", "The date raised on or before must be the same as or after the other date")
        return data
