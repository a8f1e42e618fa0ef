"""The exploitation panel at work (MACE): meetings with their agendas, attendance, discussions and
minutes (with their police-only part, and every earlier draft of both kept); each child's
multi-agency plan with its goals and actions, owned by an agency and a named person with a due
date; escalations of what is overdue; the partnership's roles and responsibilities matrix; and
work allocated to named workers.

Everything here is recorded about a child id and read through the child's identity
(``identity.same_person``): nothing moves when persons merge. Minutes once approved are locked: a
correction is an addendum, never an edit (the services refuse, and the approved record is kept
with its hash, so a change made behind the hub's back is evident)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from safeguarding.accounts.models import Agency
from safeguarding.clocks.models import CaseworkStep, StatutoryClock
from safeguarding.earlywarning.models import Alert
from safeguarding.frontdoor.models import Concern
from safeguarding.panel.models import PanelReferral
from safeguarding.people.models import Event, Person
from safeguarding.screening.models import ScreeningAssessment


class MeetingStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    HELD = "held", "Held: minutes to draft"
    MINUTES_DRAFTED = "minutes_drafted", "Minutes awaiting a co-chair's approval"
    LOCKED = "locked", "Minutes approved and locked"
    CANCELLED = "cancelled", "Cancelled"


class PanelMeeting(models.Model):
    series = models.CharField(max_length=40, blank=True, help_text="meetings scheduled together as a series")
    scheduled_for = models.DateTimeField()
    place = models.CharField(max_length=200)
    police_chair = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    council_chair = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=20, choices=MeetingStatus.choices, default=MeetingStatus.SCHEDULED)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    agenda_built_at = models.DateTimeField(null=True, blank=True)
    held_at = models.DateTimeField(null=True, blank=True)
    minutes = models.TextField(blank=True)
    minutes_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    minutes_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    # The whole meeting as approved (attendance, discussions, decisions, actions, minutes) and its
    # SHA-256: what the partnership agreed, kept as it was.
    approved_record = models.JSONField(null=True, blank=True)
    approved_hash = models.CharField(max_length=64, blank=True)
    cancelled_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["scheduled_for", "pk"]
        indexes = [models.Index(fields=["status", "scheduled_for"])]

    def __str__(self) -> str:
        return self.reference

    @property
    def reference(self) -> str:
        return f"M{self.pk:05d}"

    @property
    def is_locked(self) -> bool:
        return self.status == MeetingStatus.LOCKED

    @property
    def chairs(self) -> tuple[int, int]:
        return (self.police_chair_id, self.council_chair_id)


class AgendaReason(models.TextChoices):
    NEW_REFERRAL = "new_referral", "New referral"
    REVIEW_DUE = "review_due", "Review due"
    NOT_REDUCING_RISK = "not_reducing_risk", "Review due: the plan is not reducing risk"
    ADDED = "added", "Added by the coordinator"


class AgendaItem(models.Model):
    meeting = models.ForeignKey(PanelMeeting, on_delete=models.PROTECT, related_name="items")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=30, choices=AgendaReason.choices)
    referral = models.ForeignKey(PanelReferral, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    note = models.TextField(blank=True, help_text="why the coordinator added it")
    position = models.PositiveIntegerField(default=0)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["position", "pk"]
        constraints = [models.UniqueConstraint(fields=["meeting", "person"], name="one_agenda_item_per_person")]

    def __str__(self) -> str:
        return f"{self.meeting_id}: {self.person_id} ({self.reason})"


class AttendanceStatus(models.TextChoices):
    ATTENDED = "attended", "Attended"
    APOLOGIES = "apologies", "Sent apologies"
    ABSENT = "absent", "Did not attend"


class Attendance(models.Model):
    meeting = models.ForeignKey(PanelMeeting, on_delete=models.PROTECT, related_name="attendance")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=20, choices=AttendanceStatus.choices)
    names = models.CharField(max_length=400, blank=True, help_text="who came for the agency")

    class Meta:
        ordering = ["agency__name"]
        constraints = [models.UniqueConstraint(fields=["meeting", "agency"], name="one_attendance_per_agency")]

    def __str__(self) -> str:
        return f"{self.agency_id}: {self.status}"


class PanelDecision(models.TextChoices):
    OPEN_PLAN = "open_plan", "Open a multi-agency plan"
    CONTINUE_PLAN = "continue_plan", "Continue the plan"
    CLOSE_PLAN = "close_plan", "Close the plan"
    NO_PLAN = "no_plan", "No plan: support through other services"


class Discussion(models.Model):
    """The panel's discussion of one agenda item: what was said, the decision, and the risk level the
    panel confirmed (put in force through the screening service, so the downgrade rules apply)."""

    item = models.OneToOneField(AgendaItem, on_delete=models.PROTECT, related_name="discussion")
    summary = models.TextField()
    child_views = models.TextField(
        blank=True, help_text="the child's wishes and feelings as the panel heard them, in their words where they gave "
                              "them, and who asked (the voice of the child)")
    decision = models.CharField(max_length=20, choices=PanelDecision.choices)
    confirmed_level = models.CharField(max_length=60, blank=True)
    confirmed_level_name = models.CharField(max_length=120, blank=True)
    confirmed_level_rank = models.IntegerField(null=True, blank=True)
    screening = models.ForeignKey(
        ScreeningAssessment, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        help_text="the screening record through which the confirmed level was put in force",
    )
    plan = models.ForeignKey("Plan", on_delete=models.PROTECT, null=True, blank=True, related_name="discussions")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"Discussion of item {self.item_id}"


class MinutesAddendum(models.Model):
    meeting = models.ForeignKey(PanelMeeting, on_delete=models.PROTECT, related_name="addenda")
    text = models.TextField()
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField()
    police_only = models.BooleanField(
        default=False, help_text="adds to the police-only part: read by the police's members of the panel only"
    )

    class Meta:
        ordering = ["added_at", "pk"]

    def __str__(self) -> str:
        return f"Addendum {self.pk} to {self.meeting_id}"


class PoliceMinutes(models.Model):
    """The police-only part of a meeting's minutes: what the police told the panel (intelligence about
    suspects, operations) that only readers who may see police-only ("C") information read
    (``selectors.sees_police_minutes``). One part for the meeting as a whole (no ``item``) and one for
    each child's discussion that needs it; kept, like the minutes, until approval locks the meeting."""

    meeting = models.ForeignKey(PanelMeeting, on_delete=models.PROTECT, related_name="police_minutes")
    item = models.ForeignKey(
        AgendaItem, on_delete=models.PROTECT, null=True, blank=True, related_name="police_minutes",
        help_text="the child's discussion this part is about; none for the meeting as a whole",
    )
    text = models.TextField()
    written_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    written_at = models.DateTimeField()

    class Meta:
        ordering = ["meeting", "item__position", "item_id", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "item"], condition=models.Q(item__isnull=False),
                                    name="one_police_minutes_per_item"),
            models.UniqueConstraint(fields=["meeting"], condition=models.Q(item__isnull=True),
                                    name="one_police_minutes_per_meeting"),
        ]

    def __str__(self) -> str:
        return f"Police-only minutes {self.pk} of {self.meeting_id}"


class MinutesVersion(models.Model):
    """What a part of the minutes said before a redraft replaced it, kept so that no draft is lost and
    approved minutes cannot be silently rewritten. ``police_part`` is empty for the minutes every
    member reads; a version of a police-only part is read only by those who may read that part."""

    meeting = models.ForeignKey(PanelMeeting, on_delete=models.PROTECT, related_name="minutes_versions")
    police_part = models.ForeignKey(
        PoliceMinutes, on_delete=models.PROTECT, null=True, blank=True, related_name="versions"
    )
    text = models.TextField()
    written_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        help_text="who wrote this draft, where the hub knows",
    )
    written_at = models.DateTimeField()
    replaced_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    replaced_at = models.DateTimeField()
    # An earlier draft of the minutes every member reads that held what the police told the panel (pasted
    # into the wrong part, then redrafted out): the police withhold it from everyone outside them.
    withheld_at = models.DateTimeField(null=True, blank=True)
    withheld_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    withheld_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["replaced_at", "pk"]
        indexes = [models.Index(fields=["meeting", "police_part"])]

    def __str__(self) -> str:
        return f"Minutes version {self.pk} of {self.meeting_id}"


class PlanStatus(models.TextChoices):
    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"


class PlanOutcome(models.TextChoices):
    RISK_REDUCED = "risk_reduced", "Risk reduced: no longer needs a multi-agency plan"
    MOVED_AREA = "moved_area", "Moved to another area (plan handed over)"
    TURNED_18 = "turned_18", "Turned 18: transition to adult services"
    OTHER_PLAN = "other_plan", "Supported through another plan (child protection, child in need)"
    DECLINED = "declined", "Family declined further support"
    OTHER = "other", "Other (say why)"


class Plan(models.Model):
    """A child's multi-agency plan: one open at a time; closing and reopening keep every change."""

    child = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="mace_plans")
    status = models.CharField(max_length=10, choices=PlanStatus.choices, default=PlanStatus.OPEN)
    opened_at = models.DateTimeField()
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    meeting = models.ForeignKey(PanelMeeting, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    review_due_on = models.DateField()
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    outcome = models.CharField(max_length=20, choices=PlanOutcome.choices, blank=True)
    closure_reason = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["child"], condition=models.Q(status="open"), name="one_open_plan_per_child")
        ]
        indexes = [models.Index(fields=["status", "review_due_on"])]

    def __str__(self) -> str:
        return self.reference

    @property
    def reference(self) -> str:
        return f"PL{self.pk:05d}"

    @property
    def is_open(self) -> bool:
        return self.status == PlanStatus.OPEN


# PlanHistory.what for a plan reopened (its review clock starts then), and how it begins for a plan
# closed (which meets the review clocks open then): ``selectors.panel_review_facts``.
PLAN_REOPENED = "Reopened"
PLAN_CLOSED = "Closed: "


class PlanHistory(models.Model):
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="history")
    at = models.DateTimeField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    what = models.CharField(max_length=200)
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.plan_id}: {self.what}"


class PlanGoal(models.Model):
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="goals")
    text = models.TextField()
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField()

    class Meta:
        ordering = ["added_at", "pk"]

    def __str__(self) -> str:
        return self.text[:60]


class ActionStatus(models.TextChoices):
    OPEN = "open", "Open"
    COMPLETED = "completed", "Completed"


class PlanAction(models.Model):
    """Something an agency will do for the child: owned by the agency and a named person, due on a
    working day."""

    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="actions")
    goal = models.ForeignKey(PlanGoal, on_delete=models.PROTECT, null=True, blank=True, related_name="actions")
    discussion = models.ForeignKey(
        Discussion, on_delete=models.PROTECT, null=True, blank=True, related_name="actions",
        help_text="the panel discussion that agreed it",
    )
    description = models.TextField()
    step = models.CharField(max_length=40, blank=True, help_text="the kind of action, as the RACI matrix names it")
    owner_agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="owned_actions")
    due_on = models.DateField()
    due_note = models.CharField(max_length=200, blank=True, help_text="why the due date differs from the one asked for")
    status = models.CharField(max_length=10, choices=ActionStatus.choices, default=ActionStatus.OPEN)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    completed_at = models.DateTimeField(null=True, blank=True)
    outcome = models.TextField(blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["status", "due_on"]),
            models.Index(fields=["owner", "status"]),
            models.Index(fields=["owner_agency", "status"]),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def reference(self) -> str:
        return f"AC{self.pk:06d}"

    @property
    def is_open(self) -> bool:
        return self.status == ActionStatus.OPEN


class ActionNote(models.Model):
    action = models.ForeignKey(PlanAction, on_delete=models.PROTECT, related_name="notes")
    text = models.TextField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"Note on {self.action_id}"


class EscalationLevel(models.IntegerChoices):
    AGENCY_MANAGER = 1, "To the agency's safeguarding manager"
    STRATEGIC = 2, "To the strategic group"


class Escalation(models.Model):
    """An overdue action or clock, escalated: first to the owning agency's safeguarding managers,
    then to the strategic group; or a concern left undecided past its working day: first to the
    front door's team and their agencies' safeguarding managers, then to the strategic group. Each
    level once."""

    action = models.ForeignKey(PlanAction, on_delete=models.PROTECT, null=True, blank=True, related_name="escalations")
    clock = models.ForeignKey(
        StatutoryClock, on_delete=models.PROTECT, null=True, blank=True, related_name="escalations"
    )
    concern = models.ForeignKey(Concern, on_delete=models.PROTECT, null=True, blank=True, related_name="escalations")
    level = models.PositiveSmallIntegerField(choices=EscalationLevel.choices)
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    escalated_at = models.DateTimeField()
    working_days_overdue = models.PositiveIntegerField()

    class Meta:
        ordering = ["-escalated_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["action", "level"], condition=models.Q(action__isnull=False),
                                    name="one_escalation_per_action_level"),
            models.UniqueConstraint(fields=["clock", "level"], condition=models.Q(clock__isnull=False),
                                    name="one_escalation_per_clock_level"),
            models.UniqueConstraint(fields=["concern", "level"], condition=models.Q(concern__isnull=False),
                                    name="one_escalation_per_concern_level"),
        ]
        indexes = [models.Index(fields=["agency", "escalated_at"])]

    def __str__(self) -> str:
        return f"Escalation {self.pk} (level {self.level})"


class RaciVersion(models.Model):
    """One immutable version of the partnership's roles and responsibilities: for each step, which
    kinds of agency are responsible, accountable, consulted and informed. The highest is current."""

    number = models.PositiveIntegerField(unique=True)
    matrix = models.JSONField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField()
    change_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-number"]

    def __str__(self) -> str:
        return f"Roles and responsibilities version {self.number}"


class AllocationKind(models.TextChoices):
    CONCERN = "concern", "Concern"
    ALERT = "alert", "Alert"
    CHILD = "child", "Child"


class Allocation(models.Model):
    """A concern, an alert or a child allocated to a named worker; a new allocation ends the last."""

    kind = models.CharField(max_length=10, choices=AllocationKind.choices)
    concern = models.ForeignKey(Concern, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    alert = models.ForeignKey(Alert, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    child = models.ForeignKey(Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    worker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="allocations")
    allocated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    allocated_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["worker", "ended_at"])]
        # One live allocation of each concern, alert or child: two people allocating it at the same moment
        # would otherwise each end the allocation before theirs (none) and leave two workers holding it.
        constraints = [
            models.UniqueConstraint(fields=[target], condition=models.Q(ended_at__isnull=True, **{f"{target}__isnull": False}),
                                    name=f"one_live_allocation_per_{target}")
            for target in ("concern", "alert", "child")
        ]

    def __str__(self) -> str:
        return f"{self.kind} to {self.worker_id}"


class HealthNotice(models.Model):
    """A health record (A&E, sexual health, pregnancy, self-harm, an injury) of a child on an open
    plan, or subject to a child protection plan, told to the people working with the child: the
    hub's own counterpart of the NHS's child protection information sharing, which tells the council
    when a child on a plan attends urgent care (DOMAIN.md, CP-IS). Once per record and plan."""

    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, null=True, blank=True, related_name="health_notices")
    # For a child protection plan (and no panel plan): the conference that made it.
    conference = models.ForeignKey(CaseworkStep, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    event = models.ForeignKey(Event, on_delete=models.PROTECT, related_name="+")
    told_at = models.DateTimeField()
    told = models.PositiveIntegerField(help_text="how many people were told")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["plan", "event"], name="one_health_notice_per_plan_event"),
            models.UniqueConstraint(fields=["conference", "event"], name="one_health_notice_per_conference_event"),
            models.CheckConstraint(
                condition=models.Q(plan__isnull=False, conference__isnull=True)
                | models.Q(plan__isnull=True, conference__isnull=False),
                name="health_notice_of_one_plan",
            ),
        ]

    def __str__(self) -> str:
        return f"Health notice {self.pk} on {self.plan_id or self.conference_id}"
