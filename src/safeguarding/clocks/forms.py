"""Forms for recording a return home interview and casework steps."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from typing import Any

from django import forms
from django.utils import timezone

from safeguarding.clocks.models import InterviewOutcome, StepKind
from safeguarding.core.calendar import ENGLAND
from safeguarding.core.forms import GovukDateField, time_of
from safeguarding.core.once import once_field
from safeguarding.people.models import Event


class InterviewForm(forms.Form):
    once = once_field()
    missing_episode = forms.ChoiceField(label="After which missing episode", widget=forms.RadioSelect,
                                        error_messages={"required": "Choose the missing episode"})
    outcome = forms.ChoiceField(label="Was the interview held", choices=InterviewOutcome.choices,
                                widget=forms.RadioSelect, error_messages={"required": "Say whether it was held"})
    held_on = GovukDateField(label="Date held (or decided not to hold)", error_messages={"required": "Enter the date"})
    held_time = forms.CharField(label="Time", max_length=5, help_text="24-hour clock, for example 16:30",
                                error_messages={"required": "Enter the time"})
    interviewer = forms.CharField(label="Who held it", max_length=200, required=False,
                                  help_text="An independent person: name and organisation")
    child_said = forms.CharField(label="What the child said", widget=forms.Textarea, required=False, max_length=10_000,
                                 help_text="In the child's words where you can")
    places_named = forms.CharField(label="Places named", widget=forms.Textarea, required=False, max_length=4000)
    people_named = forms.CharField(label="People named (and vehicles)", widget=forms.Textarea, required=False,
                                   max_length=4000)
    reason_not_held = forms.CharField(label="If not held, why", widget=forms.Textarea, required=False, max_length=4000)

    def __init__(self, *args: Any, episodes: list[Event], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.episodes = {str(e.pk): e for e in episodes}
        self.fields["missing_episode"].choices = [  # type: ignore[attr-defined]
            (str(e.pk), f"Missing {timezone.localtime(e.occurred_at):%-d %B %Y %H:%M}, returned "
                        f"{timezone.localtime(e.ended_at):%-d %B %Y %H:%M} ({e.source_system.agency.name})")
            for e in episodes if e.ended_at
        ]

    def clean_held_time(self) -> dt.time:
        return time_of(self.cleaned_data["held_time"])

    def held_at(self) -> dt.datetime:
        return dt.datetime.combine(self.cleaned_data["held_on"], self.cleaned_data["held_time"], tzinfo=ENGLAND)


class StepForm(forms.Form):
    once = once_field()
    kind = forms.ChoiceField(label="What happened", choices=StepKind.choices, widget=forms.RadioSelect,
                             error_messages={"required": "Choose what happened"})
    occurred_on = GovukDateField(label="Date", error_messages={"required": "Enter the date"})
    positive = forms.ChoiceField(
        label="For an NRM decision, were grounds found? For a conference, is the child subject to a child "
              "protection plan?",
        required=False, choices=[("", "Neither a decision nor a conference"), ("yes", "Yes"), ("no", "No")],
        help_text="For a review conference, No means the plan has ended",
    )
    note = forms.CharField(label="Note", widget=forms.Textarea, required=False, max_length=4000,
                           help_text="For a visit, what the child said, in their own words, and what you saw. Where "
                                     "no conference is needed, say why: the strategy discussion started no section 47 "
                                     "enquiry, or the enquiry found no conference was needed")

    def __init__(self, *args: Any, steps: Collection[str] | None = None, **kwargs: Any) -> None:
        """``steps``: the kinds this user may record (all when None)."""
        super().__init__(*args, **kwargs)
        if steps is not None:
            field = self.fields["kind"]
            assert isinstance(field, forms.ChoiceField)
            field.choices = [(value, label) for value, label in StepKind.choices if value in steps]

    def occurred_at(self) -> dt.datetime:
        return dt.datetime.combine(self.cleaned_data["occurred_on"], dt.time(12, 0), tzinfo=ENGLAND)

    def positive_value(self) -> bool | None:
        return {"yes": True, "no": False}.get(self.cleaned_data.get("positive", ""))
