"""The 75-year rule and legal holds, with dates either side of the boundary."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from safeguarding.accounts.models import AgencyKind, Role
from safeguarding.core import normalise
from safeguarding.core.errors import ServiceError
from safeguarding.dataprotection import retention
from safeguarding.dataprotection.models import Disposal, RecordKind
from safeguarding.support import services as support
from safeguarding.support.models import SupportPlan
from tests.factories import PersonFactory, UserFactory


def test_partial_dates_of_birth_count_as_their_latest_day() -> None:
    assert normalise.nth_birthday(normalise.PartialDate(1950), 75, latest=True) == dt.date(2025, 12, 31)
    assert normalise.nth_birthday(normalise.PartialDate(1950, 2), 75, latest=True) == dt.date(2025, 2, 28)
    assert normalise.nth_birthday(normalise.PartialDate(1952, 2, 29), 75) == dt.date(2027, 3, 1)


@pytest.mark.django_db
def test_records_about_child_exploitation_are_kept_to_the_75th_birthday(agencies) -> None:  # type: ignore[no-untyped-def]
    dpo = UserFactory(role=Role.DATA_PROTECTION_OFFICER, agency=agencies[AgencyKind.COUNCIL])
    rule = retention.rules()[RecordKind.CHILD_EXPLOITATION]
    assert rule.until_birthday == 75
    assert retention.retain_until(rule, date_of_birth="1950-06-15", last_record=None) == dt.date(2025, 6, 15)
    child = PersonFactory(date_of_birth="1950-06-15")
    before = retention.disposal_review(user=dpo, today=dt.date(2025, 6, 14))
    on = retention.disposal_review(user=dpo, today=dt.date(2025, 6, 15))
    assert child.pk not in {d.person.pk for d in before.due}
    assert child.pk in {d.person.pk for d in on.due}
    unknown = PersonFactory(date_of_birth="")
    assert unknown.pk not in {d.person.pk for d in on.due}


@pytest.mark.django_db
def test_where_agencies_disagree_on_a_date_of_birth_the_latest_keeps_the_records(agencies) -> None:  # type: ignore[no-untyped-def]
    from tests.factories import SourceRecordFactory

    dpo = UserFactory(role=Role.DATA_PROTECTION_OFFICER, agency=agencies[AgencyKind.COUNCIL])
    # Two agencies say 1950, one says 1955: the hub shows the most common date, but the records are
    # kept until the 75th birthday the latest date allows.
    person = PersonFactory(date_of_birth="1950-01-15", role="child")
    for dob in ("1950-01-15", "1950-01-15", "1955-01-15"):
        SourceRecordFactory(person=person, date_of_birth=dob)
    rule = retention.rules()[RecordKind.CHILD_EXPLOITATION]
    assert retention.retain_person_until(rule, person) == dt.date(2030, 1, 15)
    assert person.pk not in {d.person.pk for d in retention.disposal_review(user=dpo, today=dt.date(2026, 6, 1)).due}
    assert person.pk in {d.person.pk for d in retention.disposal_review(user=dpo, today=dt.date(2030, 1, 15)).due}


@pytest.mark.django_db
def test_a_legal_hold_stops_disposal_until_released(agencies) -> None:  # type: ignore[no-untyped-def]
    dpo = UserFactory(role=Role.DATA_PROTECTION_OFFICER, agency=agencies[AgencyKind.COUNCIL])
    worker = UserFactory(role=Role.SUPPORT_WORKER, agency=agencies[AgencyKind.VOLUNTARY])
    today = timezone.localdate()
    born = normalise.add_years(today, -75)
    survivor = PersonFactory(date_of_birth=born.isoformat(), role="adult")
    plan = support.support_plan_open(acting_user=worker, person=survivor, abused_as_child=True)
    support.survivor_words_record(acting_user=worker, plan=plan, kind="wishes", words="keep it", said_on=today)
    day_before = today - dt.timedelta(days=1)
    with pytest.raises(ServiceError, match="not yet due"):
        retention.disposal_confirm(acting_user=dpo, person_id=survivor.pk, kind=RecordKind.SURVIVOR_SUPPORT,
                                   note="checked", today=day_before)
    hold = retention.legal_hold_place(acting_user=dpo, person=survivor, reason="Civil claim against the council")
    due = {(d.person.pk, d.kind): d for d in retention.disposal_review(user=dpo).due}
    assert due[(survivor.pk, RecordKind.SURVIVOR_SUPPORT)].held
    with pytest.raises(ServiceError, match="legal hold"):
        retention.disposal_confirm(acting_user=dpo, person_id=survivor.pk, kind=RecordKind.SURVIVOR_SUPPORT,
                                   note="checked")
    assert SupportPlan.objects.filter(pk=plan.pk).exists()
    retention.legal_hold_release(acting_user=dpo, hold_id=hold.pk, reason="Claim settled")
    # While the survivor is still supported, the records stay.
    assert due[(survivor.pk, RecordKind.SURVIVOR_SUPPORT)].supported
    with pytest.raises(ServiceError, match="still being supported"):
        retention.disposal_confirm(acting_user=dpo, person_id=survivor.pk, kind=RecordKind.SURVIVOR_SUPPORT,
                                   note="checked")
    support.support_plan_close(acting_user=worker, plan=plan, reason="No longer wants support")
    assert not next(d for d in retention.disposal_review(user=dpo).due if d.person.pk == survivor.pk).supported
    disposal = retention.disposal_confirm(acting_user=dpo, person_id=survivor.pk, kind=RecordKind.SURVIVOR_SUPPORT,
                                          note="Checked no hold and no open request")
    assert not SupportPlan.objects.filter(pk=plan.pk).exists()
    assert disposal.what == {"words": 1, "support plans": 1}
    assert Disposal.objects.get().person_id_disposed == survivor.pk
    from safeguarding.audit.models import AuditEvent

    assert AuditEvent.objects.filter(person_id=survivor.pk, event_type=1301).exists()  # the plan's opening stays


# --- disposing of records and releasing a hold are confirmed first (issue 16) -------------------------


@pytest.mark.django_db
def test_disposal_and_releasing_a_hold_ask_are_you_sure_first(agencies) -> None:  # type: ignore[no-untyped-def]
    from django.test import Client
    from django.urls import reverse

    from safeguarding.dataprotection.models import LegalHold
    from tests.factories import sign_in

    dpo = UserFactory(role=Role.DATA_PROTECTION_OFFICER, agency=agencies[AgencyKind.COUNCIL])
    worker = UserFactory(role=Role.SUPPORT_WORKER, agency=agencies[AgencyKind.VOLUNTARY])
    survivor = PersonFactory(date_of_birth=normalise.add_years(timezone.localdate(), -75).isoformat(), role="adult")
    plan = support.support_plan_open(acting_user=worker, person=survivor, abused_as_child=True)
    hold = retention.legal_hold_place(acting_user=dpo, person=survivor, reason="Civil claim against the council")
    url = reverse("dataprotection:retention")
    client = sign_in(Client(), dpo)

    release = {"action": "release", "hold": str(hold.pk), "reason": "Claim settled"}
    asked = client.post(url, release).content.decode()
    assert "Are you sure you want to release this legal hold?" in asked and "Civil claim against the council" in asked
    assert f'name="hold" value="{hold.pk}"' in asked and "Yes, release the hold" in asked
    assert LegalHold.objects.get(pk=hold.pk).released_at is None
    assert client.post(url, {**release, "confirm": "yes"}).status_code == 302
    assert LegalHold.objects.get(pk=hold.pk).released_at is not None

    dispose = {"action": "dispose", "person": str(survivor.pk), "kind": RecordKind.SURVIVOR_SUPPORT,
               "note": "Checked no hold and no open request"}
    asked = client.post(url, dispose).content.decode()
    assert "Are you sure you want to dispose of these records?" in asked and survivor.reference in asked
    assert "You cannot undo this" in asked and SupportPlan.objects.filter(pk=plan.pk).exists()
    # others are not asked: the page is refused them, and nothing is disposed of
    other = sign_in(Client(), worker).post(url, dispose)
    assert "Are you sure" not in other.content.decode() and SupportPlan.objects.filter(pk=plan.pk).exists()
    refused = client.post(url, {**dispose, "confirm": "yes"}, follow=True).content.decode()
    assert "still being supported" in refused and SupportPlan.objects.filter(pk=plan.pk).exists()
    support.support_plan_close(acting_user=worker, plan=plan, reason="No longer wants support")
    assert client.post(url, {**dispose, "confirm": "yes"}).status_code == 302
    assert not SupportPlan.objects.filter(pk=plan.pk).exists()


@pytest.mark.django_db
def test_adults_are_due_six_years_after_their_last_record_in_any_room(agencies) -> None:  # type: ignore[no-untyped-def]
    from safeguarding.justice.models import Disruption
    from tests.factories import EventFactory, SourceRecordFactory

    dpo = UserFactory(role=Role.DATA_PROTECTION_OFFICER, agency=agencies[AgencyKind.COUNCIL])
    officer = UserFactory(role=Role.INTELLIGENCE_OFFICER, agency=agencies[AgencyKind.POLICE])
    rule = retention.rules()[RecordKind.ADULT]
    assert rule.years_after_last == 6

    def adult_seen_on(day: dt.date, *, role: str = "adult") -> object:
        person = PersonFactory(role="adult", date_of_birth="1975-05-05", given_name="Wayne")
        record = SourceRecordFactory(person=person, role=role)
        EventFactory(source_record=record, event_type="police_stop",
                     occurred_at=dt.datetime.combine(day, dt.time(14), tzinfo=dt.UTC))
        return person

    def due_on(day: dt.date) -> dict[int, dt.date]:
        review = retention.disposal_review(user=dpo, today=day)
        return {d.person.pk: d.retain_until for d in review.due if d.kind == RecordKind.ADULT}

    stopped = adult_seen_on(dt.date(2019, 3, 1))
    assert stopped.pk not in due_on(dt.date(2025, 2, 28))
    assert due_on(dt.date(2025, 3, 1))[stopped.pk] == dt.date(2025, 3, 1)
    [row] = [d for d in retention.disposal_review(user=dpo, today=dt.date(2025, 3, 1)).due if d.person.pk == stopped.pk]
    assert not row.disposable  # listed for the officer to see; the hub cannot dispose of them yet
    # A notice served on him later, recorded in the justice room, keeps his records six years from it.
    served = adult_seen_on(dt.date(2019, 3, 1))
    child = PersonFactory()
    Disruption.objects.create(kind="cawn", adult=served, child=child, served_on=dt.date(2021, 5, 1), detail="Served",
                              agency=officer.agency,
                              recorded_by=officer, recorded_at=dt.datetime(2021, 5, 2, 9, tzinfo=dt.UTC))
    assert served.pk not in due_on(dt.date(2026, 6, 1))
    assert due_on(dt.date(2027, 5, 2))[served.pk] == dt.date(2027, 5, 2)
    from safeguarding.dataprotection.sources import last_records_elsewhere

    asked = last_records_elsewhere([stopped.pk, served.pk, child.pk], chunk=1)  # a few people at a time
    assert set(asked) == {served.pk}  # the notice names the child too, but hers are kept to her 75th birthday
    # A legal hold on him while an investigation runs: listed, and held.
    retention.legal_hold_place(acting_user=dpo, person=served, reason="Operation Nightjar")
    [row] = [d for d in retention.disposal_review(user=dpo, today=dt.date(2027, 5, 2)).due if d.person.pk == served.pk]
    assert row.held
    # A breach of a notice served in 2018 (recorded in 2023) keeps him six years from the breach; an
    # investigation still open keeps its subject however old his last record.
    from safeguarding.justice.models import DisruptionOutcome, Operation, OperationSubject

    breached = adult_seen_on(dt.date(2018, 1, 5))
    notice = Disruption.objects.create(kind="cawn", adult=breached, child=child, served_on=dt.date(2018, 1, 6),
                                       detail="Served", agency=officer.agency, recorded_by=officer,
                                       recorded_at=dt.datetime(2018, 1, 6, 9, tzinfo=dt.UTC))
    DisruptionOutcome.objects.create(disruption=notice, kind="breach", on=dt.date(2023, 2, 1), recorded_by=officer,
                                     recorded_at=dt.datetime(2023, 2, 1, 9, tzinfo=dt.UTC))
    assert breached.pk not in due_on(dt.date(2029, 1, 31))
    assert due_on(dt.date(2029, 2, 1))[breached.pk] == dt.date(2029, 2, 1)
    investigated = adult_seen_on(dt.date(2015, 1, 5))
    operation = Operation.objects.create(name="Nightjar", kind="investigation", summary="CSE", agency=officer.agency,
                                         opened_by=officer, opened_on=dt.date(2016, 1, 1))
    OperationSubject.objects.create(operation=operation, person=investigated, role="suspect", added_by=officer,
                                    added_at=dt.datetime(2016, 1, 2, tzinfo=dt.UTC))
    assert investigated.pk not in due_on(dt.date(2030, 1, 1))
    # Someone an agency recorded as a child is kept as a child's records are, not six years after.
    was_a_child = adult_seen_on(dt.date(2019, 3, 1), role="child")
    assert was_a_child.pk not in due_on(dt.date(2030, 1, 1))
    # With no dated record, the period cannot be counted: never offered.
    undated = PersonFactory(role="adult")
    SourceRecordFactory(person=undated)
    assert undated.pk not in due_on(dt.date(2040, 1, 1))


@pytest.mark.django_db(transaction=True)
def test_a_support_plan_opened_while_support_records_are_disposed_of_waits_and_is_kept(agencies, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Two people at once: the data protection officer disposing of a survivor's old support records
    (past their checks, deleting), and a worker opening a new plan for the survivor. The plan waits for
    the disposal and is kept; before, it was saved in the gap and deleted with the old plans."""
    from tests.concurrently import postgresql_only, second_while_first_holds

    postgresql_only()
    dpo = UserFactory(role=Role.DATA_PROTECTION_OFFICER, agency=agencies[AgencyKind.COUNCIL])
    worker = UserFactory(role=Role.SUPPORT_WORKER, agency=agencies[AgencyKind.VOLUNTARY])
    survivor = PersonFactory(date_of_birth=normalise.add_years(timezone.localdate(), -75).isoformat(), role="adult")
    old = support.support_plan_open(acting_user=worker, person=survivor, abused_as_child=True)
    support.support_plan_close(acting_user=worker, plan=old, reason="No longer wants support")
    dispose = retention.DISPOSERS[RecordKind.SURVIVOR_SUPPORT]

    def disposal(held):  # type: ignore[no-untyped-def]
        def past_the_checks(person):  # type: ignore[no-untyped-def]  # no hold, no open plan: now deleting
            held()
            return dispose(person)

        monkeypatch.setitem(retention.DISPOSERS, RecordKind.SURVIVOR_SUPPORT, past_the_checks)
        retention.disposal_confirm(acting_user=dpo, person_id=survivor.pk, kind=RecordKind.SURVIVOR_SUPPORT,
                                   note="checked")

    opening = second_while_first_holds(
        disposal, lambda: support.support_plan_open(acting_user=worker, person=survivor, abused_as_child=True))
    assert opening.waited  # for the disposal
    assert not SupportPlan.objects.filter(pk=old.pk).exists()
    assert SupportPlan.objects.filter(pk=opening.answer.pk).exists()


def test_a_legal_hold_sent_twice_is_placed_once(agencies) -> None:  # type: ignore[no-untyped-def]
    import re

    from django.test import Client
    from django.urls import reverse

    from safeguarding.dataprotection.models import LegalHold
    from tests.factories import sign_in

    dpo = UserFactory(role=Role.DATA_PROTECTION_OFFICER, agency=agencies[AgencyKind.COUNCIL])
    person = PersonFactory()
    client = sign_in(Client(), dpo)
    url = reverse("dataprotection:retention")
    token = re.search(r'name="once" value="([0-9a-f]+)"', client.get(url).content.decode())
    sent = {"action": "hold", "reference": person.reference, "reason": "Civil claim against the council",
            "once": token.group(1) if token else ""}
    assert client.post(url, sent).status_code == client.post(url, sent).status_code == 302
    assert LegalHold.objects.filter(person=person).count() == 1
    assert "The legal hold was already placed: this page was sent twice, and it was done once" in \
        client.get(url).content.decode()
