"""`safeguarding demo` end to end on a small area: sign-ins, agencies' records, the front door."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import call_command
from django.db.models import Count

from safeguarding.accounts.models import Agency, Role, User
from safeguarding.audit.services import audit_verify
from safeguarding.demo.partnership import DEMO_PASSWORD
from safeguarding.earlywarning.models import Alert, AlertStatus
from safeguarding.frontdoor.models import Concern
from safeguarding.panel.models import PanelReferral
from safeguarding.people.models import Event, Person, SourceRecord
from safeguarding.screening.models import ScreeningAssessment, ScreeningStatus


@pytest.mark.django_db
def test_demo_builds_a_partnership_and_running_it_again_changes_nothing(tmp_path: Path) -> None:
    call_command("demo", children=80, out=tmp_path, quiet=True)

    assert Agency.objects.count() == 6
    assert set(User.objects.values_list("role", flat=True)) == set(Role.values)
    triage = User.objects.get(username="triage.council")
    assert triage.check_password(DEMO_PASSWORD) and triage.role == Role.TRIAGE_WORKER
    systems = SourceRecord.objects.values("source_system__code").annotate(n=Count("pk"))
    assert len(systems) >= 4
    assert Event.objects.count() > 200
    assert Concern.objects.count() > 0
    # The MACE coordinator's casework: alerted children referred to the panel, each screened.
    referred = set(PanelReferral.objects.values_list("child_id", flat=True))
    assert len(referred) == 2
    assert set(ScreeningAssessment.objects.filter(status=ScreeningStatus.COMPLETED).values_list("child_id", flat=True)) == referred
    assert Alert.objects.filter(status=AlertStatus.ACKNOWLEDGED).count() == 1
    assert (tmp_path / "truth" / "persons.csv").exists()
    # The panel at work: a meeting held and locked, plans with actions (some overdue, escalated),
    # and clocks met, late and overdue from the agencies' events.
    from safeguarding.clocks.models import StatutoryClock
    from safeguarding.mace.models import Escalation, MeetingStatus, PanelMeeting, PlanAction

    assert PanelMeeting.objects.filter(status=MeetingStatus.LOCKED).count() == 1
    assert PlanAction.objects.filter(plan__child_id__in=referred).count() == 6
    assert Escalation.objects.filter(action__isnull=False).exists()
    assert {"met", "met_late", "overdue"} <= set(StatutoryClock.objects.values_list("status", flat=True))
    assert audit_verify().ok

    def counts() -> tuple[int, ...]:
        return tuple(m.objects.count() for m in (Person, SourceRecord, Event, Concern, PanelReferral, ScreeningAssessment))

    before = counts()
    call_command("demo", children=80, out=tmp_path, quiet=True)
    assert counts() == before
