"""Changes to alerts and rules. Every change is audited in the same transaction.

The scan itself (raising alerts and adding evidence) is in ``scan.py``.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import asdict
from typing import Any

from django.db import transaction
from django.utils import timezone

from safeguarding.accounts.access import Capability, has
from safeguarding.accounts.models import User
from safeguarding.audit.models import AuditEventType
from safeguarding.audit.services import audit_record
from safeguarding.core.errors import ServiceError
from safeguarding.core.jobs import run_in_background
from safeguarding.earlywarning.models import (
    OPEN_STATUSES,
    Alert,
    AlertEvidence,
    AlertLevel,
    AlertStatus,
    Rule,
    RuleKind,
    RulePrecision,
    RuleTest,
    RuleTestStatus,
    RuleVersion,
)
from safeguarding.earlywarning.rules import NEW_LINK_PATTERNS, RuleError, RuleSpec, clean_rule, rule_spec
from safeguarding.people import identity
from safeguarding.people.models import Event, Person, is_restricted

logger = logging.getLogger(__name__)
_CODE = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")


def alert_record_action(
    *,
    alert: Alert,
    acting_user: User,
    status: str,
    note: str = "",
    concern: Any = None,
    evidence_seen: int | None = None,
) -> Alert:
    """Move an alert on: acknowledged, dismissed (a reason is required), turned into a concern or
    referred to the panel. An alert that has been dismissed or acted on is not changed again,
    unless a scan has since added new evidence to it: then it is back in the queue to be seen.
    ``evidence_seen`` is how much evidence the page the worker read showed: a scan that added to the
    alert since stops the action (``EvidenceAddedMeanwhile``), so evidence no one saw is not dismissed."""
    if not has(acting_user, Capability.WORK_ALERTS):
        raise ServiceError("You cannot act on early-warning alerts")
    if status not in AlertStatus.values or status == AlertStatus.OPEN:
        raise ServiceError("Choose what to do with the alert")
    if status == AlertStatus.DISMISSED and not note.strip():
        raise ServiceError("Give the reason for dismissing the alert")
    if status == AlertStatus.CONCERN_RAISED and concern is None:
        raise ServiceError("An alert turned into a concern needs the concern")
    with transaction.atomic():
        locked = Alert.objects.select_for_update().get(pk=alert.pk)
        if not (locked.is_open or locked.new_evidence_since_action):
            raise ServiceError(f"This alert has already been {locked.get_status_display().lower()}")
        if evidence_seen is not None and locked.evidence_count != evidence_seen:
            raise EvidenceAddedMeanwhile(locked.evidence_count)
        now = timezone.now()
        locked.status = status
        locked.status_note = note.strip()
        locked.actioned_by = acting_user
        locked.actioned_at = now
        locked.new_evidence_since_action = False
        if concern is not None:
            locked.concern = concern
        locked.save(
            update_fields=["status", "status_note", "actioned_by", "actioned_at", "new_evidence_since_action", "concern"]
        )
        audit_record(
            event_type=AuditEventType.ALERT_ACTIONED,
            actor=acting_user,
            target_kind="alert",
            target_id=locked.pk,
            person_id=locked.person_id,
            reason=note.strip(),
            detail={"status": status, "rule": locked.rule.code, "concern": concern.pk if concern else None},
        )
    return locked


class EvidenceAddedMeanwhile(ServiceError):
    """A scan added evidence to the alert after the worker opened it."""

    def __init__(self, evidence_count: int) -> None:
        super().__init__("New evidence was added to this alert after you opened it: read it again before you "
                         "dismiss it")
        self.evidence_count = evidence_count


def alert_acknowledge(*, alert: Alert, acting_user: User) -> Alert:
    return alert_record_action(alert=alert, acting_user=acting_user, status=AlertStatus.ACKNOWLEDGED)


def alert_dismiss(*, alert: Alert, acting_user: User, reason: str, evidence_seen: int | None = None) -> Alert:
    return alert_record_action(
        alert=alert, acting_user=acting_user, status=AlertStatus.DISMISSED, note=reason, evidence_seen=evidence_seen
    )


# --- rules ------------------------------------------------------------------------------------


def rule_snapshot(rule: Rule) -> dict[str, Any]:
    return {
        "name": rule.name,
        "description": rule.description,
        "kind": rule.kind,
        "params": rule.params,
        "level": rule.level,
        "enabled": rule.enabled,
    }


def rule_save(
    *,
    acting_user: User,
    rule: Rule | None,
    code: str,
    name: str,
    description: str,
    kind: str,
    level: str,
    params: dict[str, Any],
    enabled: bool,
    change_note: str,
) -> Rule:
    """Add a rule or change one. The rule is checked first (``RuleError`` names the value that is
    wrong and why) and every change is kept as a new version with its reason."""
    if not has(acting_user, Capability.CONFIGURE_TOOLS):
        raise ServiceError("You cannot change early-warning rules")
    if rule is not None:
        code, kind = rule.code, rule.kind  # a rule keeps its code and kind; make a new rule for another
    spec = clean_rule(code=code, name=name, kind=kind, level=level, params=params)
    if not _CODE.fullmatch(spec.code):
        raise RuleError("code", "Use lower-case letters, numbers and hyphens for the code, like repeat-missing")
    if not change_note.strip():
        raise RuleError("change_note", "Say what you changed and why")
    with transaction.atomic():
        if rule is None:
            if Rule.objects.filter(code=spec.code).exists():
                raise RuleError("code", f"There is already a rule with the code {spec.code}")
            before = None
            rule = Rule(code=spec.code, kind=spec.kind, version=1)
        else:
            rule = Rule.objects.select_for_update().get(pk=rule.pk)
            before = rule_snapshot(rule)
            rule.version += 1
        rule.name = spec.name
        rule.description = description.strip()
        rule.params = spec.params
        rule.level = spec.level
        rule.enabled = enabled
        rule.changed_by = acting_user
        if before is not None and before == rule_snapshot(rule):
            raise RuleError("change_note", "Nothing has changed")
        rule.save()
        RuleVersion.objects.create(
            rule=rule,
            version=rule.version,
            snapshot=rule_snapshot(rule),
            change_note=change_note.strip(),
            changed_by=acting_user,
            changed_at=timezone.now(),
        )
        audit_record(
            event_type=AuditEventType.RULE_CHANGED,
            actor=acting_user,
            target_kind="rule",
            target_id=rule.code,
            reason=change_note.strip(),
            detail={"version": rule.version, "before": before, "after": rule_snapshot(rule)},
        )
        # The new version's precision, and the others' (a rule linking children reads who the rest
        # flag), worked out in the background once the change is saved.
        run_in_background(rule_precision_refresh_job, acting_user.pk)
    return rule


def rule_precision_refresh(*, acting_user: User | None = None, as_of: dt.datetime | None = None) -> list[RulePrecision]:
    """Back-test every switched-on rule over all the history the hub holds and keep, for its current
    version, how precise it has been over the past two years (``backtest.rules_precision``). Run by
    ``safeguarding backtest`` (schedule it: referrals keep arriving), and after each rule change."""
    from safeguarding.earlywarning.backtest import rules_precision

    if acting_user is not None and not has(acting_user, Capability.CONFIGURE_TOOLS):
        raise ServiceError("You cannot back-test early-warning rules")
    rules: dict[str, Rule] = {}
    specs: list[RuleSpec] = []
    for rule in Rule.objects.filter(enabled=True):
        try:
            specs.append(rule_spec(rule))
        except RuleError:
            continue  # a rule that cannot be evaluated is not scanned either
        rules[rule.code] = rule
    figures, since, moment = rules_precision(specs, as_of=as_of)
    now = timezone.now()
    with transaction.atomic():
        rows = RulePrecision.objects.bulk_create([
            RulePrecision(
                rule=rules[item.code],
                version=rules[item.code].version,
                level=item.level,
                as_of=moment,
                since=since,
                computed_at=now,
                children_flagged=item.backtest.children_flagged,
                referred_later=item.backtest.referred_later,
                referred_before=item.backtest.referred_before,
                never_referred=item.backtest.never_referred,
                median_days_before_referral=item.backtest.median_days_before_referral,
            )
            for item in figures
        ])
        audit_record(
            event_type=AuditEventType.RULE_PRECISION_BACKTESTED,
            actor=acting_user,
            actor_label="" if acting_user else "safeguarding backtest",
            target_kind="rules",
            target_id="precision",
            detail={
                "as_of": moment.isoformat(),
                "since": since.isoformat(),
                "rules": {f"{row.rule.code} v{row.version} {row.level}": [row.referred_later, row.judged]
                          for row in rows},
            },
        )
    return rows


def rule_precision_refresh_job(user_id: int | None = None) -> None:
    """``rule_precision_refresh`` on the background worker (after a rule is saved)."""
    user = User.objects.filter(pk=user_id).first() if user_id is not None else None
    try:
        rule_precision_refresh(acting_user=user)
    except Exception:  # the figures stay as they were; the next back-test will try again
        logger.exception("Back-testing the rules' precision failed")


def rule_test_start(
    *,
    acting_user: User,
    spec: RuleSpec,
    rule: Rule | None,
    form_data: dict[str, Any],
) -> RuleTest:
    """Start testing a draft rule against all history, beside the rule as it is when there is
    one. The test runs in the background (``run_rule_test``); nothing about the rule is saved."""
    if not has(acting_user, Capability.CONFIGURE_TOOLS):
        raise ServiceError("You cannot test early-warning rules")
    try:
        current = rule_spec(rule) if rule is not None else None
    except RuleError:
        current = None  # the rule as it is can no longer be evaluated: the draft is tested alone
    with transaction.atomic():
        test = RuleTest.objects.create(
            rule=rule,
            kind=spec.kind,
            form_data=form_data,
            draft=asdict(spec),
            current=asdict(current) if current is not None else None,
            requested_by=acting_user,
            requested_at=timezone.now(),
        )
        audit_record(
            event_type=AuditEventType.RULE_BACKTESTED,
            actor=acting_user,
            target_kind="rule",
            target_id=spec.code,
            detail={"test": test.pk, "params": spec.params, "beside_version": rule.version if rule else None},
        )
        run_in_background(run_rule_test, test.pk)
    return test


def run_rule_test(test_id: int) -> None:
    """Run a queued rule test, recording each stage as it starts, then its figures or why it failed."""
    from safeguarding.earlywarning.backtest import backtests

    test = RuleTest.objects.get(pk=test_id)
    if test.status != RuleTestStatus.QUEUED:
        return
    specs = [RuleSpec(**test.draft)] + ([RuleSpec(**test.current)] if test.current else [])
    stages = ["Reading the history every agency shares", "Testing the draft", "Testing the rule as it is"]

    def on_stage(number: int, events: int | None) -> None:
        now = timezone.now()
        RuleTest.objects.filter(pk=test_id).update(
            status=RuleTestStatus.RUNNING,
            stage=f"Step {number + 1} of {len(specs) + 1}: {stages[number]}",
            events_read=events,
            progress_at=now,
            **({"started_at": now} if number == 0 and events is None else {}),
        )

    try:
        results = backtests(specs, on_stage=on_stage)
    except Exception as error:  # a user sees why it stopped, never a traceback
        logger.exception("Rule test %s failed", test_id)
        RuleTest.objects.filter(pk=test_id).update(
            status=RuleTestStatus.FAILED,
            stage="",
            error=f"The test stopped: {error.__class__.__name__}. Try again; if it fails again, tell the hub's support team.",
            finished_at=timezone.now(),
        )
        return
    RuleTest.objects.filter(pk=test_id).update(
        status=RuleTestStatus.FINISHED,
        stage="",
        events_read=results[0].events_read,
        results=[result.as_json() for result in results],
        finished_at=timezone.now(),
    )


# --- alerts raised by another room (network analysis's new links) ------------------------------

_NEW_LINK_RULES = {
    "second_child_entity": ("new-link-shared-entity", "A second child linked to the same vehicle, phone or place",
                            AlertLevel.HIGH),
    "adult_of_child_at_risk": ("new-link-adult", "An adult linked to a child at risk now linked to another child",
                               AlertLevel.HIGH),
}


def new_link_rule(pattern: str) -> Rule:
    """The rule under which network analysis raises alerts of one pattern, installed the first time
    it is needed (administrators may rename it, change its level or switch it off like any rule;
    its pattern is fixed)."""
    if pattern not in NEW_LINK_PATTERNS:
        raise ServiceError(f"There is no new-link pattern called {pattern}")
    code, name, level = _NEW_LINK_RULES[pattern]
    rule, created = Rule.objects.get_or_create(
        code=code,
        defaults={"name": name, "kind": RuleKind.NEW_LINK, "params": {"pattern": pattern}, "level": level,
                  "description": "Raised when links are built from the agencies' records: " + NEW_LINK_PATTERNS[pattern]
                  + ". The alert names the records behind the new link and the earlier one."},
    )
    if created:
        RuleVersion.objects.create(rule=rule, version=1, snapshot=rule_snapshot(rule),
                                   change_note="Installed by the hub for network analysis", changed_at=timezone.now())
    return rule


def alert_raise_for_link(
    *,
    rule: Rule,
    person: Person,
    trigger_event: Event,
    evidence: list[Event],
    explanation: str,
    explanation_restricted: str = "",
) -> Alert | None:
    """Raise an alert another room found (a new link), with its evidence, inside the caller's
    transaction. Nothing is raised twice for the same rule and trigger, nor for a rule switched
    off; the caller audits the run that raised it. ``explanation`` must hold nothing a viewer of
    the alerts queue may not see (police intelligence with conditions is only counted);
    ``explanation_restricted``, the full words, is read only by those who may see that intelligence."""
    if not transaction.get_connection().in_atomic_block:
        raise ServiceError("Alerts are raised inside the caller's transaction")
    if not rule.enabled or rule.kind != RuleKind.NEW_LINK:
        return None
    if Alert.objects.filter(rule=rule, trigger_event=trigger_event).exists():
        return None
    now = timezone.now()
    # One alert a child while it is open: a later new link of the same pattern adds its evidence.
    open_alert = (
        Alert.objects.filter(identity.same_person("person", person), rule=rule, status__in=OPEN_STATUSES)
        .order_by("raised_at").first()
    )
    if open_alert is not None:
        known = set(AlertEvidence.objects.filter(alert=open_alert).values_list("event_id", flat=True))
        added = [e for e in {e.pk: e for e in [trigger_event, *evidence]}.values() if e.pk not in known]
        AlertEvidence.objects.bulk_create([AlertEvidence(alert=open_alert, event=e, added_at=now,
                                                         police_only_when_written=is_restricted(e.event_type, e.handling))
                                           for e in added])
        Alert.objects.filter(pk=open_alert.pk).update(
            evidence_count=open_alert.evidence_count + len(added), evidence_updated_at=now
        )
        return None
    alert = Alert.objects.create(
        rule=rule, rule_version=rule.version, person=person, level=rule.level, raised_at=trigger_event.occurred_at,
        trigger_event=trigger_event, explanation=explanation, explanation_restricted=explanation_restricted,
        created_at=now, evidence_updated_at=now,
        evidence_count=len({e.pk for e in [trigger_event, *evidence]}),
    )
    # The words were written by the caller with each event's marking now.
    AlertEvidence.objects.bulk_create(
        [AlertEvidence(alert=alert, event=e, added_at=now, police_only_when_written=is_restricted(e.event_type, e.handling))
         for e in {e.pk: e for e in [trigger_event, *evidence]}.values()]
    )
    return alert
