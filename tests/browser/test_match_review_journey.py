"""Match review in a real browser: a triage worker sees a pair the model was unsure about, reads
the two records side by side with the model's reasons, decides, and can undo. axe on each page."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from safeguarding.accounts.models import AgencyKind, Role
from safeguarding.linkage.models import LinkageRun, MatchDecision, MatchReview, ReviewStatus
from safeguarding.people.models import SourceRecord
from tests.browser.conftest import assert_accessible, sign_in
from tests.factories import PersonFactory, SourceRecordFactory, SourceSystemFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_reviewer_decides_a_pair_and_undoes_it(page: Any, agencies: dict[str, Any]) -> None:
    UserFactory(username="triage.council", role=Role.TRIAGE_WORKER, agency=agencies[AgencyKind.COUNCIL])
    school = SourceSystemFactory(code="school-sims", agency=agencies[AgencyKind.EDUCATION])
    nhs = SourceSystemFactory(code="nhs-community", agency=agencies[AgencyKind.HEALTH])
    older = PersonFactory(given_name="Chloe", family_name="Barker", date_of_birth="2010-03-14")
    newer = PersonFactory(given_name="Cloe", family_name="Barker-Smith", date_of_birth="2010-03-14")
    left = SourceRecordFactory(source_system=school, record_id="SIMS-5521", person=older)
    right = SourceRecordFactory(source_system=nhs, record_id="NHS-2201", person=newer, given_name="Cloe")
    run = LinkageRun.objects.create(started_at="2026-11-22T08:00:00Z", engine="duckdb", initiated_by="test")
    review = MatchReview.objects.create(
        record_l=left,
        record_r=right,
        match_probability=0.91,
        match_weight=3.3,
        run=run,
        explanation=[
            {"comparison": "prior", "label": "prior", "match_weight": -9.1, "status": "prior"},
            {"comparison": "given_name", "label": "Jaro-Winkler > 0.9", "match_weight": 4.2, "status": "similar"},
            {"comparison": "date_of_birth", "label": "exact match", "match_weight": 8.2, "status": "agree"},
        ],
    )

    sign_in(page, "triage.council")
    page.get_by_role("link", name="Match review").first.click()
    assert_accessible(page)
    page.get_by_role("link", name=f"Review pair {review.pk}").click()
    expect(page.get_by_role("heading", name="Are these the same person?")).to_be_visible()
    expect(page.get_by_text("91%")).to_be_visible()
    assert "SIMS-5521" in page.content() and "NHS-2201" in page.content()
    # The model's reasons in a practitioner's words, not in bits.
    expect(page.get_by_text("moderate evidence for a match, all comparisons taken together")).to_be_visible()
    expect(page.get_by_role("cell", name="Strong evidence for a match")).to_be_visible()
    assert "bits" not in page.content()
    assert_accessible(page)
    page.get_by_role("button", name="Record the decision").click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Same person").check()
    page.get_by_role("button", name="Record the decision").click()
    expect(page.get_by_text("Decision recorded")).to_be_visible()
    assert_accessible(page)
    right.refresh_from_db()
    assert right.person_id == older.pk  # merged into the older person

    page.get_by_role("button", name=re.compile("Undo")).click()
    expect(page.get_by_text("Decision undone")).to_be_visible()
    assert_accessible(page)
    assert SourceRecord.objects.get(pk=right.pk).person_id == newer.pk
    assert MatchDecision.objects.get().revoked_at is not None
    assert MatchReview.objects.filter(status=ReviewStatus.PENDING).count() == 1
