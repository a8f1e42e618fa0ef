"""The form to close a panel referral, and the referrals list's filters."""

from __future__ import annotations

from django import forms

from safeguarding.core.forms import GovukDateField
from safeguarding.core.lists import ListFilters


class CloseReferralForm(forms.Form):
    reason = forms.CharField(
        label="Why is the referral being closed?",
        widget=forms.Textarea,
        max_length=4000,
        error_messages={"required": "Give the reason for closing the referral"},
        help_text="Say what the panel decided and who will support the child now.",
    )


class ReferralFilters(ListFilters):
    """The panel referrals list's filters (issue 16)."""

    show = forms.ChoiceField(label="Referrals", required=False, widget=forms.RadioSelect,
                             choices=[("open", "Open"), ("all", "Open and closed")])
    source = forms.MultipleChoiceField(label="From", required=False, widget=forms.CheckboxSelectMultiple,
                                       choices=[("alert", "An alert"), ("concern", "A concern"),
                                                ("direct", "Referred directly")])
    child = forms.CharField(label="Child", required=False, max_length=100,
                            help_text="Name or hub reference, for example P0000239")
    referred_from = GovukDateField(label="Referred on or after", required=False)
    referred_to = GovukDateField(label="Referred on or before", required=False)
