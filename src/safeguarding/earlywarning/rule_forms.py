"""The administrator's rule form: the settings shown are those of the rule's kind."""

from __future__ import annotations

from typing import Any

from django import forms

from safeguarding.earlywarning.models import RAISED_ELSEWHERE, AlertLevel, Rule, RuleKind
from safeguarding.earlywarning.rules import CONTACT_KINDS, PARAM_LABELS, params_for
from safeguarding.people.models import EventType

_LIST_PARAMS = {"event_types", "with_event_types", "exclude_event_types", "follow_up_types", "place_event_types",
                "for_named_children"}
_HINTS = {
    "window_days": "A number of days, from 1 to 3650",
    "count": "A whole number, 2 or more",
    "agencies": "A whole number, 2 or more",
    "distinct": "A whole number, no more than the number of event types listed",
    "under_age": "Age in whole years",
    "within_hours": "For a return home interview, 72",
    "contacts": f"Separate with commas. Any of: {', '.join(CONTACT_KINDS)}",
    "place_event_types": "Leave blank to count places from every event type the rule reads",
    "exclude_event_types": "Leave blank to count every event type",
    "weights": (
        "Each event type with its points, separated with commas, like found_with_adult: 2, gifts_or_money: 3, "
        "missing_episode: 1. Give most to what tells exploitation from other reasons children go missing or miss "
        "school. Event types: " + ", ".join(EventType.values)
    ),
    "threshold": "A whole number: an alert is raised when the signs within the window add up to this",
    "high_threshold": "Optional. A whole number above the points that raise an alert: from here the alert is high",
    "repeats": "Optional, 1 if blank: how many events of one kind count, so a run of one event cannot add up alone",
    "adult_points": "Optional, 0 if blank: added to an event that names an adult as present (who the child is with)",
    "vehicle_points": "Optional, 0 if blank: added to an event that names a vehicle",
    "for_named_children": (
        "Optional, none if blank: events of these types held on another person's record (police intelligence on an "
        "adult, like intelligence) count for each child they name, as if on the child's own record. Each needs points"
    ),
}
EVENT_TYPE_HINT = "Separate with commas. Event types: " + ", ".join(EventType.values)


class RuleKindForm(forms.Form):
    kind = forms.ChoiceField(
        label="What kind of pattern should the rule look for?",
        choices=[(value, label) for value, label in RuleKind.choices if value not in RAISED_ELSEWHERE],
        widget=forms.RadioSelect,
        error_messages={"required": "Choose the kind of rule"},
    )


class RuleForm(forms.Form):
    code = forms.CharField(
        label="Short code",
        max_length=60,
        required=False,
        help_text="Lower-case letters, numbers and hyphens, like repeat-missing. It cannot be changed later.",
    )
    name = forms.CharField(label="Name", max_length=200, required=False)
    description = forms.CharField(
        label="What the pattern means",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=4000,
        required=False,
        help_text="Shown with every alert the rule raises",
    )
    level = forms.ChoiceField(label="Level of its alerts", choices=AlertLevel.choices, widget=forms.RadioSelect)
    enabled = forms.BooleanField(label="Switched on (scans use it)", required=False)
    change_note = forms.CharField(
        label="What did you change, and why?",
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=4000,
        required=False,
        help_text="Kept with this version of the rule. Not needed to test a draft.",
    )

    def __init__(self, *args: Any, kind: str, rule: Rule | None = None, **kwargs: Any) -> None:
        if rule is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "code": rule.code,
                "name": rule.name,
                "description": rule.description,
                "level": rule.level,
                "enabled": rule.enabled,
                **{key: _as_text(value) for key, value in rule.params.items()},
            }
        super().__init__(*args, **kwargs)
        self.kind = kind
        if rule is not None:
            del self.fields["code"]
        required, optional = params_for(kind)
        self.param_names = [*required, *optional]
        for name in self.param_names:
            hint = _HINTS.get(name, "")
            if name in _LIST_PARAMS:
                hint = f"{hint}. {EVENT_TYPE_HINT}" if hint else EVENT_TYPE_HINT
            widget = forms.Textarea(attrs={"rows": 4}) if name == "weights" else None
            self.fields[name] = forms.CharField(
                label=PARAM_LABELS[name], required=False, help_text=hint, max_length=2000, widget=widget
            )

    def params(self) -> dict[str, Any]:
        """The settings as typed; the service checks them and says what is wrong."""
        values: dict[str, Any] = {}
        for name in self.param_names:
            text = (self.cleaned_data.get(name) or "").strip()
            if not text:
                continue
            if name in _LIST_PARAMS or name == "contacts":
                values[name] = [part.strip() for part in text.replace(";", ",").split(",") if part.strip()]
            else:
                values[name] = text
        return values


def _as_text(value: Any) -> Any:
    """A saved setting as the administrator types it: lists with commas, points as ``type: points``."""
    if isinstance(value, list):
        return ", ".join(value)
    if isinstance(value, dict):
        return ", ".join(f"{key}: {points}" for key, points in value.items())
    return value
