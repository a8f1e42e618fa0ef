"""A sealed person answers *not found* to everyone the seal does not let in, on the pages that name
two people at once or list many: the justice room's lists and pages, match review's pairs and
decisions, and a person named by their hub reference in a form. Each page is read by an officer the
seal names and by one it does not, as a matrix: the one it names sees the person, the other sees
nothing of them, and the page's audit row names only whom it showed."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse

from safeguarding.accounts.models import AgencyKind, Role, User
from safeguarding.audit.models import AuditEvent, AuditEventType
from safeguarding.dataprotection.sealing import record_seal
from safeguarding.justice import services as justice
from safeguarding.justice.models import Disruption
from safeguarding.linkage.models import LinkageRun, MatchDecision, MatchReview, MatchVerdict
from safeguarding.people.models import Person, PersonRole
from tests.factories import PersonFactory, SourceRecordFactory, SourceSystemFactory, sign_in

pytestmark = pytest.mark.django_db

SEALED = "Quillfeather"  # the sealed adult's family name, on every record of theirs
DAY = dt.date(2025, 6, 1)


@dataclass
class World:
    named: User
    not_named: User
    sealed: Person
    child: Person
    operation_id: int
    disruption_id: int
    review_id: int
    decision_id: int


@pytest.fixture
def world(make_user: Any) -> World:
    named = make_user(role=Role.INTELLIGENCE_OFFICER, agency_kind=AgencyKind.POLICE)
    not_named = make_user(role=Role.INTELLIGENCE_OFFICER, agency_kind=AgencyKind.POLICE)
    dpo = make_user(role=Role.DATA_PROTECTION_OFFICER, agency_kind=AgencyKind.COUNCIL)
    sealed = PersonFactory(role=PersonRole.ADULT, given_name="Ward", family_name=SEALED, date_of_birth="1975-05-05")
    child = PersonFactory(given_name="Openchild", family_name="Dale")
    operation = justice.operation_open(acting_user=named, name="Operation Linden", kind="operation",
                                       summary="Supply in the town centre", opened_on=DAY)
    justice.operation_add_subject(acting_user=named, operation=operation, person=sealed, role="witness")
    justice.operation_add_subject(acting_user=named, operation=operation, person=child, role="child_at_risk")
    disruption = justice.disruption_record(acting_user=named, kind="cawn", adult=sealed, child=child, served_on=DAY,
                                           detail="Served at home", operation=operation)
    justice.justice_outcome_record(acting_user=named, person=sealed, kind="arrest", on=DAY, offence="Supply",
                                   operation=operation)
    # The sealed adult's police record, in a pair for review and in a decided pair, each beside a
    # record of someone else.
    police = SourceSystemFactory(code="niche", agency=named.agency)
    theirs = SourceRecordFactory(source_system=police, record_id="NICHE-SEALED", person=sealed, given_name="Ward",
                                 family_name=SEALED)
    others = [SourceRecordFactory(source_system=police, record_id=f"NICHE-{n}", given_name="Wade", family_name="Quill")
              for n in (1, 2)]
    run = LinkageRun.objects.create(started_at="2026-11-22T08:00:00Z", engine="duckdb", initiated_by="test")
    review = MatchReview.objects.create(
        record_l=others[0], record_r=theirs, match_probability=0.9, match_weight=3.2, run=run,
        explanation=[{"comparison": "prior", "label": "prior", "match_weight": -8.0, "status": "prior"}],
    )
    decision = MatchDecision.objects.create(record_l=others[1], record_r=theirs, verdict=MatchVerdict.DIFFERENT,
                                            reason="Different men", decided_by=named, decided_at="2026-11-23T08:00:00Z")
    with transaction.atomic():
        record_seal(acting_user=dpo, person=sealed, reason="A witness in an open investigation", named_users=[named])
    return World(named, not_named, sealed, child, operation.pk, disruption.pk, review.pk, decision.pk)


def _page(client: Client, name: str, *args: int) -> tuple[int, str]:
    response = client.get(reverse(name, args=args))
    return response.status_code, response.content.decode() if response.status_code == 200 else ""


PAGES = [
    ("justice:operations", lambda w: []),
    ("justice:operation", lambda w: [w.operation_id]),
    ("justice:disruption", lambda w: [w.disruption_id]),
    ("linkage:queue", lambda w: []),
    ("linkage:review", lambda w: [w.review_id]),
]


@pytest.mark.parametrize("reader", ["named", "not named"])
@pytest.mark.parametrize(("page", "args"), PAGES, ids=[name for name, _ in PAGES])
def test_a_page_shows_a_sealed_person_only_to_those_the_seal_names(world: World, reader: str, page: str,
                                                                     args: Any) -> None:
    user = world.named if reader == "named" else world.not_named
    client = sign_in(Client(), user)
    status, body = _page(client, page, *args(world))
    if reader == "named":
        assert status == 200 and SEALED in body
    elif page in ("justice:disruption", "linkage:review"):
        # The one record the page is about names them: not found, exactly as a missing one.
        assert status == 404
    else:
        assert status == 200 and SEALED not in body and world.sealed.reference not in body
    listed = AuditEvent.objects.filter(event_type=AuditEventType.PERSONS_LISTED, actor=user)
    if status == 200 and page in ("justice:operations", "justice:operation", "linkage:queue"):
        shown = {pk for event in listed for pk in event.detail["persons"]}
        assert (world.sealed.pk in shown) == (reader == "named")
        if page != "linkage:queue":
            assert world.child.pk in shown or reader == "not named"


def test_an_operation_page_keeps_the_people_the_seal_lets_the_reader_see(world: World) -> None:
    client = sign_in(Client(), world.not_named)
    status, body = _page(client, "justice:operation", world.operation_id)
    assert status == 200 and "Openchild Dale" in body and SEALED not in body


@pytest.mark.parametrize("reader", ["named", "not named"])
def test_the_operations_list_counts_what_the_operations_page_shows(world: World, reader: str) -> None:
    """A subject, a disruption or an arrest counted on the list and missing from the page would say a
    sealed person is there."""
    from safeguarding.justice import selectors

    user = world.named if reader == "named" else world.not_named
    (listed,) = selectors.operations_list(user=user)
    page = selectors.operation_page(user=user, operation=listed)

    counted = (listed.subjects_count, listed.disruptions_count, listed.arrests, listed.charges, listed.convictions)
    assert counted == (len(page.subjects), len(page.disruptions), page.counts["Arrest"], page.counts["Charge"],
                       page.counts["Conviction"])
    assert counted == ((2, 1, 1, 0, 0) if reader == "named" else (1, 0, 0, 0, 0))


@pytest.mark.parametrize("reader", ["named", "not named"])
def test_the_outcome_figures_count_what_the_readers_lists_show(world: World, reader: str) -> None:
    """Beside a disruption list that says "None yet", figures of one notice and one arrest would say that
    something naming a sealed person is there."""
    from safeguarding.justice import selectors

    user = world.named if reader == "named" else world.not_named
    figures = selectors.outcome_figures(user=user)

    expected = 1 if reader == "named" else 0
    assert figures.disruptions_by_kind["Child abduction warning notice"] == expected
    assert figures.by_kind["Arrest"] == expected
    assert sum(sum(month.values()) for _, month in figures.by_month) == expected


def test_opening_a_notice_is_in_the_trail_of_both_people_it_names(world: World) -> None:
    from safeguarding.audit.models import about_person

    sign_in(Client(), world.named).get(reverse("justice:disruption", args=[world.disruption_id]))

    for person in (world.sealed, world.child):
        assert AuditEvent.objects.filter(about_person([person.pk]), event_type=AuditEventType.OPERATION_VIEWED,
                                         target_kind="disruption").exists()


@pytest.mark.parametrize("reader", ["named", "not named"])
def test_a_decision_on_a_sealed_persons_record_is_undone_only_by_those_the_seal_names(world: World,
                                                                                        reader: str) -> None:
    client = sign_in(Client(), world.named if reader == "named" else world.not_named)
    response = client.post(reverse("linkage:undo", args=[world.decision_id]))
    revoked = MatchDecision.objects.get(pk=world.decision_id).revoked_at is not None
    assert (response.status_code, revoked) == ((302, True) if reader == "named" else (404, False))


@pytest.mark.parametrize("reader", ["named", "not named"])
def test_a_sealed_person_named_by_reference_in_a_form_is_not_found(world: World, reader: str) -> None:
    client = sign_in(Client(), world.named if reader == "named" else world.not_named)
    response = client.post(reverse("justice:disruption-new"), {
        "kind": "shpo", "adult_ref": world.sealed.reference, "served_on_0": "1", "served_on_1": "3",
        "served_on_2": "2025", "detail": f"by the {reader} officer",
    })
    recorded = Disruption.objects.filter(detail=f"by the {reader} officer").exists()
    if reader == "named":
        assert recorded
    else:
        assert not recorded and "We could not find that person" in response.content.decode()
