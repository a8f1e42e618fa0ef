"""The identity room: one owner of who a person is. A merge moves only source records; everything
recorded about either id (concerns, alerts, screenings, panel referrals, the audit trail) is read as
the child's through one join on the root, and an undone merge gives each id its own history back."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from safeguarding.accounts.models import AgencyKind, Role
from safeguarding.dataprotection.selectors import audit_events_for_person
from safeguarding.earlywarning.selectors import alerts_for_person
from safeguarding.frontdoor.selectors import concerns_for_person
from safeguarding.frontdoor.services import concern_raise
from safeguarding.panel.selectors import open_referral_for_person
from safeguarding.panel.services import panel_refer
from safeguarding.people import identity
from safeguarding.people.models import ChangeKind, Person, PersonChange, SourceRecord
from safeguarding.people.selectors import person_for_user_or_404
from safeguarding.screening.models import ScreeningAssessment
from safeguarding.screening.selectors import screenings_for_child
from tests.core.test_bulk import _analyse, _foreign_keys, _indexes
from tests.factories import AlertFactory, PersonFactory, SourceRecordFactory, merge, sign_in

pytestmark = pytest.mark.django_db


def test_display_values_follow_one_rule() -> None:
    """The rule the importer and linkage both use: an unknown sex is not shown, a failed NHS number
    is not shown, the commoner name wins, a child if any agency says so."""
    records = [
        {"given_name": "Chloe", "family_name": "Barker", "sex": "U", "role": "adult", "nhs_number": "9434765919",
         "nhs_number_valid": False, "date_of_birth": "2010"},
        {"given_name": "Chloe", "family_name": "Barker", "sex": "F", "role": "child", "nhs_number": "9434765870",
         "nhs_number_valid": True, "date_of_birth": "2010-03-14"},
        {"given_name": "Cloe", "family_name": "Barker", "sex": "", "role": "", "postcode": "S65 1AB"},
    ]
    values = identity.display_values(records)
    assert values == {
        "given_name": "Chloe", "family_name": "Barker", "date_of_birth": "2010-03-14", "sex": "F",
        "nhs_number": "9434765870", "role": "child", "postcode": "S65 1AB",
    }
    assert identity.display_values([{"given_name": "Ana", "sex": "U"}])["sex"] == ""


def test_a_new_person_is_their_own_root() -> None:
    person = PersonFactory()
    assert person.root_id == person.pk
    assert identity.current(person) == person


def test_a_merge_puts_both_histories_under_the_child_and_an_undo_gives_each_its_own(make_user) -> None:  # type: ignore[no-untyped-def]
    """Two agencies' records of one child were two persons, each with its own history: after the
    merge, the child's trail, alerts, screenings, referral and concerns hold both; nothing recorded
    about the merged-away id was moved; undoing the merge gives each id its own again."""
    mace = make_user(role=Role.MACE_COORDINATOR, agency_kind=AgencyKind.COUNCIL)
    dpo = make_user(role=Role.DATA_PROTECTION_OFFICER, agency_kind=AgencyKind.COUNCIL)
    referrer = make_user(role=Role.REFERRER, agency_kind=AgencyKind.EDUCATION)
    child, other = PersonFactory(), PersonFactory()
    SourceRecordFactory(person=child)
    SourceRecordFactory(person=other)
    person_for_user_or_404(mace, other.pk, purpose="opened before linkage joined the records")
    concern = concern_raise(raised_by=referrer, child=other, seen_on=timezone.localdate(), description="seen")
    alert = AlertFactory(person=other)
    referral = panel_refer(child=other, referred_by=mace, reason="pattern across agencies")
    screening = ScreeningAssessment.objects.create(
        child=other, tool_version_id=1, started_by=mace, started_at=timezone.now()
    )

    records = SourceRecord.objects.filter(person__in=[child, other]).count()  # the alert's event has one too
    with transaction.atomic():
        change = identity.persons_merge(keep=child.pk, retire=other.pk, cause=identity.Cause(match_decision_id=99))

    other.refresh_from_db()
    assert (other.merged_into_id, other.root_id) == (child.pk, child.pk)
    assert set(SourceRecord.objects.filter(person=child).values_list("person_id", flat=True)) == {child.pk}
    assert SourceRecord.objects.filter(person=child).count() == records
    # Nothing recorded about the merged-away id was moved...
    concern.refresh_from_db()
    alert.refresh_from_db()
    assert concern.child_id == other.pk and alert.person_id == other.pk
    # ...and all of it is the child's now.
    assert concerns_for_person(user=mace, person=child) == [concern]
    assert list(alerts_for_person(user=mace, person=child)) == [alert]
    assert open_referral_for_person(child) == referral
    assert [s.pk for s in screenings_for_child(user=mace, person=child)] == [screening.pk]
    trail = list(audit_events_for_person(user=dpo, person_id=child.pk))
    assert any(e.person_id == other.pk and e.reason == "opened before linkage joined the records" for e in trail)

    with transaction.atomic():
        identity.changes_undo(cause=identity.Cause(match_decision_id=99))
    other.refresh_from_db()
    change.refresh_from_db()
    assert (other.merged_into_id, other.root_id) == (None, other.pk)
    assert change.undone_by is not None and change.undone_by.kind == ChangeKind.UNDO
    assert concerns_for_person(user=mace, person=child) == []
    assert concerns_for_person(user=mace, person=other) == [concern]
    assert list(alerts_for_person(user=mace, person=other)) == [alert]
    assert open_referral_for_person(child) is None and open_referral_for_person(other) == referral


def test_roots_follow_chains_of_merges_and_an_undo_in_the_middle() -> None:
    a, b, c = PersonFactory(), PersonFactory(), PersonFactory()
    merge(a, into=b)
    merge(b, into=c)
    assert {p.pk: p.root_id for p in Person.objects.filter(pk__in=[a.pk, b.pk, c.pk])} == {
        a.pk: c.pk, b.pk: c.pk, c.pk: c.pk,
    }
    # b comes home (its merge into c undone): a, merged into b, follows it.
    with transaction.atomic():
        Person.objects.filter(pk=b.pk).update(merged_into=None)
        identity._roots_follow({b.pk})
    assert {p.pk: p.root_id for p in Person.objects.filter(pk__in=[a.pk, b.pk, c.pk])} == {
        a.pk: b.pk, b.pk: b.pk, c.pk: c.pk,
    }


def test_many_changes_at_once_give_the_same_roots_as_a_few(monkeypatch: pytest.MonkeyPatch) -> None:
    """A linkage run's thousands of merges take the path over arrays; it must agree with the
    path a single decision takes."""
    people = [PersonFactory() for _ in range(8)]
    ids = [p.pk for p in people]
    parents: dict[int, int | None] = {ids[0]: ids[1], ids[1]: ids[2], ids[3]: ids[2], ids[5]: ids[4]}

    def roots_after(threshold: int) -> dict[int, int]:
        with transaction.atomic():
            monkeypatch.setattr(identity, "RECOMPUTE_ALL_FROM", threshold)
            identity._set_parents(parents)
            found = dict(Person.objects.filter(pk__in=ids).values_list("pk", "root_id"))
            transaction.set_rollback(True)
        return found

    few, many = roots_after(10_000), roots_after(1)
    assert few == many
    assert many[ids[0]] == ids[2] and many[ids[3]] == ids[2] and many[ids[5]] == ids[4] and many[ids[7]] == ids[7]


def test_a_person_opened_by_an_old_id_leads_to_the_child_they_are_now(make_user) -> None:  # type: ignore[no-untyped-def]
    older, newer = PersonFactory(), PersonFactory()
    merge(newer, into=older)
    client = Client()
    sign_in(client, make_user(role=Role.TRIAGE_WORKER, agency_kind=AgencyKind.COUNCIL))
    response = client.get(reverse("people:detail", args=[newer.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("people:detail", args=[older.pk])


def test_a_split_off_record_becomes_a_person_of_its_own(make_user) -> None:  # type: ignore[no-untyped-def]
    person = PersonFactory()
    keep = SourceRecordFactory(person=person, given_name="Chloe")
    twin = SourceRecordFactory(person=person, given_name="Zoe", date_of_birth="2010-03-14")
    with transaction.atomic():
        change = identity.records_split_off(records=[twin.pk], cause=identity.Cause(match_decision_id=7))
    twin.refresh_from_db()
    keep.refresh_from_db()
    assert twin.person_id != person.pk and keep.person_id == person.pk
    new = Person.objects.get(pk=twin.person_id)
    assert (new.root_id, new.given_name, change.kind) == (new.pk, "Zoe", ChangeKind.SPLIT)
    assert PersonChange.objects.filter(match_decision_id=7).count() == 1
    assert dt.date.fromisoformat(new.date_of_birth) == dt.date(2010, 3, 14)


@pytest.mark.django_db(transaction=True)
def test_a_record_split_off_while_a_merge_reads_stays_a_person_of_its_own(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two reviewers at once: one merges a person into another, the other says one of that person's
    records is someone else. Whichever goes second sees what the first left: the split-off record is not
    carried back into the merge (PostgreSQL: on SQLite one transaction writes at a time anyway)."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite runs one writing transaction at a time: nothing interleaves")
    keep, retire = PersonFactory(), PersonFactory()
    SourceRecordFactory(person=keep)
    stays = SourceRecordFactory(person=retire, given_name="Chloe")
    someone_else = SourceRecordFactory(person=retire, given_name="Zoe", date_of_birth="2010-03-14")
    merge_has_read, split_done = threading.Event(), threading.Event()
    move = identity._move_records

    def merge_pauses_after_reading(records: Any, to_person: int) -> Any:
        if threading.current_thread().name == "merge":
            merge_has_read.set()
            split_done.wait(timeout=2)  # the split, if it can go now, commits meanwhile
        return move(records, to_person)

    monkeypatch.setattr(identity, "_move_records", merge_pauses_after_reading)
    failures: list[BaseException] = []

    def in_its_own_transaction(work: Callable[[], object], done: threading.Event | None = None) -> Callable[[], None]:
        def run() -> None:
            try:
                with transaction.atomic():
                    work()
            except BaseException as exc:
                failures.append(exc)
            finally:
                if done is not None:
                    done.set()
                connection.close()
        return run

    merging = threading.Thread(name="merge", target=in_its_own_transaction(
        lambda: identity.persons_merge(keep=keep.pk, retire=retire.pk, cause=identity.Cause())))
    splitting = threading.Thread(name="split", target=in_its_own_transaction(
        lambda: (merge_has_read.wait(timeout=10),
                 identity.records_split_off(records=[someone_else.pk], cause=identity.Cause())), split_done))
    merging.start()
    splitting.start()
    merging.join(timeout=30)
    splitting.join(timeout=30)

    assert not failures
    stays.refresh_from_db()
    someone_else.refresh_from_db()
    assert stays.person_id == keep.pk
    assert someone_else.person_id not in (keep.pk, retire.pk)
    assert Person.objects.get(pk=someone_else.person_id).given_name == "Zoe"


def test_a_regrouping_large_next_to_the_tables_gives_the_same_persons(monkeypatch: pytest.MonkeyPatch) -> None:
    """A first linkage run moves nearly half of a partnership's records: the records' and persons'
    indexes are then built again after the write, and on PostgreSQL their foreign keys checked by one
    query each. The persons it leaves are those of an ordinary regrouping, and the indexes and keys
    are back as they were."""
    from safeguarding.core import bulk

    def _indexes_and_keys(table: str) -> tuple[object, ...]:
        return (_indexes(table), _foreign_keys(table))

    records = [SourceRecordFactory(given_name=name, family_name="Barker") for name in ("Chloe", "Chloe", "Amir", "Amir")]
    persons = [r.person_id for r in records]
    tables = (SourceRecord._meta.db_table, Person._meta.db_table)
    _analyse(*tables)
    before = {t: _indexes_and_keys(t) for t in tables}
    regrouping = identity.Regrouping(
        record_updates=[{"id": records[1].pk, "person_id": persons[0]}, {"id": records[3].pk, "person_id": persons[2]}],
        record_fields=("person",),
        retire={persons[1]: persons[0], persons[3]: persons[2]},
        restore=[],
        changes=[{"kind": ChangeKind.MERGE.value, "person_id": persons[0],
                  "moves": [{"record": records[1].pk, "from": persons[1], "to": persons[0]}]}],
        touched=set(persons),
    )

    def regrouped(check_once_from: int) -> tuple[object, ...]:
        monkeypatch.setattr(bulk, "CHECK_ONCE_FROM", check_once_from)
        with transaction.atomic():
            identity.regroup(regrouping, cause=identity.Cause(), now=timezone.now())
            found = (
                sorted(SourceRecord.objects.filter(pk__in=[r.pk for r in records]).values_list("pk", "person_id")),
                sorted(Person.objects.filter(pk__in=persons).values_list("pk", "root_id", "merged_into_id", "given_name")),
                PersonChange.objects.count(),
                {t: _indexes_and_keys(t) for t in tables},
            )
            transaction.set_rollback(True)
        return found

    ordinary, large = regrouped(10_000), regrouped(1)
    assert large == ordinary
    assert large[3] == before
    assert large[1][1][1:3] == (persons[0], persons[0])  # the second Chloe's person is merged into the first


def test_a_large_regrouping_naming_a_person_that_does_not_exist_is_refused_and_writes_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With the foreign keys checked once after the write, a record moved to no person, or a person
    merged into none, is still refused, and the keys are back."""
    from safeguarding.core import bulk

    monkeypatch.setattr(bulk, "CHECK_ONCE_FROM", 1)
    records = [SourceRecordFactory(given_name="Chloe", family_name="Barker") for _ in range(2)]
    persons = [r.person_id for r in records]
    missing = max(persons) + 1000
    keys = {t: _foreign_keys(t) for t in (SourceRecord._meta.db_table, Person._meta.db_table)}
    _analyse(*keys)
    for record_to, retire_into in ((missing, persons[0]), (persons[0], missing)):
        regrouping = identity.Regrouping(
            record_updates=[{"id": records[1].pk, "person_id": record_to}], record_fields=("person",),
            retire={persons[1]: retire_into}, restore=[], changes=[], touched=set(persons),
        )
        with pytest.raises(IntegrityError), transaction.atomic():
            identity.regroup(regrouping, cause=identity.Cause(), now=timezone.now())
            _check_now()  # SQLite checks its deferred keys at the commit: ask now
        assert sorted(SourceRecord.objects.values_list("person_id", flat=True)) == sorted(persons)
        assert not Person.objects.filter(merged_into__isnull=False).exists()
        assert {t: _foreign_keys(t) for t in keys} == keys


def _check_now() -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        else:
            cursor.execute("PRAGMA foreign_key_check")
            if cursor.fetchall():
                raise IntegrityError("a foreign key names nothing")


def test_refreshing_very_many_persons_in_one_read_follows_the_same_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    """A first linkage run refreshes hundreds of thousands of persons: their records are read in one
    pass and the rule worked out in SQL. The display fields are those the batch-by-batch refresh gives."""
    when = dt.datetime(2025, 5, 1, 9, 30, tzinfo=dt.UTC)
    mixed, single, empty = PersonFactory(), PersonFactory(), PersonFactory()
    SourceRecordFactory(person=mixed, given_name="Chloe", family_name="Barker", date_of_birth="2011-04",
                        sex="U", role="adult", nhs_number="9434765919", nhs_number_valid=True, postcode="S65 1AB")
    SourceRecordFactory(person=mixed, given_name="Chloe", family_name="Barker-Smith", date_of_birth="2011-04-02",
                        sex="F", role="child", nhs_number="1234567890", nhs_number_valid=False, postcode="S60 2XX",
                        updated_at=when)
    SourceRecordFactory(person=mixed, given_name="Clo", family_name="Barker-Smith", date_of_birth="2011-04-02",
                        sex="", role="", postcode="", updated_at=when + dt.timedelta(days=1))
    SourceRecordFactory(person=single, given_name="Amir", family_name="Khan", sex="M", role="child")
    ids = [mixed.pk, single.pk, empty.pk]

    def refreshed(threshold: int) -> list[tuple[object, ...]]:
        monkeypatch.setattr(identity, "REFRESH_IN_ONE_READ_FROM", threshold)
        with transaction.atomic():
            Person.objects.filter(pk__in=ids).update(given_name="?", family_name="?", date_of_birth="?", sex="?",
                                                     nhs_number="?", role="?", postcode="?")
            identity.persons_refresh(ids)
            found = list(Person.objects.filter(pk__in=ids).order_by("pk").values_list(*identity.PERSON_DISPLAY_FIELDS))
            transaction.set_rollback(True)
        return found

    batch_by_batch, in_one_read = refreshed(1_000_000), refreshed(1)
    assert in_one_read == batch_by_batch
    assert in_one_read[0] == ("Chloe", "Barker-Smith", "2011-04-02", "F", "9434765919", "child", "S60 2XX")
    assert in_one_read[2][0] == "?"  # a person with no records is left as it was
