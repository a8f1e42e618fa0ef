"""The audit trail. Each row carries the hash of the row before it, so an edit, a deletion or an
insertion out of order breaks the chain and ``safeguarding audit verify`` names the first bad row.
The database refuses UPDATE and DELETE on the table (triggers in the migration); nothing in the
product edits or deletes an audit row."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class AuditEventType(models.IntegerChoices):
    """Numbered in ranges per area. Each member's label says what it records."""

    # 100-199 signing in and out
    SIGNED_IN = 101, "Signed in"
    SIGN_IN_FAILED = 102, "Sign-in failed (wrong username or password)"
    SIGNED_OUT = 103, "Signed out"
    # 200-299 reading records about people
    PERSON_VIEWED = 201, "Viewed a person's record (the single view)"
    PERSON_SEARCHED = 202, "Searched for a person"
    CONCERN_VIEWED = 203, "Viewed a concern"
    AUDIT_TRAIL_VIEWED = 204, "Viewed the audit trail"
    PERSONS_LISTED = 205, "Viewed a page listing people (a queue, a list or search results)"
    # 300-399 concerns and front-door decisions
    CONCERN_RAISED = 301, "Raised a concern"
    TRIAGE_DECISION_RECORDED = 302, "Recorded a front-door decision on a concern"
    PERSON_RECORDED = 303, "Recorded a new person in the hub"
    # 400-499 bulk data in and out
    EXTRACT_IMPORTED = 401, "Imported an agency extract"
    DATA_EXPORTED = 402, "Exported data from the hub"
    # 500-599 administration
    AGENCY_CREATED = 501, "Created an agency"
    AGENCY_CHANGED = 502, "Changed an agency"
    USER_CREATED = 503, "Created a user"
    USER_CHANGED = 504, "Changed a user (role, agency, active)"
    SOURCE_SYSTEM_REGISTERED = 505, "Registered a source system"
    # 600-699 record linkage
    LINKAGE_RUN = 601, "Ran record linkage (persons joined or split)"
    MATCH_DECIDED = 602, "Decided whether two records are the same person"
    MATCH_DECISION_UNDONE = 603, "Undid a match decision"
    MATCH_REVIEW_VIEWED = 604, "Viewed a pair of records for match review"
    # 700-799 screening for risk of exploitation
    SCREENING_TOOL_CHANGED = 701, "Changed the screening tool (a new version)"
    SCREENING_COMPLETED = 702, "Completed a screening of a child"
    SCREENING_DOWNGRADE_APPROVED = 703, "Approved lowering a child's risk level"
    SCREENING_DOWNGRADE_REFUSED = 704, "Refused to approve lowering a child's risk level"
    SCREENING_STARTED = 705, "Started or saved a draft screening of a child"
    # 800-899 early warning and the exploitation panel
    RULE_CHANGED = 801, "Added, changed or switched off an early-warning rule"
    SCAN_RUN = 802, "Scanned agency records with the early-warning rules"
    ALERT_ACTIONED = 803, "Acknowledged, dismissed or acted on an early-warning alert"
    ALERT_VIEWED = 804, "Viewed an early-warning alert"
    PANEL_REFERRAL_MADE = 805, "Referred a child to the exploitation panel (MACE)"
    PANEL_REFERRAL_CLOSED = 806, "Closed a child's panel referral (plan ended)"
    RULE_BACKTESTED = 807, "Tested a draft early-warning rule against history"
    PANEL_REFERRAL_VIEWED = 808, "Viewed a child's panel referral"
    # 900-1099 intervene: panel meetings, plans, actions, statutory clocks, escalation, work lists
    MEETING_SCHEDULED = 901, "Scheduled panel meetings"
    MEETING_AGENDA_CHANGED = 902, "Built or changed a panel meeting's agenda"
    MEETING_ATTENDANCE_RECORDED = 903, "Recorded who attended a panel meeting"
    MEETING_DISCUSSION_RECORDED = 904, "Recorded the panel's discussion and decision about a child"
    MINUTES_DRAFTED = 905, "Drafted a panel meeting's minutes"
    MINUTES_APPROVED = 906, "Approved and locked a panel meeting's minutes"
    MINUTES_ADDENDUM = 907, "Added an addendum to locked minutes"
    MEETING_VIEWED = 908, "Viewed a panel meeting"
    MEETING_CANCELLED = 909, "Cancelled a panel meeting"
    PLAN_OPENED = 910, "Opened a child's multi-agency plan"
    PLAN_CHANGED = 911, "Changed a multi-agency plan (a goal, the review date)"
    PLAN_CLOSED = 912, "Closed a multi-agency plan"
    PLAN_REOPENED = 913, "Reopened a multi-agency plan"
    PLAN_VIEWED = 914, "Viewed a multi-agency plan"
    ACTION_CREATED = 920, "Agreed an action on a plan"
    ACTION_PROGRESS_NOTED = 921, "Added a progress note to an action"
    ACTION_COMPLETED = 922, "Completed an action"
    ACTION_VIEWED = 923, "Viewed an action"
    CLOCKS_COMPUTED = 930, "Worked out the statutory clocks from events and decisions"
    CASEWORK_STEP_RECORDED = 931, "Recorded a strategy discussion, conference, assessment or NRM step"
    RETURN_HOME_INTERVIEW_RECORDED = 932, "Recorded a return home interview, or why none was held"
    ESCALATED = 940, "Escalated an overdue action or clock"
    REMINDERS_SENT = 941, "Sent reminders of actions due soon"
    RACI_CHANGED = 950, "Changed the roles and responsibilities matrix (a new version)"
    ALLOCATED = 960, "Allocated a concern, alert or child to a named worker"


def audit_event_type_choices() -> list[tuple[int, str]]:
    """The event types, given to the field as a callable: the list grows with each room, and a new
    type needs no migration of the append-only table (the column is an integer either way)."""
    return AuditEventType.choices


class AuditEvent(models.Model):
    """One entry of the trail. Who acted (actor) is kept apart from what was affected (target)."""

    sequence = models.PositiveBigIntegerField(unique=True)
    occurred_at = models.DateTimeField()
    event_type = models.PositiveSmallIntegerField(choices=audit_event_type_choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Kept as text as well, so the trail still reads after a user is renamed or deactivated,
    # and to name who tried to sign in when no such user exists.
    actor_label = models.CharField(max_length=300)
    actor_agency = models.CharField(max_length=60, blank=True)
    target_kind = models.CharField(max_length=60, blank=True)
    target_id = models.CharField(max_length=120, blank=True)
    person_id = models.BigIntegerField(null=True, blank=True, help_text="the person the event concerns, if any")
    reason = models.TextField(blank=True)
    detail = models.JSONField(default=dict)
    ip_address = models.CharField(max_length=45, blank=True)
    previous_hash = models.CharField(max_length=64)
    row_hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["sequence"]
        indexes = [models.Index(fields=["person_id", "occurred_at"]), models.Index(fields=["event_type"])]

    def __str__(self) -> str:
        return f"#{self.sequence} {self.get_event_type_display()} by {self.actor_label}"


class AuditChainHead(models.Model):
    """One row: the last sequence number and hash. Locking it serialises appends, and it lets
    verify notice rows deleted from the end of the trail."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    sequence = models.PositiveBigIntegerField(default=0)
    row_hash = models.CharField(max_length=64, default="0" * 64)

    def __str__(self) -> str:
        return f"Audit chain head at row {self.sequence}"
