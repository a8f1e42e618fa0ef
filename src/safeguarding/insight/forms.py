"""The form the partnership manager records a board's target with."""

from __future__ import annotations

from typing import Any

from django import forms

from safeguarding.insight.models import Comparison
from safeguarding.insight.selectors import Quarter, target_measures
from safeguarding.insight.services import REASON_LIMIT, TARGET_LIMIT

WITHDRAW = "withdraw"


class StrategyTargetForm(forms.Form):
    measure = forms.ChoiceField(label="Figure of the board's report", error_messages={
        "required": "Choose a figure of the board's report", "invalid_choice": "Choose a figure of the board's report"})
    comparison = forms.ChoiceField(
        label="Target", widget=forms.RadioSelect,
        choices=[*Comparison.choices, (WITHDRAW, "No target from that quarter (withdraw the one in force)")],
        error_messages={"required": "Choose at least, at most, or no target"})
    value = forms.IntegerField(
        label="Value", required=False, min_value=0, max_value=TARGET_LIMIT,
        widget=forms.TextInput(attrs={"class": "govuk-input--width-5", "inputmode": "numeric", "spellcheck": "false"}),
        help_text="A percentage for figures met in time (for example 95); a number for counts. "
                  "Leave it empty to withdraw a target.",
        error_messages={"invalid": "Enter the target as a whole number, 0 or more",
                        "min_value": "Enter the target as a whole number, 0 or more",
                        "max_value": f"Enter a target of {TARGET_LIMIT:,} or less"})
    # Offered as a list; an earlier quarter is taken by its code too (a strategy recorded late).
    from_quarter = forms.CharField(label="From the quarter", widget=forms.Select,
                                   error_messages={"required": "Choose the quarter the target starts in"})
    reason = forms.CharField(
        label="The board's decision", widget=forms.Textarea(attrs={"rows": 3}), max_length=REASON_LIMIT,
        help_text="The meeting and minute that set it, and why",
        error_messages={"required": "Say when the board decided it (its meeting and minute) and why"})

    def __init__(self, *args: Any, quarters: list[Quarter], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["measure"].choices = [("", "Choose a figure"), *target_measures()]  # type: ignore[attr-defined]
        self.fields["from_quarter"].widget.choices = [(q.code, q.name) for q in quarters]
        self.latest = max(q.first_day for q in quarters)

    def clean_from_quarter(self) -> Quarter:
        quarter = Quarter.from_code(self.cleaned_data["from_quarter"])
        if quarter is None or quarter.first_day > self.latest:
            raise forms.ValidationError("Choose the quarter the target starts in")
        return quarter

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("comparison") in Comparison.values and data.get("value") is None and "value" not in self.errors:
            self.add_error("value", "Enter the target as a whole number, 0 or more")
        return data
