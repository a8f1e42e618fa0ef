"""The scheduled work the worker runs: each does only what is due, and is safe to run at any time."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from safeguarding.accounts.models import AgencyKind, Role
from safeguarding.clocks.models import StatutoryClock
from safeguarding.earlywarning.models import ScanRun
from safeguarding.mace.models import Allocation, Escalation
from safeguarding.notifications.models import Notification, NotificationKind
from safeguarding.people.models import EventType
from safeguarding.workflows.scheduled import clocks_and_chasing, links_after_import, scan_after_import
from tests.contexts.conftest import SHARED_REG, Partnership
from tests.factories import AlertFactory, EventFactory, SourceRecordFactory, SourceSystemFactory, sign_in

pytestmark = pytest.mark.django_db


def test_an_overdue_clock_is_worked_out_and_escalated_to_the_accountable_agency(agencies, make_user) -> None:  # type: ignore[no-untyped-def]
    council_manager = make_user(role=Role.AGENCY_MANAGER, agency_kind=AgencyKind.COUNCIL)
    make_user(role=Role.AGENCY_MANAGER, agency_kind=AgencyKind.POLICE)
    police = SourceSystemFactory(code="police-records", agency=agencies[AgencyKind.POLICE])
    record = SourceRecordFactory(source_system=police)
    returned = timezone.now() - dt.timedelta(days=5)
    EventFactory(source_record=record, event_type=EventType.MISSING_EPISODE,
                 occurred_at=returned - dt.timedelta(hours=8), ended_at=returned)
    done = clocks_and_chasing()
    assert done["clocks_created"] == 1 and done["escalations"] == 1
    clock = StatutoryClock.objects.get()
    # The roles and responsibilities make the council accountable for return home interviews.
    assert clock.agency == agencies[AgencyKind.COUNCIL]
    assert Escalation.objects.get().clock == clock
    [told] = Notification.objects.filter(kind=NotificationKind.ESCALATED)
    assert told.recipient == council_manager and record.person.family_name not in told.body
    assert clocks_and_chasing()["escalations"] == 0  # each level once


def test_the_scan_after_an_import_runs_only_when_there_are_new_events(agencies) -> None:  # type: ignore[no-untyped-def]
    assert scan_after_import() == {"events": 0, "alerts": 0}
    EventFactory(source_record=SourceRecordFactory(), event_type=EventType.MISSING_EPISODE)
    assert scan_after_import()["events"] >= 1
    assert ScanRun.objects.count() == 1
    assert scan_after_import() == {"events": 0, "alerts": 0}


def test_links_are_built_after_an_import_and_a_second_child_in_the_same_car_is_alerted(agencies) -> None:  # type: ignore[no-untyped-def]
    """Before, links and their new-link alerts were built only when someone ran `safeguarding links`:
    a second child seen in the car of a child at risk waited for that. The worker builds them when
    something is new, and only then."""
    from safeguarding.contexts.models import LinkBuild
    from safeguarding.earlywarning.models import Alert
    from safeguarding.exchange.models import ImportRun, ImportStatus

    police = Partnership(police=SourceSystemFactory(code="police-records", agency=agencies[AgencyKind.POLICE]),
                         school=SourceSystemFactory(), council=SourceSystemFactory())
    _, first = police.person(police.police, "NICHE-A", given="Amber")
    second, seen = police.person(police.police, "NICHE-B", given="Bella")
    police.event(first, vehicle_registration=SHARED_REG, days=40)
    police.event(seen, vehicle_registration="ya19abc", days=5)
    done = links_after_import()
    assert done["links"] > 0 and done["alerts"] >= 1
    assert Alert.objects.filter(rule__code="new-link-shared-entity", person=second).exists()
    assert links_after_import() == {"links": 0, "alerts": 0}
    assert LinkBuild.objects.count() == 1
    # An import of people's records alone (their phones make links) is built too.
    ImportRun.objects.create(started_at=timezone.now(), finished_at=timezone.now(), status=ImportStatus.COMPLETED)
    links_after_import()
    assert LinkBuild.objects.count() == 2
    assert links_after_import() == {"links": 0, "alerts": 0}


def test_an_alert_is_allocated_from_its_page_and_appears_in_the_workers_list(agencies, make_user) -> None:  # type: ignore[no-untyped-def]
    triage = make_user(role=Role.TRIAGE_WORKER, agency_kind=AgencyKind.COUNCIL)
    worker = make_user(role=Role.LEAD_PRACTITIONER, agency_kind=AgencyKind.COUNCIL)
    alert = AlertFactory()
    client = Client()
    sign_in(client, triage)
    assert "Allocate the alert to a worker" in client.get(reverse("earlywarning:detail", args=[alert.pk])).content.decode()
    client.post(reverse("mace:allocate", args=["alert", alert.pk]), {"worker": worker.pk})
    assert Allocation.objects.get().worker == worker
    mine = Client()
    sign_in(mine, worker)
    assert alert.reference in mine.get(reverse("mace:my-work")).content.decode()
    assert Notification.objects.filter(recipient=worker, kind=NotificationKind.ALLOCATED).exists()


@pytest.mark.django_db(transaction=True)
def test_the_scheduled_anchor_writes_the_audit_trails_head_outside_the_database(settings) -> None:  # type: ignore[no-untyped-def]
    from django.db import transaction as db_transaction

    from safeguarding.audit.models import AuditEventType
    from safeguarding.audit.services import audit_record, audit_verify, read_anchors
    from safeguarding.workflows.scheduled import audit_anchor_now

    with db_transaction.atomic():
        audit_record(event_type=AuditEventType.SIGNED_IN, actor_label="tester")
    result = audit_anchor_now()
    assert result["anchored_row"] == read_anchors(settings.AUDIT_ANCHOR_FILE)[-1]["sequence"] > 0
    assert audit_verify().anchors_checked == 1


def test_expired_sessions_are_cleared_with_any_unsent_answers_and_live_ones_kept() -> None:
    import datetime as dt

    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.utils import timezone

    from safeguarding.workflows.scheduled import SCHEDULES, expired_sessions_clear

    ran_out, live = SessionStore(), SessionStore()
    for store in (ran_out, live):
        store["concern_answers"] = {"description": "Seen getting into a car"}
        store.create()
    Session.objects.filter(session_key=ran_out.session_key).update(expire_date=timezone.now() - dt.timedelta(minutes=1))
    from django.conf import settings

    from safeguarding.core.models import SentForm

    longest = dt.timedelta(seconds=settings.SESSION_ABSOLUTE_SECONDS)
    SentForm.objects.create(token="a" * 32, sent_at=timezone.now() - longest - dt.timedelta(minutes=1))
    SentForm.objects.create(token="b" * 32, sent_at=timezone.now() - longest + dt.timedelta(minutes=5))
    assert expired_sessions_clear() == {"sessions_deleted": 1, "form_tokens_deleted": 1}
    assert list(SentForm.objects.values_list("token", flat=True)) == ["b" * 32]
    assert list(Session.objects.values_list("session_key", flat=True)) == [live.session_key]
    assert "safeguarding.workflows.scheduled.expired_sessions_clear" in {s.func for s in SCHEDULES}
