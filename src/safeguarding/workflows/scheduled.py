"""The hub's scheduled work, run by the background worker (``safeguarding worker``) on the schedules
below: the clocks worked out again and chased (reminders, escalation), and the links and the
early-warning scan after an import. Each is safe to run at any time and does only what is due."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.conf import settings
from django.contrib.sessions.models import Session
from django.db.models import Max
from django.utils import timezone

from safeguarding.audit.context import audit_context
from safeguarding.audit.services import audit_anchor
from safeguarding.clocks.models import ClockRun
from safeguarding.clocks.services import clocks_refresh
from safeguarding.contexts.models import LinkBuild
from safeguarding.contexts.services import links_build
from safeguarding.core.models import SentForm
from safeguarding.earlywarning.missed import refresh_missed_opportunities
from safeguarding.earlywarning.models import ScanRun
from safeguarding.earlywarning.scan import scan_run
from safeguarding.exchange.models import ImportRun, ImportStatus
from safeguarding.mace.services import escalations_run, health_notices_send, reminders_send
from safeguarding.people.models import Event, Relationship

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Scheduled:
    name: str
    func: str
    minutes: int
    about: str


SCHEDULES = [
    Scheduled("Statutory clocks, reminders and escalation", "safeguarding.workflows.scheduled.clocks_and_chasing", 15,
              "Works out the clocks of children with new events, turns overdue what is late, reminds owners of "
              "actions due soon, escalates what is overdue, and tells those working with a child on a plan of "
              "a new health record."),
    Scheduled("Scan after an import", "safeguarding.workflows.scheduled.scan_after_import", 10,
              "When an import has brought new events, scans them with the early-warning rules (incrementally)."),
    Scheduled("Links after an import", "safeguarding.workflows.scheduled.links_after_import", 10,
              "When an import (or a record made in the hub) has brought new events, relationships or records, "
              "builds the links they make and raises the new-link alerts (a second child linked to the same "
              "vehicle, phone or place; an adult of a child at risk linked to another child)."),
    Scheduled("Match review order", "safeguarding.workflows.scheduled.match_review_order", 15,
              "Puts first in the match review queue the pairs touching a child the partnership has begun working "
              "with since the last linkage run (a concern, an alert, a plan or a panel referral)."),
    Scheduled("Audit trail anchor", "safeguarding.workflows.scheduled.audit_anchor_now", 15,
              "Writes the audit trail's latest head outside the database (AUDIT_ANCHOR_FILE), so a rewrite of the "
              "trail is found by 'safeguarding audit verify'."),
    Scheduled("Expired sessions cleared", "safeguarding.workflows.scheduled.expired_sessions_clear", 60,
              "Deletes sessions that have run out, with any answers to a concern that were never sent, and "
              "the one-time tokens of forms sent longer ago than a session can last."),
]


def clocks_and_chasing() -> dict[str, int]:
    with audit_context(channel="worker"):
        refreshed = clocks_refresh(incremental=ClockRun.objects.filter(finished_at__isnull=False).exists())
        reminded = reminders_send()
        escalated = escalations_run()
        health = health_notices_send()
    return {"clocks_created": refreshed.created, "clocks_changed": refreshed.changed + refreshed.turned_overdue,
            "reminders": reminded, "escalations": len(escalated), "health_notices": health}


def match_review_order() -> dict[str, int]:
    from safeguarding.linkage.review_queue import review_priorities_refresh

    return {"pairs_moved": review_priorities_refresh()}


def audit_anchor_now() -> dict[str, int]:
    anchor = audit_anchor()
    return {"anchored_row": int(anchor["sequence"]) if anchor else 0}


def expired_sessions_clear() -> dict[str, int]:
    """What ``django-admin clearsessions`` does, counted: a session that ran out keeps its row (and a
    concern's unsent answers) until it is deleted."""
    now = timezone.now()
    deleted, _ = Session.objects.filter(expire_date__lt=now).delete()
    # A form's token (core.once) guards against the same page being sent twice. A page shown in a session
    # that has ended cannot be sent again (signing in anew changes the form's CSRF token), so a token
    # spent longer ago than the longest session guards nothing.
    spent, _ = SentForm.objects.filter(
        sent_at__lt=now - dt.timedelta(seconds=settings.SESSION_ABSOLUTE_SECONDS)).delete()
    return {"sessions_deleted": deleted, "form_tokens_deleted": spent}


def scan_after_import() -> dict[str, int]:
    newest = Event.objects.aggregate(last=Max("pk"))["last"] or 0
    scanned = ScanRun.objects.filter(finished_at__isnull=False, as_of__isnull=True).aggregate(
        last=Max("last_event_id"))["last"] or 0
    if newest <= scanned:
        return {"events": 0, "alerts": 0}
    with audit_context(channel="worker"):
        result = scan_run(incremental=scanned > 0)
        refresh_missed_opportunities()  # so the report's page reads it ready-made
    return {"events": result.events, "alerts": result.alerts_raised}


def links_after_import() -> dict[str, int]:
    """Build the links of what is new since the last build, as ``safeguarding links`` does, when there
    is anything new: an event or relationship newer than the build read, or an import finished since
    it began (people's records alone bring phones). The new-link alerts are high: they wait for no one
    to remember the command."""
    last = LinkBuild.objects.order_by("-pk").first()
    newest_event = Event.objects.aggregate(m=Max("pk"))["m"] or 0
    newest_relationship = Relationship.objects.aggregate(m=Max("pk"))["m"] or 0
    imports = ImportRun.objects.filter(status=ImportStatus.COMPLETED)
    if last is not None:
        imports = imports.filter(finished_at__gt=last.started_at)
    if (newest_event <= (last.last_event_id if last else 0)
            and newest_relationship <= (last.last_relationship_id if last else 0) and not imports.exists()):
        return {"links": 0, "alerts": 0}
    with audit_context(channel="worker"):
        result = links_build()
    return {"links": result.links_added, "alerts": len(result.alerts)}
