"""Every page that shows children's identities records who saw whom: one audit row per page view,
naming every person listed (the alerts queue, the triage queue, the panel's referrals, the match
review queue, a referrer's own concerns, the raise-concern page)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from safeguarding.accounts.models import AgencyKind, Role, User
from safeguarding.audit.models import AuditEvent, AuditEventType
from safeguarding.frontdoor.selectors import raise_token
from safeguarding.frontdoor.services import concern_raise
from safeguarding.linkage.models import LinkageRun, MatchReview
from safeguarding.panel.services import panel_refer
from tests.factories import AlertFactory, PersonFactory, SourceRecordFactory, sign_in

pytestmark = pytest.mark.django_db


def _listed(user: User, page: str) -> set[int]:
    rows = AuditEvent.objects.filter(event_type=AuditEventType.PERSONS_LISTED, actor=user, target_id=page)
    assert rows.count() == 1, f"{page}: {rows.count()} audit rows"
    return set(rows.get().detail["persons"])


def _open(user: User, url: str) -> None:
    client = Client()
    sign_in(client, user)
    assert client.get(url).status_code == 200


def test_the_queues_and_lists_record_every_child_they_show(make_user: Callable[..., User]) -> None:
    mace = make_user(role=Role.MACE_COORDINATOR, agency_kind=AgencyKind.COUNCIL)
    referrer = make_user(role=Role.REFERRER, agency_kind=AgencyKind.EDUCATION)
    alerted, concerned, referred = PersonFactory(), PersonFactory(), PersonFactory()
    AlertFactory(person=alerted)
    concern_raise(raised_by=referrer, child=concerned, seen_on=timezone.localdate(), description="seen")
    panel_refer(child=referred, referred_by=mace, reason="pattern")
    left, right = SourceRecordFactory(), SourceRecordFactory()
    MatchReview.objects.create(record_l=left, record_r=right, match_probability=0.9, match_weight=3.0,
                               run=LinkageRun.objects.create(started_at=timezone.now(), engine="duckdb"))

    _open(mace, reverse("earlywarning:queue"))
    assert _listed(mace, "alerts queue") == {alerted.pk}
    _open(mace, reverse("frontdoor:queue"))
    assert _listed(mace, "triage queue") == {concerned.pk}
    _open(mace, reverse("panel:list"))
    assert _listed(mace, "panel referrals") == {referred.pk}
    _open(mace, reverse("linkage:queue"))
    assert _listed(mace, "match review queue") == {left.person_id, right.person_id}
    _open(referrer, reverse("frontdoor:mine"))
    assert _listed(referrer, "my concerns") == {concerned.pk}
    _open(referrer, f"{reverse('frontdoor:raise')}?child={raise_token(user=referrer, person=concerned)}")
    assert _listed(referrer, "raise a concern") == {concerned.pk}


def test_a_match_review_is_recorded_against_both_persons(make_user: Callable[..., User]) -> None:
    reviewer = make_user(role=Role.TRIAGE_WORKER, agency_kind=AgencyKind.COUNCIL)
    left, right = SourceRecordFactory(), SourceRecordFactory()
    review = MatchReview.objects.create(record_l=left, record_r=right, match_probability=0.9, match_weight=3.0,
                                        run=LinkageRun.objects.create(started_at=timezone.now(), engine="duckdb"))
    _open(reviewer, reverse("linkage:review", args=[review.pk]))
    viewed = set(AuditEvent.objects.filter(event_type=AuditEventType.MATCH_REVIEW_VIEWED).values_list(
        "person_id", flat=True))
    assert viewed == {left.person_id, right.person_id}
