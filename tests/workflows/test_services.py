"""Workflows that cross rooms happen in one transaction: all of it, or none of it."""

from __future__ import annotations

import pytest
from django.utils import timezone

from safeguarding.accounts.models import AgencyKind, Role
from safeguarding.audit.models import AuditEvent
from safeguarding.core.errors import ServiceError
from safeguarding.frontdoor.models import Concern, ConcernStatus, DecisionOutcome, TriageDecision
from safeguarding.frontdoor.services import concern_raise
from safeguarding.panel.models import PanelReferral
from safeguarding.people.models import Person, SourceRecord
from safeguarding.workflows import services
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db


def test_a_concern_for_a_new_child_records_both_or_neither(make_user) -> None:  # type: ignore[no-untyped-def]
    referrer = make_user(role=Role.REFERRER, agency_kind=AgencyKind.EDUCATION)
    before = (Person.objects.count(), SourceRecord.objects.count(), AuditEvent.objects.count())
    with pytest.raises(ServiceError, match="Describe"):
        services.concern_raise_for_new_child(
            raised_by=referrer, given_name="Chloe", family_name="Barker", date_of_birth=None,
            seen_on=timezone.localdate(), description="   ",
        )
    assert (Person.objects.count(), SourceRecord.objects.count(), AuditEvent.objects.count()) == before
    assert not Concern.objects.exists()

    concern = services.concern_raise_for_new_child(
        raised_by=referrer, given_name="Chloe", family_name="Barker", date_of_birth=None,
        seen_on=timezone.localdate(), description="Waiting at the school gate for an older man",
    )
    assert concern.child.given_name == "Chloe" and concern.child.root_id == concern.child_id
    assert concern.child.source_records.get().record_id == f"HUB-{concern.child_id}"


def test_a_decision_to_refer_to_the_panel_is_recorded_with_the_referral_or_not_at_all(  # type: ignore[no-untyped-def]
    make_user, monkeypatch
) -> None:
    referrer = make_user(role=Role.REFERRER, agency_kind=AgencyKind.EDUCATION)
    triage = make_user(role=Role.TRIAGE_WORKER, agency_kind=AgencyKind.COUNCIL)
    concern = concern_raise(raised_by=referrer, child=PersonFactory(), seen_on=timezone.localdate(), description="x")

    def fail(**kwargs: object) -> None:
        raise ServiceError("The panel's list could not be written")

    monkeypatch.setattr(services, "panel_refer", fail)
    with pytest.raises(ServiceError):
        services.triage_decide_and_refer(
            acting_user=triage, concern=concern, outcome=DecisionOutcome.MACE_REFERRAL, reason="pattern"
        )
    concern.refresh_from_db()
    assert concern.status == ConcernStatus.AWAITING_DECISION and not TriageDecision.objects.exists()
    monkeypatch.undo()

    services.triage_decide_and_refer(
        acting_user=triage, concern=concern, outcome=DecisionOutcome.MACE_REFERRAL, reason="pattern"
    )
    assert PanelReferral.objects.get().source_concern == concern
