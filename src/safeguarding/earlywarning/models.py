"""Early-warning rules (data, not code), the alerts they raise, and the scans that raise them."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils import timezone

from safeguarding.people.models import Event, Person, restricted_events


class RuleKind(models.TextChoices):
    """The shapes a rule can take. Each kind reads its own parameters (see ``rules.py``)."""

    REPEATED = "repeated", "The same kind of event repeated within a window"
    AGENCIES = "agencies", "Events recorded by several different agencies within a window"
    TOGETHER = "together", "An event with another kind of event close to it"
    UNDER_AGE = "under_age", "An event while the child was under an age"
    COMBINATION = "combination", "Several different indicators within a window"
    SHARED_CONTACT = "shared_contact", "Linked to an adult, vehicle, phone or place of another child at risk"
    NO_FOLLOW_UP = "no_follow_up", "An expected follow-up not recorded in time"
    SCORE = "score", "Weighted signs adding up within a window (the strength of the evidence)"
    # Raised by network analysis (the contexts room) when links are built, not by the scan.
    NEW_LINK = "new_link", "A new link found by network analysis"


# Kinds the scan does not evaluate: another room raises their alerts through ``services``.
RAISED_ELSEWHERE = (RuleKind.NEW_LINK,)

# How an explanation's line about a link to another child ends (``scan._Explainer._note``): the lines
# a reader who does not see networks is not shown (``selectors.without_links``).
LINK_NOTE_ENDING = ", a child already alerted."
# How an explanation's line about an event held on another person's record that names the child ends (police
# intelligence on an adult's record: ``scan._Explainer``): it says that someone else's record names the child,
# so it too is for readers who see networks only (``selectors.without_links``: a concern raised from the alert and
# the child's subject access bundle are told only that it rests on police intelligence and whom to ask), and never
# in a file that leaves the hub.
NAMED_NOTE_ENDING = ", held on another person's record that names this child."


class AlertLevel(models.TextChoices):
    HIGH = "high", "High"
    MEDIUM = "medium", "Medium"
    LOW = "low", "Low"


LEVEL_RANK = {AlertLevel.HIGH: 3, AlertLevel.MEDIUM: 2, AlertLevel.LOW: 1}


class Rule(models.Model):
    """One early-warning rule. Administrators add, change and switch rules off in the hub's pages;
    each change is kept as a ``RuleVersion``, and each alert remembers the version that raised it."""

    code = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=200)
    description = models.TextField(max_length=4000, blank=True, help_text="what the pattern means, for the people who see its alerts")
    kind = models.CharField(max_length=30, choices=RuleKind.choices)
    params = models.JSONField(default=dict)
    level = models.CharField(max_length=10, choices=AlertLevel.choices, default=AlertLevel.MEDIUM)
    enabled = models.BooleanField(default=True)
    version = models.PositiveIntegerField(default=1)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    changed_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class RuleVersion(models.Model):
    """A rule as it stood after one change: so an alert can always be explained by the rule that raised it."""

    rule = models.ForeignKey(Rule, on_delete=models.PROTECT, related_name="versions")
    version = models.PositiveIntegerField()
    snapshot = models.JSONField()
    change_note = models.TextField(max_length=4000, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    changed_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["rule", "version"], name="unique_rule_version")]
        ordering = ["rule", "-version"]

    def __str__(self) -> str:
        return f"{self.rule_id} v{self.version}"


class ScanRun(models.Model):
    """One run of ``safeguarding scan``: what it read, what it raised, how long it took."""

    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    as_of = models.DateTimeField(null=True, blank=True, help_text="scan the data as it stood at this moment")
    incremental = models.BooleanField(default=False)
    events_scanned = models.PositiveIntegerField(default=0)
    events_new = models.PositiveIntegerField(default=0)
    events_set_aside = models.PositiveIntegerField(
        default=0, help_text="events dated after the moment scanned, reported and not used"
    )
    children_scanned = models.PositiveIntegerField(default=0)
    alerts_raised = models.PositiveIntegerField(default=0)
    evidence_added = models.PositiveIntegerField(default=0)
    last_event_id = models.PositiveBigIntegerField(default=0, help_text="the newest event this scan read")
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"Scan {self.pk} at {self.started_at:%Y-%m-%d %H:%M}"


class RuleTestStatus(models.TextChoices):
    QUEUED = "queued", "Waiting to start"
    RUNNING = "running", "Running"
    FINISHED = "finished", "Finished"
    FAILED = "failed", "Failed"


RULE_TEST_SILENCE = dt.timedelta(hours=1)


class RuleTest(models.Model):
    """An administrator's *Test against history* of a draft rule: run in the background (it reads
    every event the hub holds), with its progress and, when done, what the draft would have done
    beside the rule as it is. Nothing about a rule is saved by testing it."""

    rule = models.ForeignKey(
        Rule, on_delete=models.CASCADE, null=True, blank=True, related_name="tests",
        help_text="the rule being changed; empty for a new rule",
    )
    kind = models.CharField(max_length=30, choices=RuleKind.choices)
    # The draft as the administrator typed it (name, description, level, enabled, params...), so the
    # form can be shown again with the draft in it, and the specs as the scanner reads them.
    form_data = models.JSONField(default=dict)
    draft = models.JSONField(help_text="the draft rule, validated")
    current = models.JSONField(null=True, blank=True, help_text="the rule as it was when the test started")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField()
    status = models.CharField(max_length=20, choices=RuleTestStatus.choices, default=RuleTestStatus.QUEUED)
    stage = models.CharField(max_length=200, blank=True)
    events_read = models.PositiveBigIntegerField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    progress_at = models.DateTimeField(null=True, blank=True, help_text="when the test last moved on a stage")
    finished_at = models.DateTimeField(null=True, blank=True)
    results = models.JSONField(null=True, blank=True, help_text="the draft's figures, then the current rule's")
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-requested_at"]

    def __str__(self) -> str:
        return f"Test {self.pk} of {self.draft.get('code', 'a draft')} ({self.status})"

    @property
    def is_done(self) -> bool:
        return self.status in (RuleTestStatus.FINISHED, RuleTestStatus.FAILED) or self.has_stopped

    @property
    def has_stopped(self) -> bool:
        """Not finished, and nothing heard of it for an hour: the server stopped while it ran or
        waited (each stage of a test of five million events takes under a minute)."""
        if self.status in (RuleTestStatus.FINISHED, RuleTestStatus.FAILED):
            return False
        last = self.progress_at or self.requested_at
        return timezone.now() - last > RULE_TEST_SILENCE


class AlertStatus(models.TextChoices):
    OPEN = "open", "New"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    CONCERN_RAISED = "concern_raised", "Turned into a concern"
    REFERRED = "referred", "Referred to the panel"
    DISMISSED = "dismissed", "Dismissed"


OPEN_STATUSES = (AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED)


class Alert(models.Model):
    """A rule fired for a child. ``raised_at`` is the moment in the data when it would have fired
    (the event that tipped it over), not when the scan ran. One alert per episode of a pattern:
    later events that continue the same episode are added to it as evidence."""

    # The rule, its trigger and the person are found through the indexes that hold them (the unique
    # rule-and-trigger constraint, person-and-rule); one index less is one less to write for each
    # of the hundreds of thousands of alerts a first scan of a large area raises.
    rule = models.ForeignKey(Rule, on_delete=models.PROTECT, related_name="alerts", db_index=False)
    rule_version = models.PositiveIntegerField()
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="alerts", db_index=False)
    level = models.CharField(max_length=10, choices=AlertLevel.choices)
    raised_at = models.DateTimeField()
    trigger_event = models.ForeignKey(Event, on_delete=models.PROTECT, related_name="+", db_index=False)
    # Why it was raised, in words every casework reader may see: police intelligence that may not go
    # beyond the police is counted, never described, and a link resting on it is left out.
    explanation = models.TextField()
    # The same with that intelligence described, for readers who may see it (police casework staff);
    # empty when it would say nothing more. Chosen per reader by selectors.alert_explanation.
    explanation_restricted = models.TextField(blank=True)
    created_at = models.DateTimeField()
    evidence_updated_at = models.DateTimeField(help_text="when a scan last added evidence")
    status = models.CharField(max_length=20, choices=AlertStatus.choices, default=AlertStatus.OPEN)
    status_note = models.TextField(max_length=4000, blank=True, help_text="why it was dismissed, or what was done")
    actioned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    actioned_at = models.DateTimeField(null=True, blank=True)
    concern = models.ForeignKey(
        "frontdoor.Concern", on_delete=models.PROTECT, null=True, blank=True, related_name="alerts"
    )
    new_evidence_since_action = models.BooleanField(default=False)
    evidence_count = models.PositiveIntegerField(default=0, help_text="how many events the alert names")
    score = models.PositiveIntegerField(
        null=True, blank=True, help_text="for a rule that weighs signs: the most points its evidence has added up to"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["rule", "trigger_event"], name="one_alert_per_rule_and_trigger"),
        ]
        indexes = [
            models.Index(fields=["status", "raised_at"]),
            models.Index(fields=["person", "rule"]),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def reference(self) -> str:
        return f"A{self.pk:06d}"

    @property
    def level_rank(self) -> int:
        return LEVEL_RANK.get(AlertLevel(self.level), 0)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def needs_action(self) -> bool:
        """Open, or dealt with but given new evidence by a later scan."""
        return self.is_open or self.new_evidence_since_action


class AlertEvidence(models.Model):
    """An agency's event that is part of the pattern an alert names."""

    # An alert's evidence is found through the unique alert-and-event index; nothing looks evidence
    # up by event or by scan (and events are never deleted). A first scan of a large area writes
    # millions of rows at once, and an index on the event, written in no order, tripled its cost
    # on SQLite: no index is kept that nothing reads. Nor is the database asked to check the event:
    # PostgreSQL checks a foreign key by locking the row it names, so two million pieces of
    # evidence locked (and wrote to) two million events at commit, 40 s of a first scan. The scan
    # names only events it has just read, and events are never deleted (docs/decisions.md).
    alert = models.ForeignKey(Alert, on_delete=models.PROTECT, related_name="evidence", db_index=False)
    event = models.ForeignKey(
        Event, on_delete=models.PROTECT, related_name="+", db_index=False, db_constraint=False
    )
    added_at = models.DateTimeField()
    scan = models.ForeignKey(
        ScanRun, on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    # Whether the event stayed with the police when the alert's words were last written: the shared
    # words then counted it at most, never described it. An event the police mark C later, not so
    # written, may be described in them (``remarked_since_written``).
    police_only_when_written = models.BooleanField(default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["alert", "event"], name="unique_alert_evidence")]

    def __str__(self) -> str:
        return f"{self.alert_id}: {self.event_id}"


def evidence_remarked_since_written() -> models.QuerySet[AlertEvidence]:
    """Evidence that stays with the police now (``people.models.restricted_events``, as the event is
    marked now) and did not when its alert's words were last written: those words may describe it."""
    return AlertEvidence.objects.filter(restricted_events("event__"), police_only_when_written=False)


PRECISION_YEARS = 2


class RulePrecision(models.Model):
    """How precise one version of a rule has been in back-testing, at one level of its alerts: of
    the children it would have flagged in the two years before ``as_of`` who had not been referred
    yet, how many were referred later. Worked out by ``backtest.precision_of_rules`` over all the
    history the hub holds, again whenever asked (referrals keep arriving), each time as a new row:
    an alert shows the latest figures of the version that raised it.

    A rule that weighs signs has a row for its alerts at any strength (its own level) and one for
    those that reached its high mark (counted from the moment they reached it)."""

    rule = models.ForeignKey(Rule, on_delete=models.PROTECT, related_name="precisions")
    version = models.PositiveIntegerField()
    level = models.CharField(max_length=10, choices=AlertLevel.choices)
    as_of = models.DateTimeField(help_text="the history as it stood at this moment")
    since = models.DateTimeField(help_text="children flagged from this moment to as_of count")
    computed_at = models.DateTimeField()
    children_flagged = models.PositiveIntegerField()
    referred_later = models.PositiveIntegerField(help_text="flagged before anyone referred them, and referred since")
    referred_before = models.PositiveIntegerField(help_text="already referred when flagged: not counted in the share")
    never_referred = models.PositiveIntegerField()
    median_days_before_referral = models.FloatField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["rule", "version", "level", "computed_at"])]
        ordering = ["rule", "-version", "-computed_at"]

    def __str__(self) -> str:
        return f"{self.rule_id} v{self.version} {self.level}: {self.referred_later}/{self.judged}"

    @property
    def judged(self) -> int:
        """Children flagged who had not been referred yet: those the share is of."""
        return self.referred_later + self.never_referred

    @property
    def share(self) -> float | None:
        return self.referred_later / self.judged if self.judged else None

    @property
    def percent(self) -> int | None:
        share = self.share
        return None if share is None else round(100 * share)


class StoredMissedOpportunities(models.Model):
    """The missed-opportunity report as last worked out (``earlywarning.missed``), kept so that the
    page reads it instead of evaluating every rule over the partnership's history on each visit.

    ``fingerprint`` sums up everything the report is worked out from (the panel referrals and other
    referrals, the switched-on rules and their versions, the newest event, alert, person change and
    source record); the page uses the stored report only while the fingerprint still matches, so it
    is never out of date. One row is kept. It holds restricted police intelligence marked as such,
    as the report does; the selectors leave it undescribed to readers who may not see it."""

    fingerprint = models.CharField(max_length=64)
    computed_at = models.DateTimeField()
    seconds = models.FloatField(help_text="how long working it out took")
    payload = models.JSONField()

    def __str__(self) -> str:
        return f"missed opportunities {self.computed_at:%Y-%m-%d %H:%M} ({self.fingerprint[:8]})"
