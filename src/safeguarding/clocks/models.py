"""Statutory clocks: duties with a deadline, each started by an event or a decision, and the
casework the hub records that starts or meets them.

A clock is a duty for the agencies to chase, not a sign that a child is exploited (DOMAIN.md): the
alerts queue holds risk, the clocks hold compliance. Clocks are worked out again from the events and
decisions (``engine``), set-based; what changes is kept in ``ClockChange``, so a late event that
puts a clock right leaves both states in its history.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from safeguarding.accounts.models import Agency
from safeguarding.people.models import Event, Person


class ClockKind(models.TextChoices):
    """The statutory clocks: those of SPEC.md's clocks.csv, in its words, and a child protection plan's."""

    RETURN_HOME_INTERVIEW = "return_home_interview", "Return home interview within 72 hours"
    INITIAL_CONFERENCE = "initial_child_protection_conference", "Initial child protection conference within 15 working days"
    ASSESSMENT = "assessment", "Assessment completed within 45 working days"
    NRM_REASONABLE_GROUNDS = "nrm_reasonable_grounds", "NRM reasonable grounds decision within 5 working days"
    NRM_CONCLUSIVE_GROUNDS = "nrm_conclusive_grounds", "NRM conclusive grounds decision"
    PANEL_REVIEW = "panel_review", "Panel review"
    # DOMAIN.md's timescales once a conference makes a child protection plan. Not among clocks.csv's
    # kinds (SPEC.md), so that file leaves them out (``exchange.format.CLOCK_KINDS``).
    CORE_GROUP = "core_group", "Core group within 10 working days of the conference"
    REVIEW_CONFERENCE = "review_child_protection_conference", (
        "Review conference within 3 months of the initial conference, then within 6 months of the last"
    )



class ClockStatus(models.TextChoices):
    OPEN = "open", "Not yet due"
    MET = "met", "Met in time"
    MET_LATE = "met_late", "Met late"
    OVERDUE = "overdue", "Overdue"


class StepKind(models.TextChoices):
    """Casework recorded in the hub: what starts or stops a clock, and the visits and direct work in
    which the child is seen and heard (DOMAIN.md: the lead practitioner's visits, the voice of the
    child), which start none."""

    VISIT = "visit", "Visited the child, or did direct work with them"
    STRATEGY_DISCUSSION = "strategy_discussion", "Strategy discussion held"
    INITIAL_CONFERENCE = "initial_child_protection_conference", "Initial child protection conference held"
    NO_CONFERENCE = "no_conference_needed", "Decided no initial child protection conference is needed"
    CORE_GROUP = "core_group", "Core group meeting held"
    REVIEW_CONFERENCE = "review_child_protection_conference", "Review child protection conference held"
    ASSESSMENT_REFERRAL = "assessment_referral", "Referred for assessment"
    ASSESSMENT_COMPLETED = "assessment_completed", "Assessment completed"
    NRM_REFERRAL = "nrm_referral", "Referred to the National Referral Mechanism"
    NRM_REASONABLE_GROUNDS = "nrm_reasonable_grounds", "NRM reasonable grounds decision"
    NRM_CONCLUSIVE_GROUNDS = "nrm_conclusive_grounds", "NRM conclusive grounds decision"
    GUARDIAN_ALLOCATED = "guardian_allocated", "Independent Child Trafficking Guardian allocated"


class CaseworkStep(models.Model):
    """A visit, strategy discussion, conference, core group, assessment or NRM step, recorded by a practitioner, with
    when it happened (which may be earlier than when it was recorded)."""

    child = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="casework_steps")
    kind = models.CharField(max_length=40, choices=StepKind.choices)
    occurred_at = models.DateTimeField()
    positive = models.BooleanField(
        null=True, blank=True,
        help_text="an NRM decision: grounds found (yes) or not; a conference: the child is subject to a child "
                  "protection plan (yes) or not",
    )
    note = models.TextField(blank=True)
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["child", "kind"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.child_id})"

    @property
    def decision(self) -> str:
        """What the step decided, in words ('' when it decides nothing)."""
        if self.positive is None:
            return ""
        if self.kind in CONFERENCE_STEPS:
            return "Child protection plan" if self.positive else "No child protection plan"
        return "Grounds found" if self.positive else "No grounds found"


# The conferences, which decide whether the child is subject to a child protection plan.
CONFERENCE_STEPS = (StepKind.INITIAL_CONFERENCE, StepKind.REVIEW_CONFERENCE)


class InterviewOutcome(models.TextChoices):
    HELD = "held", "Held"
    REFUSED = "refused", "Not held: the child refused"
    NOT_HELD = "not_held", "Not held, for another reason"


class ReturnHomeInterview(models.Model):
    """A return home interview recorded in the hub (or why none was held) after a missing episode.
    What the child said, and the places and people named, are kept for contexts later."""

    child = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="return_home_interviews")
    missing_episode = models.ForeignKey(Event, on_delete=models.PROTECT, related_name="+")
    outcome = models.CharField(max_length=20, choices=InterviewOutcome.choices)
    held_at = models.DateTimeField(help_text="when it was held, or when the decision not to hold it was made")
    interviewer = models.CharField(max_length=200, blank=True)
    child_said = models.TextField(blank=True)
    places_named = models.TextField(blank=True)
    people_named = models.TextField(blank=True)
    reason_not_held = models.TextField(blank=True)
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"Return home interview {self.pk} ({self.get_outcome_display()})"


class StatutoryClock(models.Model):
    """One duty with a deadline. ``start_key`` names what started it (``event:123``, ``step:4``,
    ``decision:5``, ``review:6``): a clock is worked out again from its start, never duplicated."""

    child = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="statutory_clocks")
    kind = models.CharField(max_length=40, choices=ClockKind.choices)
    start_key = models.CharField(max_length=40)
    started_at = models.DateTimeField()
    due_at = models.DateTimeField()
    met_at = models.DateTimeField(null=True, blank=True)
    met_by = models.CharField(max_length=200, blank=True, help_text="what met it, in words")
    # The words name the agency and the event: once the police mark that event C, they are the police's
    # (``selectors.met_shown``), whatever the clock held when it was met.
    met_by_event = models.ForeignKey(
        Event, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        help_text="the agency's event that met it (a return home interview), when one did",
    )
    # As judged when the clocks were last worked out (a clock not met turns overdue with time).
    status = models.CharField(max_length=10, choices=ClockStatus.choices)
    status_at = models.DateTimeField()
    agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        help_text="the agency responsible for meeting it (the roles and responsibilities matrix)",
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "start_key"], name="one_clock_per_start")]
        indexes = [models.Index(fields=["child", "due_at"]), models.Index(fields=["status", "due_at"])]

    def __str__(self) -> str:
        return self.reference

    @property
    def reference(self) -> str:
        return f"K{self.pk:07d}"


class ClockChange(models.Model):
    """A clock's state before and after it was worked out again (history: never overwritten)."""

    clock = models.ForeignKey(StatutoryClock, on_delete=models.PROTECT, related_name="changes")
    at = models.DateTimeField()
    status_before = models.CharField(max_length=10, blank=True)
    status_after = models.CharField(max_length=10)
    due_before = models.DateTimeField(null=True, blank=True)
    due_after = models.DateTimeField()
    met_before = models.DateTimeField(null=True, blank=True)
    met_after = models.DateTimeField(null=True, blank=True)
    note = models.CharField(max_length=200, blank=True)
    event = models.ForeignKey(
        Event, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        help_text="the agency's event the note tells of (what met the clock, or no longer counts)",
    )

    class Meta:
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["clock", "at"])]

    def __str__(self) -> str:
        return f"{self.clock_id}: {self.status_before or 'new'} -> {self.status_after}"


class ClockRun(models.Model):
    """One working out of the clocks: all of them, or only the children with something new."""

    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    incremental = models.BooleanField(default=False)
    # Whether this run looked for decisions, casework and panel reviews written since the last such
    # run (an incremental run), or worked out every child: the next incremental run looks from the
    # start of the last that did. A run for the children a write named (casework recorded, a
    # front-door decision) did not, nor did runs before they were looked for (so the first run after
    # looks at every one, and starts the clocks those runs missed).
    looked_beyond_events = models.BooleanField(default=False)
    last_event_id = models.PositiveBigIntegerField(default=0)
    children = models.PositiveIntegerField(default=0)
    clocks_created = models.PositiveIntegerField(default=0)
    clocks_changed = models.PositiveIntegerField(default=0)
    seconds = models.FloatField(default=0)

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"Clock run {self.pk}"
