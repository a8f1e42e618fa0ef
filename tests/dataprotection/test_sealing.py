"""Sealed records: not found for anyone not named, everywhere a person is shown; break-glass with a
reason opens it, is audited, and waits for the data protection officer's review."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from safeguarding.accounts.models import AgencyKind, Role
from safeguarding.audit.models import AuditEvent, AuditEventType
from safeguarding.dataprotection import sealing, selectors
from safeguarding.frontdoor.services import concern_raise
from safeguarding.people.selectors import SearchCriteria, people_search
from tests.factories import PersonFactory, SourceRecordFactory, UserFactory, merge, sign_in

pytestmark = pytest.mark.django_db


def _client(user):  # type: ignore[no-untyped-def]
    client = Client()
    sign_in(client, user)
    return client


def test_a_sealed_person_is_not_found_by_anyone_not_named(agencies) -> None:  # type: ignore[no-untyped-def]
    dpo = UserFactory(role=Role.DATA_PROTECTION_OFFICER, agency=agencies[AgencyKind.COUNCIL])
    named = UserFactory(role=Role.LEAD_PRACTITIONER, agency=agencies[AgencyKind.COUNCIL])
    other = UserFactory(role=Role.TRIAGE_WORKER, agency=agencies[AgencyKind.COUNCIL])
    child = PersonFactory(given_name="Sealed", family_name="Witness")
    older = PersonFactory(given_name="Sealed", family_name="Witness")
    merge(child, into=older)
    SourceRecordFactory(person=older, given_name="Sealed", family_name="Witness")
    referrer = UserFactory(role=Role.REFERRER, agency=agencies[AgencyKind.EDUCATION])
    from django.utils import timezone

    concern = concern_raise(raised_by=referrer, child=older, seen_on=timezone.localdate(), description="x")
    sealing.record_seal(acting_user=dpo, person=older, reason="Witness in a trial", named_users=[named])

    for url in (reverse("people:detail", args=[older.pk]), reverse("people:detail", args=[child.pk]),
                reverse("frontdoor:detail", args=[concern.pk])):
        assert _client(other).get(url).status_code == 404
        assert _client(named).get(url).status_code in (200, 302)
    assert older not in people_search(user=other, criteria=SearchCriteria(family_name="Witness"))
    assert older in people_search(user=named, criteria=SearchCriteria(family_name="Witness"))
    queue = _client(other).get(reverse("frontdoor:queue")).content.decode()
    assert concern.reference not in queue
    mine = _client(referrer).get(reverse("frontdoor:mine")).content.decode()
    assert concern.reference not in mine


def test_breaking_the_glass_opens_the_record_and_tells_the_dpo(agencies) -> None:  # type: ignore[no-untyped-def]
    dpo = UserFactory(role=Role.DATA_PROTECTION_OFFICER, agency=agencies[AgencyKind.COUNCIL])
    named = UserFactory(role=Role.LEAD_PRACTITIONER, agency=agencies[AgencyKind.COUNCIL])
    officer = UserFactory(role=Role.TRIAGE_WORKER, agency=agencies[AgencyKind.POLICE])
    person = PersonFactory()
    plain = PersonFactory()
    sealing.record_seal(acting_user=dpo, person=person, reason="A member of staff", named_users=[named])
    client = _client(officer)
    short = client.post(reverse("dataprotection:break-glass"), {"reference": person.reference, "reason": "now"})
    assert "Say why you need to open this record now" in short.content.decode()
    # The page answers the same for a sealed record and one that is not: the person's page.
    for target in (person, plain):
        response = client.post(reverse("dataprotection:break-glass"),
                               {"reference": target.reference, "reason": "Missing tonight; need her known addresses"})
        assert response.status_code == 302 and response["Location"] == reverse("people:detail", args=[target.pk])
    assert client.get(reverse("people:detail", args=[person.pk])).status_code == 200
    awaiting = selectors.break_glass_uses(user=dpo, unreviewed_only=True)
    assert [u.user for u in awaiting] == [officer]
    assert AuditEvent.objects.filter(event_type=AuditEventType.BREAK_GLASS, actor=officer).count() == 1
    overview = _client(dpo).get(reverse("dataprotection:overview")).content.decode()
    assert "Missing tonight; need her known addresses" in overview
    sealing.break_glass_review(acting_user=dpo, use=awaiting[0], justified=True, note="")
    assert not selectors.break_glass_uses(user=dpo, unreviewed_only=True)


def test_breaking_the_glass_on_a_record_not_sealed_is_recorded_as_opening_nothing(agencies) -> None:  # type: ignore[no-untyped-def]
    """The user's page answers the same whether or not the record is sealed; the trail the data
    protection officer reads says nothing was opened, not that a seal was broken, where none kept the
    record from the user (no seal, or one naming them), and there is nothing to review."""
    dpo = UserFactory(role=Role.DATA_PROTECTION_OFFICER, agency=agencies[AgencyKind.COUNCIL])
    named = UserFactory(role=Role.LEAD_PRACTITIONER, agency=agencies[AgencyKind.COUNCIL])
    officer = UserFactory(role=Role.TRIAGE_WORKER, agency=agencies[AgencyKind.POLICE])
    plain, sealed = PersonFactory(), PersonFactory()
    sealing.record_seal(acting_user=dpo, person=sealed, reason="A member of staff", named_users=[named])
    for user, target in ((officer, plain), (named, sealed)):
        answer = _client(user).post(reverse("dataprotection:break-glass"),
                                    {"reference": target.reference, "reason": "Missing tonight; need her known addresses"})
        assert answer.status_code == 302 and answer["Location"] == reverse("people:detail", args=[target.pk])
        page = _client(dpo).get(reverse("dataprotection:trail"), {"person": target.reference}).content.decode()
        trail = page.split('id="trail"', 1)[1].split("</table>", 1)[0]
        assert "not sealed from them: nothing opened" in trail
        assert "Broke the glass to open a sealed record" not in trail
    assert not selectors.break_glass_uses(user=dpo)


def test_a_seal_is_reviewed_every_90_days_and_can_be_lifted(agencies) -> None:  # type: ignore[no-untyped-def]
    dpo = UserFactory(role=Role.DATA_PROTECTION_OFFICER, agency=agencies[AgencyKind.COUNCIL])
    named = UserFactory(role=Role.LEAD_PRACTITIONER, agency=agencies[AgencyKind.COUNCIL])
    other = UserFactory(role=Role.LEAD_PRACTITIONER, agency=agencies[AgencyKind.COUNCIL])
    person = PersonFactory()
    seal = sealing.record_seal(acting_user=dpo, person=person, reason="High-profile case", named_users=[named])
    assert (seal.review_due_on - seal.sealed_at.date()).days == 90
    sealing.seal_review(acting_user=dpo, seal=seal, keep_sealed=False, note="Trial over", based_on=0)
    assert _client(other).get(reverse("people:detail", args=[person.pk])).status_code == 200
