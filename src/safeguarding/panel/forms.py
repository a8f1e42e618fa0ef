"""The form to close a panel referral."""

from __future__ import annotations

from django import forms


class CloseReferralForm(forms.Form):
    reason = forms.CharField(
        label="Why is the referral being closed?",
        widget=forms.Textarea,
        max_length=4000,
        error_messages={"required": "Give the reason for closing the referral"},
        help_text="Say what the panel decided and who will support the child now.",
    )
