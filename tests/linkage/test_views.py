"""The match review pages as reviewers meet them."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from safeguarding.accounts.models import AgencyKind, Role
from safeguarding.linkage.models import LinkageRun, MatchDecision, MatchReview
from tests.factories import PersonFactory, SourceRecordFactory, sign_in

pytestmark = pytest.mark.django_db


def _pending_pair() -> MatchReview:
    left, right = SourceRecordFactory(person=PersonFactory()), SourceRecordFactory(person=PersonFactory())
    run = LinkageRun.objects.create(started_at=timezone.now(), engine="duckdb", initiated_by="test")
    return MatchReview.objects.create(
        record_l=left, record_r=right, match_probability=0.9, match_weight=3.2, run=run,
        explanation=[{"comparison": "prior", "label": "prior", "match_weight": -8.0, "status": "prior"}],
    )


def test_a_pair_decided_while_a_second_reviewer_had_it_open_says_so_and_keeps_the_first_decision(make_user) -> None:  # type: ignore[no-untyped-def]
    first = sign_in(Client(), make_user(role=Role.INTELLIGENCE_OFFICER, agency_kind=AgencyKind.POLICE))
    second = sign_in(Client(), make_user(role=Role.INTELLIGENCE_OFFICER, agency_kind=AgencyKind.POLICE))
    pair = _pending_pair()
    url = reverse("linkage:review", args=[pair.pk])
    assert second.get(url).status_code == 200  # the second reviewer opens the pair
    assert first.post(url, {"verdict": "same"}).status_code == 302

    late = second.post(url, {"verdict": "different", "reason": "Different schools"}, follow=True)

    assert late.status_code == 200
    body = late.content.decode()
    assert "This pair has already been decided, so your decision was not recorded" in body
    assert "This pair is no longer awaiting review" in body
    assert list(MatchDecision.objects.values_list("verdict", flat=True)) == ["same"]


def test_an_undone_decision_shows_in_each_childs_audit_trail_beside_the_decision(make_user) -> None:  # type: ignore[no-untyped-def]
    reviewer = sign_in(Client(), make_user(role=Role.INTELLIGENCE_OFFICER, agency_kind=AgencyKind.POLICE))
    officer = sign_in(Client(), make_user(role=Role.DATA_PROTECTION_OFFICER, agency_kind=AgencyKind.COUNCIL))
    pair = _pending_pair()
    children = [pair.record_l.person, pair.record_r.person]
    assert reviewer.post(reverse("linkage:review", args=[pair.pk]), {"verdict": "same"}).status_code == 302
    decision = MatchDecision.objects.get()
    undone = reviewer.post(reverse("linkage:undo", args=[decision.pk]), follow=True)
    assert "Decision undone" in undone.content.decode()

    for child in children:
        page = officer.get(reverse("dataprotection:trail"), {"person": child.reference}).content.decode()
        trail = page.split("<tbody")[1].split("</tbody>")[0]  # the rows, not the filter's list of actions
        assert "Decided whether two records are the same person" in trail, child.reference
        assert "Undid a match decision" in trail, child.reference


def test_side_by_side_reads_an_address_as_the_model_does() -> None:
    """The audit as a reviewer: "6 KING GARDENS" and "6 King Gdns" were marked "Differ" beside the model's
    reason "same home"."""
    from safeguarding.linkage.selectors import side_by_side
    from tests.factories import SourceRecordFactory

    left = SourceRecordFactory.build(address="6 KING GARDENS", given_name="Amy")
    right = SourceRecordFactory.build(address="6 King Gdns.", given_name="AMY ")
    other = SourceRecordFactory.build(address="6 Queen Gardens", given_name="Amy")
    status = {row.label: row.status for row in side_by_side(left, right)}
    assert status["Address"] == "agree" and status["First name"] == "agree"
    assert {row.label: row.status for row in side_by_side(left, other)}["Address"] == "differ"
