"""A subject access request's words for a concern: what the concern form asks besides what was seen
is in the bundle, and what is someone else's is proposed for redaction."""

from __future__ import annotations

import pytest
from django.utils import timezone

from safeguarding.accounts.models import AgencyKind, Role
from safeguarding.dataprotection.redaction import propose
from safeguarding.dataprotection.sources import Category, Lexicon
from safeguarding.frontdoor.services import ConcernContext, concern_raise
from safeguarding.workflows.subject_access import concerns
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db


def test_a_concerns_context_is_in_the_bundle_and_other_peoples_details_proposed_for_redaction(make_user) -> None:  # type: ignore[no-untyped-def]
    referrer = make_user(role=Role.REFERRER, agency_kind=AgencyKind.EDUCATION)
    officer = make_user(role=Role.DATA_PROTECTION_OFFICER, agency_kind=AgencyKind.COUNCIL)
    child = PersonFactory()
    concern_raise(raised_by=referrer, child=child, seen_on=timezone.localdate(), description="Seen in a car",
                  context=ConcernContext(parents_told="no", parents_not_told_reason="Stepfather may be involved",
                                         consent="given", people_involved="'Jay', about 20",
                                         vehicles_involved="Silver Audi YX12 ABC", places_involved="Flat on Main Street",
                                         referrer_role="Head of year", referrer_phone="01632 960 001"))
    [item] = concerns(officer, child).items
    fields = dict(item.fields)
    assert fields["Parents or carers told"] == "No. Why not: Stepfather may be involved"
    assert fields["Consent to share"] == "Yes, consent was given"
    assert fields["Contact of the person who raised it"] == "Head of year, 01632 960 001"
    proposed = {(item.fields[span.field][0], span.category) for span in propose([item], Lexicon())}
    assert {("Other people involved", Category.IDENTIFIER), ("Vehicles involved", Category.IDENTIFIER),
            ("Places involved", Category.IDENTIFIER), ("Contact of the person who raised it", Category.REFERRER),
            ("Raised by", Category.REFERRER)} <= proposed
    assert not any(label in ("Parents or carers told", "Consent to share") for label, _ in proposed)
    # and no one else reads it through this source
    assert concerns(referrer, child).items == []


def test_who_raised_a_concern_is_proposed_for_hiding_by_what_their_role_grants_not_its_name(make_user) -> None:  # type: ignore[no-untyped-def]
    from safeguarding.accounts.services import custom_role_create

    admin = make_user(role=Role.ADMINISTRATOR, agency_kind=AgencyKind.COUNCIL)
    officer = make_user(role=Role.DATA_PROTECTION_OFFICER, agency_kind=AgencyKind.COUNCIL)
    outside = custom_role_create(acting_user=admin, name="Concern raiser", capabilities=["raise_concern"])
    child = PersonFactory()
    for role in (outside.code, Role.LEAD_PRACTITIONER):
        concern_raise(raised_by=make_user(role=role, agency_kind=AgencyKind.VOLUNTARY), child=child,
                      seen_on=timezone.localdate(), description="Seen in a car")
    items = sorted(concerns(officer, child).items, key=lambda item: item.occurred_at)
    hidden = [any(item.fields[s.field][0] == "Raised by" for s in propose([item], Lexicon())) for item in items]
    assert sorted(hidden) == [False, True]  # the partnership's own referrer role: hidden; a practitioner: not
