"""Forms of the panel's pages: scheduling, attendance, a child's discussion, minutes (and their police-only
part), plans, actions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from django import forms

from safeguarding.accounts.access import Capability, has, roles_with
from safeguarding.accounts.models import Agency, AgencyKind, User
from safeguarding.core.calendar import ENGLAND
from safeguarding.core.forms import GovukDateField, time_of
from safeguarding.core.lists import ListFilters
from safeguarding.core.normalise import typed_reference
from safeguarding.core.once import once_field
from safeguarding.core.words import in_a_list
from safeguarding.mace.models import AttendanceStatus, MeetingStatus, PanelDecision, PlanOutcome


class UserChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        user: User = obj
        return f"{user.get_full_name() or user.username}, {user.agency.name if user.agency else 'no agency'}"


def owners() -> list[User]:
    """Who may own an action: an active user whose role lets them see the child's plan (an owner must
    read what they are to do; who may see plans is not widened for it)."""
    return [u for u in User.objects.filter(is_active=True, agency__isnull=False).select_related("agency")
            .order_by("agency__name", "last_name", "first_name") if has(u, Capability.VIEW_PLANS)]


def owners_note(people: Sequence[User]) -> str:
    """What the form says under its list of owners: who is on it, and which of the partnership's agencies
    have no one on it, so that the coordinator knows whom to ask rather than wonder why the agency the
    roles and responsibilities suggest cannot be chosen."""
    note = "An action is owned by a named person whose role lets them see children's plans."
    held = {u.agency_id for u in people}
    missing = [a.name for a in Agency.objects.filter(is_active=True).exclude(pk__in=held).order_by("name")]
    if missing:
        note += (f" No one in {in_a_list(missing)} has such a role yet: ask an administrator to give someone there one (an agency "
                 "safeguarding manager, say) for the agency to own actions.")
    return note


class ScheduleForm(forms.Form):
    first_on = GovukDateField(label="Date of the first meeting", error_messages={"required": "Enter the date"})
    at = forms.CharField(label="Time", help_text="24-hour clock, for example 14:00", max_length=5,
                         error_messages={"required": "Enter the time"})
    place = forms.CharField(label="Where", max_length=200, error_messages={"required": "Enter where"})
    police_chair = UserChoice(queryset=User.objects.none(), label="Police co-chair", required=False)
    council_chair = UserChoice(queryset=User.objects.none(), label="Council co-chair", required=False)
    count = forms.IntegerField(label="How many meetings", initial=1, min_value=1, max_value=26,
                               help_text="More than one schedules a series")
    every_weeks = forms.IntegerField(label="Every how many weeks", initial=2, min_value=1, max_value=12)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Only those who may open the meeting's page (its agenda, its minutes to approve) are offered.
        active = User.objects.filter(is_active=True, role__in=roles_with(Capability.VIEW_MEETINGS)).select_related(
            "agency").order_by("last_name")
        self.fields["police_chair"].queryset = active.filter(agency__kind=AgencyKind.POLICE)  # type: ignore[attr-defined]
        self.fields["council_chair"].queryset = active.filter(agency__kind=AgencyKind.COUNCIL)  # type: ignore[attr-defined]

    def clean_at(self) -> dt.time:
        return time_of(self.cleaned_data["at"])

    def first_at(self) -> dt.datetime:
        return dt.datetime.combine(self.cleaned_data["first_on"], self.cleaned_data["at"], tzinfo=ENGLAND)


class AttendanceForm(forms.Form):
    def __init__(self, *args: Any, agencies: list[Agency], initial_by_agency: dict[int, tuple[str, str]],
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.agencies = agencies
        for agency in agencies:
            status, names = initial_by_agency.get(agency.pk, (AttendanceStatus.ABSENT, ""))
            self.fields[f"status_{agency.pk}"] = forms.ChoiceField(
                label=agency.name, choices=AttendanceStatus.choices, widget=forms.RadioSelect, initial=status)
            self.fields[f"names_{agency.pk}"] = forms.CharField(
                label=f"Who came for {agency.name}", required=False, max_length=400, initial=names)

    def entries(self) -> dict[int, tuple[str, str]]:
        return {a.pk: (self.cleaned_data[f"status_{a.pk}"], self.cleaned_data[f"names_{a.pk}"])
                for a in self.agencies}


ACTION_ROWS = 3


class DiscussionForm(forms.Form):
    summary = forms.CharField(label="What the panel discussed", widget=forms.Textarea, max_length=10_000,
                              error_messages={"required": "Summarise the discussion"})
    child_views = forms.CharField(
        label="What the child wants: their wishes and feelings", widget=forms.Textarea, required=False, max_length=4000,
        help_text="In the child's own words where they gave them, and who asked them. If no one has asked, say why.")
    decision = forms.ChoiceField(label="The panel's decision", choices=PanelDecision.choices, widget=forms.RadioSelect,
                                 error_messages={"required": "Choose the panel's decision"})
    confirmed_level = forms.ChoiceField(label="Risk level the panel confirmed", required=False)
    level_reasons = forms.CharField(label="The panel's reasons for the level", widget=forms.Textarea, required=False,
                                    max_length=4000)
    downgrade_reason = forms.CharField(
        label="If the level is lower than the one in force, why", widget=forms.Textarea, required=False,
        max_length=4000, help_text="A lower level may need a second MACE coordinator's approval before it applies")
    goals = forms.CharField(label="Goals of the plan", widget=forms.Textarea, required=False, max_length=4000,
                            help_text="One a line")
    outcome = forms.ChoiceField(label="If closing the plan: its outcome", required=False,
                                choices=[("", "Not closing"), *list(PlanOutcome.choices)])

    def __init__(self, *args: Any, levels: list[tuple[str, str]], steps: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["confirmed_level"].choices = [("", "Not confirmed at this meeting"), *levels]  # type: ignore[attr-defined]
        people = owners()
        self.owners_note = owners_note(people)  # shown once, above the action rows
        for n in range(1, ACTION_ROWS + 1):
            self.fields[f"action_{n}"] = forms.CharField(label=f"Action {n}", required=False, max_length=4000)
            self.fields[f"step_{n}"] = forms.ChoiceField(label=f"Kind of action {n}", required=False,
                                                         choices=[("", "Choose a kind"), *steps])
            self.fields[f"owner_{n}"] = UserChoice(queryset=User.objects.filter(pk__in=[u.pk for u in people])
                                                   .select_related("agency").order_by("agency__name", "last_name"),
                                                   label=f"Owner of action {n}", required=False,
                                                   empty_label="Choose the person")
            self.fields[f"due_{n}"] = GovukDateField(label=f"Action {n} due by", required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for n in range(1, ACTION_ROWS + 1):
            # A row with an owner, a kind or a date but no words is not dropped without a word.
            if not data.get(f"action_{n}", "").strip() and any(data.get(f"{part}_{n}") for part in ("step", "owner", "due")):
                self.add_error(f"action_{n}", f"Say what action {n} is, or clear its other boxes")
        return data

    def action_rows(self) -> list[tuple[str, User | None, dt.date | None, str]]:
        rows = []
        for n in range(1, ACTION_ROWS + 1):
            text = self.cleaned_data.get(f"action_{n}", "").strip()
            if text:
                rows.append((text, self.cleaned_data.get(f"owner_{n}"), self.cleaned_data.get(f"due_{n}"),
                             self.cleaned_data.get(f"step_{n}", "")))
        return rows

    def action_fields(self) -> list[list[forms.BoundField]]:
        return [[self[f"{name}_{n}"] for name in ("action", "step", "owner", "due")] for n in range(1, ACTION_ROWS + 1)]


class MinutesForm(forms.Form):
    minutes = forms.CharField(label="Minutes", widget=forms.Textarea, max_length=50_000,
                              error_messages={"required": "Write the minutes"})


class PoliceMinutesForm(forms.Form):
    """The police-only part of the minutes: one box for the meeting as a whole, one for each child on
    the agenda (``items``: the agenda item's id and whom it is about)."""

    def __init__(self, *args: Any, items: Sequence[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["meeting"] = forms.CharField(
            label="The meeting as a whole", widget=forms.Textarea(attrs={"rows": 5}), required=False,
            max_length=50_000, help_text="Operations, and intelligence about suspects, vehicles and places")
        for pk, about in items:
            self.fields[f"item_{pk}"] = forms.CharField(
                label=f"About {about}", widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=10_000)

    def texts(self) -> dict[int | None, str]:
        """Each part's text by agenda item id (``None``: the meeting as a whole)."""
        return {None if name == "meeting" else int(name.removeprefix("item_")): value
                for name, value in self.cleaned_data.items()}


class AddendumForm(forms.Form):
    text = forms.CharField(label="Addendum", widget=forms.Textarea, max_length=10_000,
                           help_text="A correction or addition, kept beside the locked minutes",
                           error_messages={"required": "Write the addendum"})

    def __init__(self, *args: Any, police: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if police:  # offered to the police's members of the panel only
            self.fields["police_only"] = forms.BooleanField(
                label="Police only: add to the police-only minutes, read only by the police's members of the panel",
                required=False)

    @staticmethod
    def asks_police_only(data: Mapping[str, Any]) -> bool:
        """Whether the box was sent ticked, offered or not: one asked for by someone it is not offered to (a
        form made by hand) goes to the service, which refuses it, rather than into the minutes every member
        reads as the writer did not mean."""
        return bool(forms.BooleanField(required=False).clean(data.get("police_only")))


class AgendaAddForm(forms.Form):
    person = forms.CharField(label="Hub reference of the child or adult", help_text="For example P0000123",
                             max_length=12, error_messages={"required": "Enter the hub reference"})
    note = forms.CharField(label="Why should the panel discuss them", widget=forms.Textarea, max_length=4000,
                           error_messages={"required": "Say why the panel should discuss them"})

    def clean_person(self) -> int:
        number = typed_reference(self.cleaned_data["person"])
        if number is None:
            raise forms.ValidationError("Enter a hub reference like P0000123")
        return number


class ActionForm(forms.Form):
    description = forms.CharField(label="What will be done", widget=forms.Textarea, max_length=4000,
                                  error_messages={"required": "Describe the action"})
    step = forms.ChoiceField(label="Kind of action", required=False)
    owner = UserChoice(queryset=User.objects.none(), label="Owner", required=False, empty_label="Choose the person",
                       help_text="The named person who will do it")
    due_on = GovukDateField(label="Due by", required=False,
                            help_text="A weekend or bank holiday moves to the next working day")
    once = once_field()

    def __init__(self, *args: Any, steps: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["step"].choices = [("", "Choose a kind"), *steps]  # type: ignore[attr-defined]
        people = owners()
        self.fields["owner"].queryset = User.objects.filter(  # type: ignore[attr-defined]
            pk__in=[u.pk for u in people]).select_related("agency").order_by("agency__name", "last_name")
        self.fields["owner"].help_text = f"The named person who will do it. {owners_note(people)}"


class NoteForm(forms.Form):
    text = forms.CharField(label="Progress note", widget=forms.Textarea, max_length=4000,
                           error_messages={"required": "Write the progress note"})


class CompleteForm(forms.Form):
    outcome = forms.CharField(label="What was done, and what came of it", widget=forms.Textarea, max_length=4000,
                              error_messages={"required": "Say what was done and what came of it"})


class CloseForm(forms.Form):
    outcome = forms.ChoiceField(label="Outcome", choices=PlanOutcome.choices, widget=forms.RadioSelect,
                                required=False)
    reason = forms.CharField(label="Why the plan is closing", widget=forms.Textarea, max_length=4000, required=False)


class ReopenForm(forms.Form):
    reason = forms.CharField(label="Why the plan is being reopened", widget=forms.Textarea, max_length=4000,
                             required=False)


class GoalForm(forms.Form):
    text = forms.CharField(label="New goal", widget=forms.Textarea, max_length=4000,
                           error_messages={"required": "Describe the goal"})
    once = once_field()


class AllocateForm(forms.Form):
    worker = UserChoice(queryset=User.objects.none(), label="Allocate to", empty_label="Choose the worker",
                        error_messages={"required": "Choose the worker"})

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        workers = User.objects.filter(is_active=True, agency__isnull=False).select_related("agency")
        if has(user, Capability.MANAGE_AGENCY_WORK) and not has(user, Capability.TRIAGE):
            workers = workers.filter(agency_id=user.agency_id or 0)
        self.fields["worker"].queryset = workers.filter(  # type: ignore[attr-defined]
            pk__in=[u.pk for u in workers if has(u, Capability.VIEW_PERSON)]).order_by("agency__name", "last_name")


# --- filters of the panel's lists (issue 16) -------------------------------------------------------

_CHILD_HINT = "Name or hub reference, for example P0000239"


class MeetingFilters(ListFilters):
    show = forms.ChoiceField(label="Meetings", required=False, widget=forms.RadioSelect,
                             choices=[("coming", "To come"), ("past", "Past")])
    status = forms.MultipleChoiceField(label="Status", required=False, choices=MeetingStatus.choices,
                                       widget=forms.CheckboxSelectMultiple)


class PlanFilters(ListFilters):
    status = forms.ChoiceField(label="Plans", required=False, widget=forms.RadioSelect,
                               choices=[("open", "Open"), ("closed", "Closed"), ("all", "Open and closed")])
    review = forms.ChoiceField(label="Review", required=False, widget=forms.RadioSelect,
                               choices=[("overdue", "Review overdue"), ("soon", "Review due in the next 2 weeks")])
    child = forms.CharField(label="Child", required=False, max_length=100, help_text=_CHILD_HINT)


class WorkActionFilters(ListFilters):
    due = forms.ChoiceField(label="Due", required=False, widget=forms.RadioSelect,
                            choices=[("overdue", "Overdue"), ("week", "Due in the next 7 days")])
    child = forms.CharField(label="Child", required=False, max_length=100, help_text=_CHILD_HINT)
