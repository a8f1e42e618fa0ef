"""The form the partnership manager records a board's target with."""

from __future__ import annotations

from typing import Any

from django import forms

from safeguarding.insight.models import Comparison
from safeguarding.insight.selectors import Quarter, target_measures

WITHDRAW = "withdraw"


class StrategyTargetForm(forms.Form):
    measure = forms.ChoiceField(label="Figure of the board's report")
    comparison = forms.ChoiceField(
        label="Target", widget=forms.RadioSelect,
        choices=[*Comparison.choices, (WITHDRAW, "No target from that quarter (withdraw the one in force)")],
        error_messages={"required": "Choose at least, at most, or no target"})
    value = forms.IntegerField(
        label="Value", required=False, min_value=0,
        help_text="A percentage for figures met in time (for example 95); a number for counts. "
                  "Leave it empty to withdraw a target.",
        error_messages={"invalid": "Enter the target as a whole number, 0 or more",
                        "min_value": "Enter the target as a whole number, 0 or more"})
    from_quarter = forms.ChoiceField(label="From the quarter")
    reason = forms.CharField(
        label="The board's decision", widget=forms.Textarea(attrs={"rows": 3}),
        help_text="The meeting and minute that set it, and why",
        error_messages={"required": "Say when the board decided it (its meeting and minute) and why"})

    def __init__(self, *args: Any, quarters: list[Quarter], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["measure"].choices = [("", "Choose a figure"), *target_measures()]  # type: ignore[attr-defined]
        self.fields["from_quarter"].choices = [(q.code, q.name) for q in quarters]  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("comparison") in Comparison.values and data.get("value") is None and "value" not in self.errors:
            self.add_error("value", "Enter the target as a whole number, 0 or more")
        return data
