"""Forms for screening a child, the second person's decision, the level report, and the
administrators' pages that change the tool. Each renders through the GOV.UK form renderer."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone

from safeguarding.core.forms import GovukDateField
from safeguarding.people.models import Event, EventType
from safeguarding.screening.models import ModelOfExploitation
from safeguarding.screening.selectors import IndicatorEvidence
from safeguarding.screening.tool import ANSWERS, Indicator, ToolConfig


def _choice(field: forms.Field) -> forms.ChoiceField:
    assert isinstance(field, forms.ChoiceField)
    return field


def event_label(event: Event) -> str:
    when = timezone.localtime(event.occurred_at).strftime("%-d %B %Y")
    return f"{when}: {event.get_event_type_display()}, recorded by {event.source_system.agency.name}"


class SectionForm(forms.Form):
    """One section of the screening (an exploitation type): a question per indicator, with
    evidence and the child's records that support it. ``finished``: the practitioner says the
    section is done, so every question needs an answer; saved for later, unanswered ones may wait."""

    def __init__(
        self,
        *args: Any,
        indicators: list[Indicator],
        evidence: dict[str, IndicatorEvidence],
        finished: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.indicators = indicators
        self.evidence = evidence
        for ind in indicators:
            found = evidence[ind.code]
            hint = ind.guidance
            if found.suggested:
                hint = (
                    f"{hint} Suggested: agencies' records show this in the last {ind.lookback_days} days "
                    f"({len(found.suggested)} below). Please check them and confirm."
                ).strip()
            self.fields[f"answer__{ind.code}"] = forms.ChoiceField(
                label=ind.label,
                choices=ANSWERS,
                widget=forms.RadioSelect,
                help_text=hint,
                required=finished,
                error_messages={"required": f"Answer '{ind.label}'"},
            )
            self.fields[f"evidence__{ind.code}"] = forms.CharField(
                label=f"Evidence for '{ind.label}'",
                widget=forms.Textarea,
                required=False,
                max_length=10000,
                help_text="What was seen or said, by whom and when",
                error_messages={
                    "max_length": f"The evidence for '{ind.label}' must be 10,000 characters or fewer",
                },
            )
            if found.offered:
                self.fields[f"events__{ind.code}"] = forms.TypedMultipleChoiceField(
                    label=f"Agencies' records that support '{ind.label}'",
                    choices=[(e.pk, event_label(e)) for e in found.offered],
                    coerce=int,
                    required=False,
                    widget=forms.CheckboxSelectMultiple,
                    error_messages={"invalid_choice": f"Choose records from the list for '{ind.label}'"},
                )

    def rows(self) -> list[dict[str, Any]]:
        """The bound fields question by question, for the template."""
        return [
            {
                "indicator": ind,
                "suggested": bool(self.evidence[ind.code].suggested),
                "answer": self[f"answer__{ind.code}"],
                "evidence": self[f"evidence__{ind.code}"],
                "events": self[f"events__{ind.code}"] if f"events__{ind.code}" in self.fields else None,
            }
            for ind in self.indicators
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for ind in self.indicators:
            if data.get(f"answer__{ind.code}") == "yes" and not (
                (data.get(f"evidence__{ind.code}") or "").strip() or data.get(f"events__{ind.code}")
            ):
                self.add_error(
                    f"evidence__{ind.code}", f"Give the evidence for '{ind.label}', or choose an agency's record"
                )
            elif not data.get(f"answer__{ind.code}") and f"answer__{ind.code}" not in self.errors and (
                (data.get(f"evidence__{ind.code}") or "").strip() or data.get(f"events__{ind.code}")
            ):
                # Evidence is kept with its answer: saved for later without one, it would be lost unseen.
                self.add_error(f"answer__{ind.code}", f"Answer '{ind.label}' to keep the evidence you gave for it")
        return data


class JudgementForm(forms.Form):
    judgement_level = forms.ChoiceField(
        label="Level of risk in your professional judgement",
        widget=forms.RadioSelect,
        help_text="This is the level that will be in force. It may differ from the computed level.",
        error_messages={"required": "Choose the level of risk in your professional judgement"},
    )
    judgement_reasoning = forms.CharField(
        label="Reasons for your judgement",
        widget=forms.Textarea,
        max_length=10000,
        help_text="What you weighed, including anything the indicators do not capture.",
        error_messages={"required": "Give the reasons for your professional judgement"},
    )
    models_of_exploitation = forms.MultipleChoiceField(
        label="Model of exploitation",
        choices=ModelOfExploitation.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="Select all that apply",
    )
    downgrade_reason = forms.CharField(
        label="Reason for lowering the level",
        widget=forms.Textarea,
        max_length=4000,
        required=False,
    )

    def __init__(self, *args: Any, tool: ToolConfig, current_name: str | None, needs_approval: bool,
                 computed_name: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choice(self.fields["judgement_level"]).choices = [(lv.code, lv.name) for lv in tool.levels]
        lower_than = [f"the computed level ({computed_name})" if computed_name else "the computed level"]
        if current_name:
            lower_than.append(f"the level in force now ({current_name})")
        self.fields["downgrade_reason"].help_text = (
            f"Needed only if your judgement is lower than {' or '.join(lower_than)}. "
            + ("A second person must approve it before it comes into force." if needs_approval else "")
        ).strip()


class ApprovalForm(forms.Form):
    decision = forms.ChoiceField(
        label="Do you approve lowering the level?",
        choices=[("approve", "Approve: the lower level comes into force now"), ("refuse", "Refuse: the level stays")],
        widget=forms.RadioSelect,
        error_messages={"required": "Choose whether you approve"},
    )
    reason = forms.CharField(
        label="Your reasons",
        widget=forms.Textarea,
        max_length=4000,
        required=False,
        help_text="Required if you refuse.",
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("decision") == "refuse" and not (data.get("reason") or "").strip():
            self.add_error("reason", "Give the reason for refusing")
        return data


class LevelsOnForm(forms.Form):
    on = GovukDateField(
        label="Date",
        help_text="For example, 31 3 2026. Counts are as they stood at the end of that day.",
        error_messages={"required": "Enter a date"},
    )

    def clean_on(self) -> Any:
        value = self.cleaned_data.get("on")
        if value is None:
            raise forms.ValidationError("Enter a date")
        if value > timezone.localdate():
            raise forms.ValidationError("The date must be today or in the past")
        return value


# --- administrators: changing the tool ---------------------------------------------------------


class ToolChangeForm(forms.Form):
    """Every change to the tool says which version it edits and why it was made."""

    based_on = forms.IntegerField(widget=forms.HiddenInput)
    change_note = forms.CharField(
        label="Change note",
        widget=forms.Textarea,
        max_length=4000,
        help_text="What you changed and why. It is kept with the new version.",
        error_messages={"required": "Say what you changed and why"},
    )


def _event_type_field() -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(
        label="Agencies' records that count as evidence",
        choices=EventType.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="When a child has one of these within the look-back period, the hub suggests this indicator",
    )


class IndicatorForm(ToolChangeForm):
    code = forms.CharField(
        label="Code",
        max_length=60,
        help_text="Lower case letters, numbers and underscores, for example repeat_missing. It cannot change later.",
    )
    type = forms.ChoiceField(label="Exploitation type", widget=forms.RadioSelect)
    label = forms.CharField(label="Question", max_length=300)
    guidance = forms.CharField(label="Guidance for practitioners", widget=forms.Textarea, required=False, max_length=4000)
    weight = forms.IntegerField(label="Weight", help_text="Points added to the score when the answer is yes")
    evidence_event_types = _event_type_field()
    lookback_days = forms.IntegerField(label="Look-back period in days", help_text="For example, 90")
    field_order = [
        "code",
        "type",
        "label",
        "guidance",
        "weight",
        "evidence_event_types",
        "lookback_days",
        "change_note",
    ]

    def __init__(self, *args: Any, tool: ToolConfig, new: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choice(self.fields["type"]).choices = [(t.code, t.label) for t in tool.exploitation_types]
        if not new:
            del self.fields["code"]


class ExploitationTypeForm(ToolChangeForm):
    code = forms.CharField(label="Code", max_length=60, help_text="For example, radicalisation")
    label = forms.CharField(label="Name", max_length=200, help_text="For example, Radicalisation")
    field_order = ["code", "label", "change_note"]


class LevelsForm(ToolChangeForm):
    """The partnership's names for its levels and the score each starts at, lowest first."""

    def __init__(self, *args: Any, tool: ToolConfig, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        note = self.fields.pop("change_note")
        for n, lv in enumerate(tool.levels):
            self.fields[f"name_{n}"] = forms.CharField(label=f"Name of level {n + 1}", max_length=200)
            self.fields[f"min_score_{n}"] = forms.IntegerField(label=f"Lowest score for level {n + 1}")
            self.initial.setdefault(f"name_{n}", lv.name)
            self.initial.setdefault(f"min_score_{n}", lv.min_score)
        self.fields["new_code"] = forms.CharField(
            label="Add a level: code", required=False, max_length=60, help_text="Leave blank to add no level"
        )
        self.fields["new_name"] = forms.CharField(label="Add a level: name", required=False, max_length=200)
        self.fields["new_min_score"] = forms.IntegerField(label="Add a level: lowest score", required=False)
        self.fields["change_note"] = note
        self.level_count = len(tool.levels)


class RuleAddForm(ToolChangeForm):
    code = forms.CharField(label="Code", max_length=60, help_text="For example, missing_and_sexual_health_high")
    description = forms.CharField(label="What the rule says", max_length=300)
    indicators = forms.MultipleChoiceField(label="Indicators", widget=forms.CheckboxSelectMultiple)
    minimum = forms.IntegerField(label="How many of them must be answered yes", help_text="1 means any one of them")
    level = forms.ChoiceField(label="Level it makes the risk at least", widget=forms.RadioSelect)
    field_order = ["code", "description", "indicators", "minimum", "level", "change_note"]

    def __init__(self, *args: Any, tool: ToolConfig, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choice(self.fields["indicators"]).choices = [(i.code, i.label) for i in tool.indicators]
        _choice(self.fields["level"]).choices = [(lv.code, lv.name) for lv in tool.levels]


class RuleRemoveForm(ToolChangeForm):
    rule = forms.ChoiceField(label="Rule to remove", widget=forms.RadioSelect)
    field_order = ["rule", "change_note"]

    def __init__(self, *args: Any, tool: ToolConfig, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choice(self.fields["rule"]).choices = [(r.code, r.description) for r in tool.overriding_rules]


class SettingsForm(ToolChangeForm):
    downgrade_needs_approval = forms.ChoiceField(
        label="Does lowering a child's level need a second person's approval?",
        choices=[("yes", "Yes: a MACE coordinator other than the practitioner must approve it"), ("no", "No")],
        widget=forms.RadioSelect,
        help_text="A written reason is always needed.",
    )
    field_order = ["downgrade_needs_approval", "change_note"]


class RemovalForm(ToolChangeForm):
    """Removing an indicator, exploitation type or level asks only why: the new version's change
    note says what was removed."""

    def __init__(self, *args: Any, noun: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        note = self.fields["change_note"]
        note.label = f"Why are you removing this {noun}?"
        note.help_text = "It is kept with the new version and in the audit trail."
        note.error_messages["required"] = f"Say why you are removing this {noun}"
