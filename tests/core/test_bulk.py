"""The bulk writer (src/safeguarding/core/bulk.py): what it stores is what the ORM would store."""

from __future__ import annotations

import datetime as dt

import pytest

from safeguarding.core import bulk
from safeguarding.core.bulk import BulkTable
from safeguarding.people.models import LinkMethod, Person, SourceRecord
from tests.factories import PersonFactory, SourceRecordFactory, SourceSystemFactory

NOW = dt.datetime(2026, 3, 29, 0, 30, tzinfo=dt.UTC)  # the night the clocks go forward


@pytest.mark.django_db
def test_inserted_rows_read_back_as_the_orm_would_have_stored_them() -> None:
    system = SourceSystemFactory()
    (person_id,) = BulkTable(Person).insert_returning_ids([{"given_name": "Chloe"}], NOW, self_references=("root",))
    updated = dt.datetime(2025, 7, 1, 8, 0, tzinfo=dt.UTC)

    BulkTable(SourceRecord).insert(
        [{"source_system_id": system.pk, "record_id": "R1", "person_id": person_id, "given_name": "Chloe",
          "updated_at": updated, "raw": {"given_name": "Chloe", "note": "café"}}],
        NOW,
    )

    person = Person.objects.get(pk=person_id)
    record = SourceRecord.objects.get(record_id="R1")
    assert (person.given_name, person.family_name, person.merged_into_id, person.created_at) == ("Chloe", "", None, NOW)
    assert person.root_id == person_id
    assert (record.person_id, record.updated_at, record.raw["note"]) == (person_id, updated, "café")
    assert (record.link_method, record.link_probability, record.imported_at, record.changed_at) == (
        LinkMethod.OWN, None, NOW, NOW)


@pytest.mark.django_db
def test_update_sets_only_the_named_fields_of_the_rows_given() -> None:
    first, second, untouched = SourceRecordFactory.create_batch(3)
    other = PersonFactory()

    BulkTable(SourceRecord).update(
        [{"id": first.pk, "person_id": other.pk, "link_method": LinkMethod.MODEL.value, "link_probability": 0.97,
          "given_name": "ignored"},
         {"id": second.pk, "person_id": second.person_id, "link_method": LinkMethod.REVIEWER.value,
          "link_probability": None}],
        ["person", "link_method", "link_probability"],
    )

    rows = {r.pk: r for r in SourceRecord.objects.all()}
    assert (rows[first.pk].person_id, rows[first.pk].link_method, rows[first.pk].link_probability) == (
        other.pk, LinkMethod.MODEL, 0.97)
    assert rows[first.pk].given_name == first.given_name
    assert (rows[second.pk].link_method, rows[second.pk].link_probability) == (LinkMethod.REVIEWER, None)
    assert (rows[untouched.pk].person_id, rows[untouched.pk].link_method) == (untouched.person_id, LinkMethod.OWN)


@pytest.mark.django_db
def test_an_update_that_skips_unchanged_rows_writes_only_the_rows_that_differ() -> None:
    from django.db import connection

    changed, same, same_with_null = SourceRecordFactory.create_batch(3, link_probability=None)
    table = SourceRecord._meta.db_table

    def written() -> object:  # a row written again has a new place (PostgreSQL); SQLite counts changes
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(f"SELECT id, ctid::text FROM {table} ORDER BY id")  # noqa: S608
                return dict(cursor.fetchall())
            cursor.execute("SELECT total_changes()")
            return cursor.fetchone()[0]

    before = written()
    BulkTable(SourceRecord).update(
        [{"id": changed.pk, "given_name": "Chloé", "link_probability": None},
         {"id": same.pk, "given_name": same.given_name, "link_probability": None},
         {"id": same_with_null.pk, "given_name": same_with_null.given_name, "link_probability": None}],
        ["given_name", "link_probability"], skip_unchanged=True,
    )
    after = written()

    assert SourceRecord.objects.get(pk=changed.pk).given_name == "Chloé"
    assert SourceRecord.objects.get(pk=same.pk).given_name == same.given_name
    if connection.vendor == "postgresql":
        assert {pk for pk in after if after[pk] != before[pk]} == {changed.pk}  # type: ignore[index,union-attr]
    else:
        assert after == before + 1  # type: ignore[operator]


@pytest.mark.django_db
def test_postgresql_statistics_are_renewed_as_a_table_doubles_inside_one_transaction() -> None:
    """A long import's own rows must reach the planner before it commits (autovacuum cannot see them)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("statistics are PostgreSQL's")
    table = BulkTable(Person)
    table.ANALYSE_FROM = 50  # type: ignore[misc]

    def planner_rows() -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE oid = 'people_person'::regclass")
            return int(cursor.fetchone()[0])

    def insert(rows: list[dict[str, str]]) -> None:
        table.insert_returning_ids(rows, NOW, self_references=("root",))  # a person is their own root

    before = planner_rows()
    insert([{"given_name": f"Child {n}"} for n in range(49)])
    assert planner_rows() == before  # not yet
    insert([{"given_name": "One more"}])
    assert planner_rows() == 50  # analysed, inside the test's transaction
    insert([{"given_name": f"Child {n}"} for n in range(49)])
    assert planner_rows() == 50  # waits until the table has doubled again
    insert([{"given_name": "And one more"}])
    assert planner_rows() == 100


@pytest.mark.django_db
def test_postgresql_checks_a_large_write_once_and_still_refuses_a_row_naming_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A write large next to its table has its foreign keys checked by one query when they are
    added back, instead of a query a row: the keys come back as they were, and a bad row is refused."""
    from django.db import IntegrityError, connection, transaction

    if connection.vendor != "postgresql":
        pytest.skip("the per-row checks are PostgreSQL's")
    monkeypatch.setattr(bulk, "CHECK_ONCE_FROM", 2)
    system = SourceSystemFactory()
    person = PersonFactory()

    def keys() -> list[tuple[str, str]]:
        return _foreign_keys("people_sourcerecord")

    def rows(person_id: int, first: int) -> list[dict[str, object]]:
        return [{"source_system_id": system.pk, "record_id": f"R{n}", "person_id": person_id, "raw": {}}
                for n in range(first, first + 3)]

    # The check goes by the planner's estimate of the table's rows: this test's empty table, not
    # whatever an earlier test's statistics left (it failed when tests/people ran first).
    _analyse("people_sourcerecord")
    before = keys()
    assert len(before) >= 2 and all("DEFERRABLE INITIALLY DEFERRED" in definition for _, definition in before)
    with transaction.atomic(), bulk.foreign_keys_checked_once(SourceRecord, 3):
        assert keys() == []  # dropped for the write
        BulkTable(SourceRecord).insert(rows(person.pk, 0), NOW)
    assert keys() == before
    assert SourceRecord.objects.count() == 3

    with pytest.raises(IntegrityError), transaction.atomic(), bulk.foreign_keys_checked_once(SourceRecord, 3):
        BulkTable(SourceRecord).insert(rows(person.pk + 1000, 10), NOW)  # no such person
    assert keys() == before
    assert SourceRecord.objects.count() == 3

    # A transaction that carries on after the failed write still has its keys.
    with transaction.atomic():
        with pytest.raises(IntegrityError), bulk.foreign_keys_checked_once(SourceRecord, 3):
            BulkTable(SourceRecord).insert(rows(person.pk + 1000, 20), NOW)
        assert keys() == before
        BulkTable(SourceRecord).insert(rows(person.pk, 30), NOW)
    assert SourceRecord.objects.count() == 6

    # Small, or small next to the table: checked row by row as usual, nothing dropped.
    with transaction.atomic(), bulk.foreign_keys_checked_once(SourceRecord, 1):
        assert keys() == before
    _analyse("people_sourcerecord")  # the table holds 6 rows
    with transaction.atomic(), bulk.foreign_keys_checked_once(SourceRecord, 2):
        assert keys() == before


@pytest.mark.django_db
def test_ids_come_back_in_the_order_of_the_rows_and_are_never_those_of_deleted_rows() -> None:
    table = BulkTable(Person)
    first = table.insert_returning_ids([{"given_name": "Amelia"}, {"given_name": "Bethany"}], NOW,
                                       self_references=("root",))
    Person.objects.filter(pk=first[1]).delete()  # the highest id so far

    again = table.insert_returning_ids([{"given_name": "Chloe"}, {"given_name": "Daisy"}, {"given_name": "Ellie"}], NOW,
                                       self_references=("root",))

    assert len(set(again)) == 3 and min(again) > first[1]
    assert [Person.objects.get(pk=pk).given_name for pk in [*first[:1], *again]] == ["Amelia", "Chloe", "Daisy", "Ellie"]
    assert table.insert_returning_ids([], NOW) == []
    assert all(Person.objects.get(pk=pk).root_id == pk for pk in again)


def _foreign_keys(table: str) -> list[tuple[str, str]]:
    """A table's foreign keys by name, with their definitions (PostgreSQL; none read on SQLite)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return []
    with connection.cursor() as cursor:
        cursor.execute("SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                       "WHERE conrelid = %s::regclass AND contype = 'f' ORDER BY conname", [table])
        return list(cursor.fetchall())


def _analyse(*tables: str) -> None:
    """PostgreSQL's statistics of the tables renewed: whether a write counts as large goes by its
    estimate of a table's rows, which should be this test's, not what an earlier test left."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for table in tables:
                cursor.execute(f"ANALYZE {table}")


def _indexes(table: str) -> dict[str, str]:
    """A table's indexes by name, with their definitions, as the database holds them now."""
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s", [table])
        else:
            cursor.execute("SELECT name, coalesce(sql, '') FROM sqlite_master WHERE type = 'index' AND tbl_name = %s",
                           [table])
        return dict(cursor.fetchall())


@pytest.mark.django_db
def test_a_write_large_next_to_its_table_has_its_indexes_built_after_it_as_they_were(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Secondary indexes are dropped for the write and built again, the same, after it; unique ones
    and those named in ``keep`` stay throughout; a failed write brings them all back; a small write
    next to the table touches nothing."""
    from django.db import IntegrityError, transaction

    monkeypatch.setattr(bulk, "CHECK_ONCE_FROM", 2)
    system = SourceSystemFactory()
    person = PersonFactory()
    table = SourceRecord._meta.db_table
    before = _indexes(table)
    names_index = next(name for name, sql in before.items() if "family_key" in sql)
    person_index = next(name for name, sql in before.items() if "person_id" in sql and "UNIQUE" not in sql.upper())
    # SQLite keeps a table's UNIQUE constraint as an index without SQL of its own.
    unique = {name for name, sql in before.items() if not sql or "UNIQUE" in sql.upper()}

    def rows(first: int, person_id: int = person.pk) -> list[dict[str, object]]:
        return [{"source_system_id": system.pk, "record_id": f"R{n}", "person_id": person_id, "family_key": f"K{n}",
                 "raw": {}} for n in range(first, first + 3)]

    with transaction.atomic(), bulk.indexes_built_after(SourceRecord, 3, keep=("person",)):
        during = _indexes(table)
        BulkTable(SourceRecord).insert(rows(0), NOW)
    assert names_index not in during
    assert person_index in during and unique <= during.keys() and unique
    assert _indexes(table) == before
    assert SourceRecord.objects.filter(family_key="K1").count() == 1  # the rebuilt index holds the new rows

    # A failed write (a record id repeated: the unique index was kept) leaves the indexes as they were.
    # (PostgreSQL's COPY goes to the driver's own cursor, whose errors Django does not wrap.)
    import psycopg

    with pytest.raises((IntegrityError, psycopg.IntegrityError)), transaction.atomic(), \
            bulk.indexes_built_after(SourceRecord, 3):
        BulkTable(SourceRecord).insert(rows(0), NOW)
    assert _indexes(table) == before
    assert SourceRecord.objects.count() == 3

    # Small next to the table (3 rows written into 6): nothing dropped.
    with transaction.atomic():
        BulkTable(SourceRecord).insert(rows(10), NOW)
    with transaction.atomic(), bulk.indexes_built_after(SourceRecord, 1):
        assert _indexes(table) == before


@pytest.mark.django_db
def test_sqlite_writes_with_a_large_page_cache_and_puts_the_old_one_back() -> None:
    from django.db import connection, transaction

    if connection.vendor != "sqlite":
        pytest.skip("the page cache is SQLite's")

    def cache() -> int:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA cache_size")
            return int(cursor.fetchone()[0])

    with transaction.atomic():
        before = cache()
        with bulk.indexes_built_after(Person, bulk.CHECK_ONCE_FROM):
            assert cache() == -bulk.SQLITE_WRITE_CACHE_KIB
        assert cache() == before


@pytest.mark.django_db
def test_a_large_update_rebuilds_only_the_indexes_it_would_add_entries_to(monkeypatch: pytest.MonkeyPatch) -> None:
    """An update of columns no index holds keeps every index. One that changes an indexed column
    adds an entry to every index of the table on PostgreSQL (so all are built after), and only to
    the indexes holding that column on SQLite."""
    from django.db import connection, transaction

    monkeypatch.setattr(bulk, "CHECK_ONCE_FROM", 1)
    SourceRecordFactory.create_batch(2)
    table = SourceRecord._meta.db_table
    before = _indexes(table)
    secondary = {name for name, sql in before.items() if sql and "UNIQUE" not in sql.upper()}

    def dropped(updated: tuple[str, ...]) -> set[str]:
        with transaction.atomic(), bulk.indexes_built_after(SourceRecord, 2, updated=updated):
            return set(before) - set(_indexes(table))

    assert dropped(("link_method", "link_probability")) == set()
    by_date = {name for name, sql in before.items() if "date_of_birth" in sql}
    assert by_date
    assert dropped(("date_of_birth",)) == (secondary if connection.vendor == "postgresql" else by_date)
    assert _indexes(table) == before
