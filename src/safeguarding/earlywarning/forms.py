"""Forms for acting on an early-warning alert. Each has its own prefix, so all can share a page."""

from __future__ import annotations

from django import forms


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
