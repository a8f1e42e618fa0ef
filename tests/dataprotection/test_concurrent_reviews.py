"""Two data protection officers reviewing the same thing at once: the second is refused, told what the
first decided, and the first decision stands (before, the second silently overwrote it)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse

from safeguarding.accounts.models import AgencyKind, Role
from safeguarding.audit.models import AuditEvent, AuditEventType
from safeguarding.core.errors import ServiceError
from safeguarding.dataprotection import sealing
from safeguarding.dataprotection.models import BreakGlassAccess, SealedRecord
from tests.concurrently import postgresql_only, second_while_first_holds
from tests.factories import PersonFactory, UserFactory, sign_in

pytestmark = pytest.mark.django_db


def _client(user):  # type: ignore[no-untyped-def]
    client = Client()
    sign_in(client, user)
    return client


def _sealed_and_opened(agencies):  # type: ignore[no-untyped-def]
    """Two officers, a sealed record, and one break-glass use of it waiting for review."""
    first = UserFactory(username="dpo.first", role=Role.DATA_PROTECTION_OFFICER, agency=agencies[AgencyKind.COUNCIL])
    second = UserFactory(username="dpo.second", role=Role.DATA_PROTECTION_OFFICER,
                         agency=agencies[AgencyKind.COUNCIL])
    named = UserFactory(role=Role.LEAD_PRACTITIONER, agency=agencies[AgencyKind.COUNCIL])
    officer = UserFactory(role=Role.TRIAGE_WORKER, agency=agencies[AgencyKind.POLICE])
    person = PersonFactory()
    seal = sealing.record_seal(acting_user=first, person=person, reason="A member of staff", named_users=[named])
    use = sealing.break_glass(acting_user=officer, person_id=person.pk, reason="Curious about a colleague's file")
    assert use is not None
    return first, second, seal, use


def test_a_second_review_of_a_break_glass_use_is_refused_and_the_first_finding_stands(agencies) -> None:  # type: ignore[no-untyped-def]
    first, second, _seal, use = _sealed_and_opened(agencies)
    url = reverse("dataprotection:break-glass-review", args=[use.pk])
    first_page, second_page = _client(first), _client(second)
    assert first_page.get(url).status_code == 200 and second_page.get(url).status_code == 200  # both open it
    done = first_page.post(url, {"justified": "no", "note": "No reason to open it: refer to professional standards"})
    assert done.status_code == 302
    refused = second_page.post(url, {"justified": "yes", "note": ""})
    assert refused.status_code == 200
    assert "dpo.first has already reviewed this use and found it not justified" in refused.content.decode()
    use.refresh_from_db()
    assert use.justified is False and use.reviewed_by == first
    assert use.review_note == "No reason to open it: refer to professional standards"
    assert AuditEvent.objects.filter(event_type=AuditEventType.BREAK_GLASS_REVIEWED).count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_reviews_of_a_break_glass_use_at_the_same_moment_keep_the_first(agencies) -> None:  # type: ignore[no-untyped-def]
    """The first review is still being saved when the second arrives: the second waits for it and is
    refused. Before, it read "not reviewed yet", then overwrote "not justified" with "justified"."""
    postgresql_only()
    first, second, _seal, use = _sealed_and_opened(agencies)
    stale = BreakGlassAccess.objects.get(pk=use.pk)  # what the second officer's page loaded

    def review_first(held: Callable[[], None]) -> None:  # the first review, held open just before it commits
        with transaction.atomic():
            sealing.break_glass_review(acting_user=first, use=use, justified=False,
                                       note="No reason to open it: refer to professional standards")
            held()

    later = second_while_first_holds(review_first, lambda: sealing.break_glass_review(
        acting_user=second, use=stale, justified=True, note=""))
    assert later.refused == "dpo.first has already reviewed this use and found it not justified: their review stands"
    use.refresh_from_db()
    assert use.justified is False and use.reviewed_by == first
    assert AuditEvent.objects.filter(event_type=AuditEventType.BREAK_GLASS_REVIEWED).count() == 1


def test_a_seal_lifted_on_a_page_opened_before_another_officer_kept_it_sealed_is_refused(agencies) -> None:  # type: ignore[no-untyped-def]
    first, second, seal, _use = _sealed_and_opened(agencies)
    url = reverse("dataprotection:seal", args=[seal.pk])
    first_page, second_page = _client(first), _client(second)
    assert first_page.get(url).status_code == 200
    assert second_page.get(url).status_code == 200  # both open the review form, no reviews yet
    kept = first_page.post(url, {"keep_sealed": "yes", "note": "Still working here", "based_on": "0"})
    assert kept.status_code == 302
    refused = second_page.post(url, {"keep_sealed": "no", "note": "Trial over", "based_on": "0"})
    assert refused.status_code == 200
    page = refused.content.decode()
    assert "dpo.first reviewed this seal while you were deciding and kept it sealed" in page
    assert SealedRecord.objects.get(pk=seal.pk).active  # still sealed
    assert AuditEvent.objects.filter(event_type=AuditEventType.RECORD_UNSEALED).count() == 0
    # Having read the other review, the second officer may still lift the seal: the page now carries it.
    again = second_page.post(url, {"keep_sealed": "no", "note": "Trial over", "based_on": "1"})
    assert again.status_code == 302
    assert not SealedRecord.objects.get(pk=seal.pk).active


def test_a_review_on_a_page_opened_before_the_seal_was_lifted_says_who_lifted_it(agencies) -> None:  # type: ignore[no-untyped-def]
    first, second, seal, _use = _sealed_and_opened(agencies)
    sealing.seal_review(acting_user=first, seal=seal, keep_sealed=False, note="Trial over", based_on=0)
    with pytest.raises(ServiceError, match=r"This record is no longer sealed: dpo\.first unsealed it on "):
        sealing.seal_review(acting_user=second, seal=seal, keep_sealed=True, note="Still needed", based_on=0)


def _hidden(page: str, form_marker: str, name: str) -> str:
    """The value of a hidden input in the form that holds ``form_marker``."""
    import html
    import re

    start = page.index(form_marker)
    form = page[page.rindex("<form", 0, start):page.index("</form>", start)]
    return html.unescape(re.search(rf'name="{name}" value="([^"]*)"', form).group(1))  # type: ignore[union-attr]


def test_a_change_of_who_a_seal_names_on_a_stale_page_does_not_undo_another_officers_change(agencies) -> None:  # type: ignore[no-untyped-def]
    """Two officers open the seal. The first takes off a practitioner who has left the team; the second,
    adding a coordinator on the page opened before, would name the practitioner again unseen. They are
    refused and told who changed it; their change, sent again from the page that now shows it, stands."""
    first, second, seal, _use = _sealed_and_opened(agencies)
    leaving = seal.named_users.get()
    staying = UserFactory(username="lp.staying", role=Role.LEAD_PRACTITIONER, agency=agencies[AgencyKind.COUNCIL])
    UserFactory(username="mace.new", role=Role.MACE_COORDINATOR, agency=agencies[AgencyKind.COUNCIL])
    sealing.seal_name(acting_user=first, seal=seal, named_users=[leaving, staying], reason="Joined the team")
    url = reverse("dataprotection:seal", args=[seal.pk])
    first_page, second_page = _client(first), _client(second)
    seen = _hidden(second_page.get(url).content.decode(), 'value="named"', "named_before")
    assert seen == ", ".join(sorted([leaving.username, "lp.staying"]))
    done = first_page.post(url, {"change": "named", "named": "lp.staying", "reason": "Left the team",
                                 "named_before": seen})
    assert done.status_code == 302
    stale = {"change": "named", "named": f"{leaving.username}, lp.staying, mace.new", "reason": "Coordinator added",
             "named_before": seen}
    refused = second_page.post(url, stale)
    assert refused.status_code == 200
    page = refused.content.decode()
    assert "dpo.first changed who the seal names while you were editing: it now names lp.staying" in page
    assert sealing.named_seen(SealedRecord.objects.get(pk=seal.pk)) == "lp.staying"
    # Sent again from the page that now shows the change, as the officer means it.
    again = second_page.post(url, {**stale, "named": "lp.staying, mace.new",
                                   "named_before": _hidden(page, 'value="named"', "named_before")})
    assert again.status_code == 302
    assert sealing.named_seen(SealedRecord.objects.get(pk=seal.pk)) == "lp.staying, mace.new"


def test_a_seal_review_on_a_page_showing_other_people_named_is_refused(agencies) -> None:  # type: ignore[no-untyped-def]
    first, second, seal, _use = _sealed_and_opened(agencies)
    url = reverse("dataprotection:seal", args=[seal.pk])
    second_page = _client(second)
    seen = _hidden(second_page.get(url).content.decode(), 'name="keep_sealed"', "named_before")
    newcomer = UserFactory(username="lp.new", role=Role.LEAD_PRACTITIONER, agency=agencies[AgencyKind.COUNCIL])
    sealing.seal_name(acting_user=first, seal=seal, named_users=[newcomer], reason="New social worker")
    refused = second_page.post(url, {"keep_sealed": "no", "note": "No one works with it now", "based_on": "0",
                                     "named_before": seen})
    assert refused.status_code == 200
    assert "dpo.first changed who the seal names while you were deciding: it now names lp.new" in refused.content.decode()
    assert SealedRecord.objects.get(pk=seal.pk).active
