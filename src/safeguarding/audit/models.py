"""The audit trail. Each row carries the hash of the row before it, so an edit, a deletion or an
insertion out of order breaks the chain and ``safeguarding audit verify`` names the first bad row; and
an HMAC under a key kept outside the database, so that whoever can write to the database cannot edit a
row and recompute the chain. The latest head is also written outside the database from time to time
(``audit anchor``), so a rewrite of the whole trail is found too. The database refuses UPDATE, DELETE
and TRUNCATE on the table (triggers, audit/triggers.py); nothing in the product edits or deletes an
audit row."""

from __future__ import annotations

from typing import Any

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
    SEARCH_REFUSED = 206, "A search was refused: too many in a short time"
    SEARCHES_FLAGGED = 207, "A run of broad searches was flagged to the data protection officer"
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
    # 809-819 early warning a panel can trust (issue 15): rules' back-tested precision, missed opportunities
    RULE_PRECISION_BACKTESTED = 809, "Back-tested how precise each switched-on early-warning rule has been"
    MISSED_OPPORTUNITIES_VIEWED = 810, "Viewed the missed-opportunity report (children referred, and the signs before)"
    # 1300-1499 survivor support, subject access requests, disclosures, retention, legal hold, sealed records
    SUPPORT_PLAN_OPENED = 1301, "Opened a survivor support plan"
    SUPPORT_PLAN_VIEWED = 1302, "Viewed a survivor support plan"
    SUPPORT_PLAN_RECORDED = 1303, "Recorded on a support plan (a service, referral, contact, goal, words, wish or feedback)"
    SUPPORT_PLAN_TRANSITIONED = 1304, "Moved a support plan on at a transition (18, or a care leaver's 25)"
    SUPPORT_PLAN_CLOSED = 1305, "Closed a survivor support plan"
    CONTACT_WISH_RECORDED = 1306, "Recorded a survivor's wish about being contacted"
    LIVED_EXPERIENCE_READ = 1307, "Read survivors' anonymised lived-experience summaries"
    SUPPORT_PERSON_RECORDED = 1308, "Recorded an adult survivor new to the hub"
    SAR_LOGGED = 1320, "Logged a subject access request"
    SAR_IDENTITY_VERIFIED = 1321, "Verified the identity of a subject access requester"
    SAR_EXTENDED = 1322, "Extended a subject access request's time limit"
    SAR_ASSEMBLED = 1323, "Assembled what the hub holds for a subject access request"
    SAR_REDACTION_DECIDED = 1324, "Accepted or lifted a proposed redaction"
    SAR_BUNDLE_PRODUCED = 1325, "Produced a subject access disclosure bundle"
    SAR_VIEWED = 1326, "Viewed a subject access request"
    SAR_CLOSED = 1327, "Closed a subject access request (sent, withdrawn or refused)"
    SAR_BUNDLE_DOWNLOADED = 1328, "Downloaded a subject access disclosure bundle"
    DISCLOSURE_RECORDED = 1330, "Recorded a disclosure outside the hub, with its lawful basis"
    RECORD_SEALED = 1340, "Sealed a person's record"
    SEAL_REVIEWED = 1341, "Reviewed a sealed record"
    RECORD_UNSEALED = 1342, "Unsealed a person's record"
    BREAK_GLASS = 1343, "Broke the glass to open a sealed record"
    BREAK_GLASS_REVIEWED = 1344, "Reviewed a use of break-glass access"
    SEAL_NAMES_CHANGED = 1345, "Changed who a seal names"
    # The page answers the same (so it never tells whether a record is sealed); the trail says what happened.
    BREAK_GLASS_NOTHING_OPENED = 1346, "Asked to break the glass on a record not sealed from them: nothing opened"
    RETENTION_RULE_CHANGED = 1360, "Changed a retention rule"
    LEGAL_HOLD_PLACED = 1361, "Placed a legal hold"
    LEGAL_HOLD_RELEASED = 1362, "Released a legal hold"
    DISPOSAL_CONFIRMED = 1363, "Confirmed a disposal of records past their retention"
    DPO_OVERVIEW_VIEWED = 1370, "Viewed the data protection overview"


    # signin (110-199, 510-599): lockout, passwords, the second factor, single sign-on, and changes of
    # access that wait for a second administrator
    SIGN_IN_LOCKED_OUT = 110, "Sign-in locked after repeated failures (a username or an address)"
    SIGN_IN_UNLOCKED = 111, "Unlocked sign-in for a username or an address"
    PASSWORD_CHANGED = 112, "Changed their own password"
    TEMPORARY_PASSWORD_SET = 113, "Set a temporary password for a user"
    SECOND_FACTOR_ENROLLED = 114, "Set up an authenticator app (two-factor authentication)"
    SECOND_FACTOR_VERIFIED = 115, "Passed the second factor (authenticator app or backup code)"
    SECOND_FACTOR_FAILED = 116, "Entered a wrong security code"
    BACKUP_CODES_CREATED = 117, "Made new backup codes"
    SIGNED_OUT_SESSION_ENDED = 118, "Signed out: the session reached its absolute lifetime"
    SSO_SIGNED_IN = 119, "Signed in through single sign-on"
    SSO_REFUSED = 120, "Single sign-on refused (no mapping, an ambiguous mapping or a deactivated account)"
    SSO_ACCOUNT_CREATED = 121, "Created an account from single sign-on"
    SET_UP_LINK_USED = 122, "Chose their own password through a set-up link (an account with no second factor yet)"
    SET_UP_LINK_REFUSED = 123, "A set-up link was refused (not genuine, expired, used, replaced or withdrawn)"
    ACCESS_CHANGE_REQUESTED = 510, "Asked to raise a user's access (waits for a second administrator)"
    ACCESS_CHANGE_APPROVED = 511, "Approved a change of a user's access (applied)"
    ACCESS_CHANGE_REFUSED = 512, "Refused a change of a user's access"
    SECOND_FACTOR_RESET = 513, "Reset a user's second factor (after approval)"
    ROLE_CREATED = 514, "Defined a role of the partnership's own (a name and the capabilities it grants)"
    ROLE_RETIRED = 515, "Retired a role of the partnership's own (no one held it)"
    SET_UP_LINK_SENT = 516, "Sent a user with no second factor yet a set-up link, by e-mail, to choose their own password"


    # 1100-1299 justice: entities, links, intelligence, networks, contexts (1100-1199);
    # disruption, investigations and outcomes (1200-1299)
    LINKS_BUILT = 1101, "Built links between people, vehicles, places and phones from agencies' records"
    ENTITY_VIEWED = 1102, "Viewed a vehicle, place, phone or peer group and what is linked to it"
    NETWORK_VIEWED = 1103, "Viewed a network or a child's network (page, chart or table)"
    NETWORKS_EXPORTED = 1104, "Exported networks (networks.csv or a network's links)"
    INFORMATION_SUBMITTED = 1105, "Submitted information about a person, vehicle, place or phone"
    INTELLIGENCE_RECORDED = 1106, "Recorded graded police intelligence (3x5x2)"
    INTELLIGENCE_SOURCE_VIEWED = 1107, "Viewed the source of police intelligence"
    INTELLIGENCE_DISCLOSED = 1108, "Disclosed police intelligence to another agency"
    INTELLIGENCE_VIEWED = 1109, "Viewed a police intelligence report"
    CONTEXT_OPENED = 1110, "Opened work on a context (a place or peer group)"
    CONTEXT_REVIEWED = 1111, "Reviewed work on a context"
    CONTEXT_CLOSED = 1112, "Closed work on a context"
    CONTEXT_VIEWED = 1113, "Viewed work on a context"
    PEER_GROUP_RECORDED = 1114, "Recorded a peer group or its members"
    PLACEHOLDER_CLEARED = 1115, "Found a value marked a placeholder to be a real vehicle, phone or place"
    PLACE_KIND_CHANGED = 1116, "Corrected the kind of a place (a hotel, a takeaway, a house...)"
    LINKS_REMARKED = 1117, "Links followed the new marking of the events they were built from (an import reclassified them)"
    LINKS_HELD_AS_SUSPECTS = 1118, ("Links from the police's relationships between two people became police-only: "
                                    "the police now name one the other's suspected perpetrator")
    POLICE_TOLD_OF_SUBMISSION = 1119, (
        "Told the police intelligence unit of information another agency submitted about a vehicle, phone or "
        "place the police hold police-only links to"
    )
    PLACE_RELABELLED = 1120, (
        "A place's label (and the kind guessed from it) changed: a shared record named a place held by its postcode "
        "alone, or the words of a record now police-only were taken off it, and off the alerts that quoted them"
    )
    OPERATION_OPENED = 1201, "Opened an investigation or operation"
    OPERATION_SUBJECT_ADDED = 1202, "Added an adult or child to an investigation or operation"
    DISRUPTION_RECORDED = 1203, "Recorded a disruption (a notice, an order, a licensing referral)"
    DISRUPTION_OUTCOME_RECORDED = 1204, "Recorded the outcome of a disruption (a breach, a licensing decision)"
    JUSTICE_OUTCOME_RECORDED = 1205, "Recorded an arrest, charge, conviction or sentence"
    OPERATION_VIEWED = 1206, "Viewed an investigation or operation"


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
    # A redraft keeps what the minutes said before as a version (detail: the version's id).
    MINUTES_REDRAFTED = 915, "Redrafted a panel meeting's minutes, keeping the earlier draft"
    # The police-only part (detail: the parts written, their characters, the versions kept; never the words).
    POLICE_MINUTES_DRAFTED = 916, "Drafted or redrafted the police-only part of a panel meeting's minutes"
    POLICE_MINUTES_VIEWED = 917, "Read the police-only part of a panel meeting's minutes"
    MINUTES_DRAFT_WITHHELD = 918, "Withheld an earlier draft of the minutes from everyone outside the police"
    ACTION_CREATED = 920, "Agreed an action on a plan"
    ACTION_PROGRESS_NOTED = 921, "Added a progress note to an action"
    ACTION_COMPLETED = 922, "Completed an action"
    ACTION_VIEWED = 923, "Viewed an action"
    CLOCKS_COMPUTED = 930, "Worked out the statutory clocks from events and decisions"
    CASEWORK_STEP_RECORDED = 931, "Recorded a visit, strategy discussion, conference, core group, assessment or NRM step"
    RETURN_HOME_INTERVIEW_RECORDED = 932, "Recorded a return home interview, or why none was held"
    ESCALATED = 940, "Escalated an overdue action, clock or front-door decision"
    REMINDERS_SENT = 941, "Sent reminders of actions due soon"
    HEALTH_NOTICES_SENT = 942, "Told the people working with children on plans of new health records"
    RACI_CHANGED = 950, "Changed the roles and responsibilities matrix (a new version)"
    ALLOCATED = 960, "Allocated a concern, alert or child to a named worker"

    # --- ui: pages a caseworker would trust all day (issue 16): 2000-2099 ---
    LIST_DOWNLOADED = 2000, "Downloaded a list as CSV (the rows and columns the reader may see)"

    # --- the board's strategy: 2100-2199 ---
    STRATEGY_TARGET_SET = 2100, "Set or withdrew a target of the partnership's strategy for the board's report"


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
    # HMAC-SHA256 of the same content under AUDIT_CHAIN_KEY. Empty on rows written before the chain was
    # keyed: those are held by the keyed rows after them, each of which covers the hash before it.
    # (Nullable so that adding it altered the append-only table in place on SQLite.)
    row_mac = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001 (see above)

    class Meta:
        ordering = ["sequence"]
        indexes = [
            models.Index(fields=["person_id", "occurred_at"]),
            models.Index(fields=["event_type"]),
            # A user's recent actions of a kind (a referrer's searches in the last minutes).
            models.Index(fields=["actor", "event_type", "occurred_at"]),
        ]

    def __str__(self) -> str:
        return f"#{self.sequence} {self.get_event_type_display()} by {self.actor_label}"


class AuditPersonShown(models.Model):
    """A person an audited list, search or download showed, beside its row (whose ``detail`` names
    every one and is covered by the chain): so "who saw this person" finds the queues, searches and
    CSV files that showed them as well as the pages about them alone. Written with the row, in its
    transaction; it holds nothing the row does not."""

    sequence = models.BigIntegerField(help_text="the audit row's sequence")
    person_id = models.BigIntegerField()

    class Meta:
        indexes = [models.Index(fields=["person_id", "sequence"])]

    def __str__(self) -> str:
        return f"#{self.sequence} showed {self.person_id}"


def about_person(ids: Any) -> models.Q:
    """A filter on AuditEvent for the rows about any of these person ids: their own, and the lists,
    searches and downloads that showed them."""
    return models.Q(person_id__in=ids) | models.Q(
        sequence__in=AuditPersonShown.objects.filter(person_id__in=ids).values("sequence")
    )


class AuditChainHead(models.Model):
    """One row: the last sequence number and hash. Locking it serialises appends, and it lets
    verify notice rows deleted from the end of the trail."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    sequence = models.PositiveBigIntegerField(default=0)
    row_hash = models.CharField(max_length=64, default="0" * 64)

    def __str__(self) -> str:
        return f"Audit chain head at row {self.sequence}"
