"""The match review queue's filters (issue 16)."""

from __future__ import annotations

from typing import Any

from django import forms

from safeguarding.core.lists import ListFilters


class MatchReviewFilters(ListFilters):
    shared = forms.BooleanField(label="Only pairs that share an identifier", required=False)
    agency = forms.TypedChoiceField(label="Agency", required=False, coerce=int, empty_value=None,
                                    help_text="Pairs with a record from this agency")

    def __init__(self, *args: Any, agencies: list[tuple[int, str]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["agency"].choices = [("", "Any agency"), *(agencies or [])]  # type: ignore[attr-defined]
