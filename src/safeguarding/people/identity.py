"""The owner of a person's identity: the one place that creates persons, merges, splits and undoes
them, keeps each person id's root (the person it is now), and derives a person's display fields from
the records behind them by one rule.

Every other room asks it who a person is now. Whatever was recorded about a person id (concerns,
alerts, screenings, referrals, plans, audit rows) stays where it was written; reads follow the
identity with one join on ``Person.root`` (``same_person``, ``ids_of``), so nothing has to be moved
when persons merge, and an undone merge gives each id its own history back.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from safeguarding.core import normalise
from safeguarding.core.arrow import arrow_table, query_arrow
from safeguarding.core.bulk import (
    REBUILD_FROM_SHARE,
    BulkTable,
    column_of,
    foreign_keys_checked_once,
    indexes_built_after,
)
from safeguarding.people.models import ChangeKind, Person, PersonChange, PersonRole, SourceRecord

BATCH = 5000
# Any fixed number: the key of the PostgreSQL advisory lock every change of who persons are holds
# (the importer's lock is 7_243_101).
_IDENTITY_LOCK_KEY = 7_243_102
# Past this many persons changed at once (a linkage run), every root is worked out again over arrays
# instead of following the few trees a decision touches.
RECOMPUTE_ALL_FROM = 2000

# --- display fields: one rule -------------------------------------------------------------------

PERSON_DISPLAY_FIELDS = ("given_name", "family_name", "date_of_birth", "sex", "nhs_number", "role", "postcode")
# What the rule reads of each record.
RECORD_DISPLAY_FIELDS = (
    "given_name", "family_name", "date_of_birth", "sex", "role", "nhs_number", "nhs_number_valid", "postcode",
    "updated_at", "pk",
)
# The records' display fields as columns, each with its person: what display_values_table reads.
RECORD_DISPLAY_SCHEMA = pa.schema([
    ("person_id", pa.int64()),
    *((name, {"pk": pa.int64(), "nhs_number_valid": pa.bool_(), "updated_at": pa.timestamp("us", tz="UTC")}
              .get(name, pa.string())) for name in RECORD_DISPLAY_FIELDS),
])
SEX_SHOWN = ("F", "M", "X")  # "U" (unknown) is shown as not known, like an empty value
_EARLIEST = dt.datetime.min.replace(tzinfo=dt.UTC)


def display_values(records: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """A person's display fields from the records behind them (mappings with RECORD_DISPLAY_FIELDS;
    ``pk`` and ``updated_at`` may be missing): the most common name and date of birth (a full date
    before a partial one), the most common sex that is known, the most common NHS number whose check
    digit is right, the latest postcode; a child if any agency says so, else an adult if one does."""
    if len(records) == 1:
        return _one_record_values(records[0])
    full_dates = [r.get("date_of_birth") for r in records if len(r.get("date_of_birth") or "") == 10]
    roles = {r.get("role") for r in records}
    latest = max(
        records,
        key=lambda r: (
            r.get("updated_at") is not None and bool(r.get("postcode")),
            r.get("updated_at") or _EARLIEST,
            r.get("pk") or 0,
        ),
    )
    return {
        "given_name": _most_common(r.get("given_name") for r in records),
        "family_name": _most_common(r.get("family_name") for r in records),
        "date_of_birth": _most_common(full_dates) or _most_common(r.get("date_of_birth") for r in records),
        "sex": _most_common(r.get("sex") for r in records if r.get("sex") in SEX_SHOWN),
        "nhs_number": _most_common(r.get("nhs_number") for r in records if r.get("nhs_number_valid")),
        "role": (
            PersonRole.CHILD.value if PersonRole.CHILD in roles
            else (PersonRole.ADULT.value if PersonRole.ADULT in roles else "")
        ),
        "postcode": latest.get("postcode") or _most_common(r.get("postcode") for r in records),
    }


def _one_record_values(record: Mapping[str, Any]) -> dict[str, Any]:
    """The rule for a person resting on one record, without counting (an import creates a million)."""
    sex, role = record.get("sex") or "", record.get("role") or ""
    return {
        "given_name": record.get("given_name") or "",
        "family_name": record.get("family_name") or "",
        "date_of_birth": record.get("date_of_birth") or "",
        "sex": sex if sex in SEX_SHOWN else "",
        "nhs_number": (record.get("nhs_number") or "") if record.get("nhs_number_valid") else "",
        "role": role if role in (PersonRole.CHILD.value, PersonRole.ADULT.value) else "",
        "postcode": record.get("postcode") or "",
    }


def _most_common(values: Iterable[str | None]) -> str:
    """The most frequent non-empty value; on a tie, the first in sort order."""
    counted = Counter(v for v in values if v)
    if len(counted) <= 1:
        return next(iter(counted), "")
    return min(counted.items(), key=lambda kv: (-kv[1], kv[0]))[0]


_PERSONS = BulkTable(Person)
_RECORDS = BulkTable(SourceRecord)
_CHANGES = BulkTable(PersonChange)


# Past this many persons (a first linkage run refreshes hundreds of thousands), their records are read
# in one pass as columns and the rule worked out in SQL, instead of a query and a dict a row per batch.
REFRESH_IN_ONE_READ_FROM = 20_000


def persons_refresh(person_ids: Iterable[int]) -> None:
    """Set each person's display fields again from the records behind them now."""
    ids = sorted(set(person_ids))
    if len(ids) >= REFRESH_IN_ONE_READ_FROM:
        _refresh_in_one_read(ids)
        return
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        records: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for row in SourceRecord.objects.filter(person_id__in=chunk).values("person_id", *RECORD_DISPLAY_FIELDS):
            records[row["person_id"]].append(row)
        _PERSONS.update(
            [{"id": person, **display_values(rs)} for person, rs in records.items()], PERSON_DISPLAY_FIELDS,
            skip_unchanged=True,
        )


def _refresh_in_one_read(ids: list[int]) -> None:
    """``persons_refresh`` for very many persons: every record's display fields read by one query, and
    the rule worked out for all the persons asked for at once, in DuckDB (``display_values_table``).
    Worked out in Python, a person at a time, it was most of a first linkage run's refresh. Only the
    persons whose fields change are written: after a first link, about a quarter of them.

    In a transaction (every caller has one open): the records are read as written so far, and on
    SQLite through the connection's own cursor, which reads the records' timestamps."""
    quote = connection.ops.quote_name
    columns = ", ".join(quote(SourceRecord._meta.pk.column if name == "pk" else column_of(SourceRecord, name))
                        for name in ("person", *RECORD_DISPLAY_FIELDS))
    with transaction.atomic():
        records = query_arrow(f"SELECT {columns} FROM {quote(SourceRecord._meta.db_table)}",  # noqa: S608
                              RECORD_DISPLAY_SCHEMA)
        values = display_values_table(records, pa.array(ids, pa.int64()))
        del records
        for batch in values.to_batches(BATCH * 10):
            _PERSONS.update(batch.rename_columns(["id", *PERSON_DISPLAY_FIELDS]).to_pylist(), PERSON_DISPLAY_FIELDS,
                            skip_unchanged=True)


# The rule of ``display_values`` in SQL, for many persons at once: table ``records`` (person_id,
# RECORD_DISPLAY_FIELDS), table ``wanted`` (id). Ties go to the first value in code-point order, as
# Python's string order; DuckDB orders text by its UTF-8 bytes, which is the same order.
_DISPLAY_SQL = """
WITH r AS (
    SELECT * FROM records WHERE person_id IN (SELECT id FROM wanted)
), candidates AS (
    SELECT person_id, 'given_name' AS field, given_name AS v FROM r WHERE given_name <> ''
    UNION ALL SELECT person_id, 'family_name', family_name FROM r WHERE family_name <> ''
    UNION ALL SELECT person_id, 'full_date', date_of_birth FROM r WHERE length(date_of_birth) = 10
    UNION ALL SELECT person_id, 'any_date', date_of_birth FROM r WHERE date_of_birth <> ''
    UNION ALL SELECT person_id, 'sex', sex FROM r WHERE sex IN ({sexes})
    UNION ALL SELECT person_id, 'nhs_number', nhs_number FROM r WHERE nhs_number_valid AND nhs_number <> ''
    UNION ALL SELECT person_id, 'postcode', postcode FROM r WHERE postcode <> ''
), counted AS (
    SELECT person_id, field, v, count(*) AS n FROM candidates GROUP BY person_id, field, v
), commonest AS (
    SELECT person_id, field, first(v ORDER BY n DESC, v) AS v FROM counted GROUP BY person_id, field
), wide AS (
    SELECT person_id,
           first(v) FILTER (WHERE field = 'given_name') AS given_name,
           first(v) FILTER (WHERE field = 'family_name') AS family_name,
           first(v) FILTER (WHERE field = 'full_date') AS full_date,
           first(v) FILTER (WHERE field = 'any_date') AS any_date,
           first(v) FILTER (WHERE field = 'sex') AS sex,
           first(v) FILTER (WHERE field = 'nhs_number') AS nhs_number,
           first(v) FILTER (WHERE field = 'postcode') AS postcode
    FROM commonest GROUP BY person_id
), per_person AS (
    SELECT person_id,
           CASE WHEN bool_or(role = $child) THEN $child WHEN bool_or(role = $adult) THEN $adult ELSE '' END AS role,
           first(postcode ORDER BY (updated_at IS NOT NULL AND postcode <> '') DESC,
                 updated_at DESC NULLS LAST, pk DESC NULLS LAST) AS latest_postcode
    FROM r GROUP BY person_id
)
SELECT p.person_id,
       coalesce(w.given_name, '') AS given_name,
       coalesce(w.family_name, '') AS family_name,
       coalesce(w.full_date, w.any_date, '') AS date_of_birth,
       coalesce(w.sex, '') AS sex,
       coalesce(w.nhs_number, '') AS nhs_number,
       p.role,
       coalesce(nullif(p.latest_postcode, ''), w.postcode, '') AS postcode
FROM per_person AS p LEFT JOIN wide AS w USING (person_id)
ORDER BY p.person_id
"""


def display_values_table(records: pa.Table, wanted: pa.Array) -> pa.Table:
    """``display_values`` for every person in ``wanted`` that has records, at once: ``records`` has the
    columns of RECORD_DISPLAY_SCHEMA (pk and updated_at may be null). One row per person, in
    order of id: person_id, then PERSON_DISPLAY_FIELDS."""
    import duckdb

    text = [n for n in RECORD_DISPLAY_FIELDS if n not in ("pk", "updated_at", "nhs_number_valid")]
    # Empty text and no value are the same to the rule (``if v``): NULL text is read as ''.
    records = records.select(["person_id", *RECORD_DISPLAY_FIELDS])
    for name in text:
        at = records.schema.get_field_index(name)
        records = records.set_column(at, name, pc.fill_null(records.column(name).cast(pa.string()), ""))
    wanted_table = pa.table({"id": wanted.cast(pa.int64())})
    sexes = ", ".join(f"'{s}'" for s in SEX_SHOWN)
    with duckdb.connect() as con:
        con.register("records", records)
        con.register("wanted", wanted_table)
        result = arrow_table(con.sql(_DISPLAY_SQL.format(sexes=sexes),
                                     params={"child": PersonRole.CHILD.value, "adult": PersonRole.ADULT.value}))
    return result.select(["person_id", *PERSON_DISPLAY_FIELDS])


# --- creating persons ---------------------------------------------------------------------------


def _create(values: Sequence[Mapping[str, Any]], now: dt.datetime) -> list[int]:
    """New persons, each its own root. The ids are taken before the rows are written (in a
    transaction of its own if the caller has none), so each row names itself as its root."""
    with transaction.atomic():
        return _PERSONS.insert_returning_ids([dict(v) for v in values], now, self_references=("root",))


def persons_create_for_records(records: Sequence[Mapping[str, Any]], *, now: dt.datetime) -> list[int]:
    """One new person for each new source record (until record linkage joins records of the same
    person), its display fields from that record by the one rule; the new ids, in order. In bulk:
    for the importer."""
    return _create([display_values([r]) for r in records], now)


def persons_create_for_record_columns(columns: Mapping[str, Sequence[Any]], *, now: dt.datetime) -> list[int]:
    """The same for new records given as columns of values (the importer's batches)."""
    names = [n for n in RECORD_DISPLAY_FIELDS if n in columns]
    return persons_create_for_records([dict(zip(names, values, strict=True))
                                       for values in zip(*(columns[n] for n in names), strict=True)], now=now)


def persons_create_empty(count: int, *, now: dt.datetime) -> list[int]:
    """New persons whose records are about to be moved to them (a linkage run's new clusters); their
    display fields are set by ``regroup`` once the records are theirs."""
    return _create([{} for _ in range(count)], now)


def person_create(**values: Any) -> Person:
    """One person with the display fields given (PERSON_DISPLAY_FIELDS), before any record is
    theirs: the test suite's factories use it, so tests make persons as the hub does."""
    unknown = set(values) - set(PERSON_DISPLAY_FIELDS)
    if unknown:
        raise TypeError(f"not a person's display field: {', '.join(sorted(unknown))}")
    (pk,) = _create([values], timezone.now())
    return Person.objects.get(pk=pk)


def person_create_with_record(
    *, record: Mapping[str, Any], record_id: Callable[[int], str]
) -> tuple[Person, SourceRecord]:
    """A person with the one source record behind them (a child recorded in the hub's own pages).
    ``record`` holds SourceRecord fields, ``source_system`` among them; the record's id is made from
    the new person's id by ``record_id``."""
    (pk,) = _create([display_values([record])], timezone.now())
    person = Person.objects.get(pk=pk)
    keys = normalise.record_name_keys(record.get("given_name"), record.get("family_name"), record.get("other_names"))
    source_record = SourceRecord.objects.create(person=person, record_id=record_id(person.pk), **{**keys, **record})
    return person, source_record


# --- who a person is now ------------------------------------------------------------------------


def root_id(person: Person | int) -> int:
    """The id of the person this one is now (a Person's own copy of its root is trusted: callers
    hold persons they have just read)."""
    if isinstance(person, Person):
        return person.root_id
    value = Person.objects.filter(pk=person).values_list("root_id", flat=True).first()
    return int(value) if value is not None else int(person)


def current(person: Person | int) -> Person:
    """The person this one is now (itself unless merged), read afresh: a caller's copy may predate
    a merge."""
    pk = person.pk if isinstance(person, Person) else person
    root = Person.objects.filter(pk=pk).values_list("root_id", flat=True).first()
    return Person.objects.get(pk=root if root is not None else pk)


def current_locked(person: Person | int) -> Person:
    """The person this one is now (``current``), its row locked until the caller's transaction ends.
    Services whose checks and writes about one person must not interleave lock it first: a disposal of
    a survivor's support records, and a legal hold placed or a support plan opened meanwhile, which
    its checks would not have seen."""
    while True:
        found = current(person)
        locked = Person.objects.select_for_update().get(pk=found.pk)
        if locked.root_id == locked.pk:  # still the person it is: not merged while this waited for it
            return locked
        person = locked.root_id


def roots_of(person_ids: Iterable[int]) -> dict[int, int]:
    """Each person id to the id of the person it is now, in one query per 5,000 ids."""
    ids = sorted(set(person_ids))
    roots: dict[int, int] = {}
    for start in range(0, len(ids), BATCH):
        roots.update(Person.objects.filter(pk__in=ids[start : start + BATCH]).values_list("pk", "root_id"))
    return {pk: roots.get(pk, pk) for pk in ids}


def same_person(field: str, person: Person | int) -> Q:
    """A filter on a model whose ``field`` is a foreign key to Person: the rows recorded about this
    person under any id they have had (``Concern.objects.filter(same_person("child", child))``)."""
    return Q(**{f"{field}__root_id": root_id(person)})


def ids_of(person: Person | int) -> QuerySet[Person, int]:
    """Every person id that is this person now, as a subquery: for columns that hold a person id
    without a foreign key (the audit trail's ``person_id``)."""
    return Person.objects.filter(root_id=root_id(person)).values_list("pk", flat=True)


# --- merging, splitting, undoing ----------------------------------------------------------------


def identity_lock() -> None:
    """Hold, until the caller's transaction ends, the one lock every change of who persons are takes:
    a merge, a split, an undo, a linkage run's write-back, a reviewer's decision. They queue instead of
    interleaving, and whoever holds it reads persons and their records as the last of them left them
    (a merge does not carry back a split made while it read). PostgreSQL: a transaction advisory lock
    (taken again by the same transaction, it is already held). SQLite: every transaction begins
    IMMEDIATE (settings), holding the database's one write lock already."""
    if not connection.in_atomic_block:
        raise RuntimeError("identity_lock() is held for a transaction: call it inside transaction.atomic")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_IDENTITY_LOCK_KEY])


@dataclass(frozen=True)
class Cause:
    """What changed persons: a linkage run or a person's match decision (both in the linkage room)."""

    linkage_run_id: int | None = None
    match_decision_id: int | None = None


def _move_records(records: Iterable[int], to_person: int) -> list[dict[str, int]]:
    moves = [
        {"record": pk, "from": person, "to": to_person}
        for pk, person in SourceRecord.objects.filter(pk__in=list(records)).values_list("pk", "person_id")
        if person != to_person
    ]
    SourceRecord.objects.filter(pk__in=[m["record"] for m in moves]).update(person_id=to_person)
    return moves


def persons_merge(*, keep: int, retire: int, cause: Cause, now: dt.datetime | None = None) -> PersonChange:
    """``retire`` is found to be ``keep``: its records move to ``keep``, it points to ``keep``, and
    every id that was ``retire`` is now ``keep``'s. Inside the caller's transaction."""
    identity_lock()
    now = now or timezone.now()
    moved = list(SourceRecord.objects.filter(person_id=retire).values_list("pk", flat=True))
    moves = _move_records(moved, keep)
    Person.objects.filter(pk=retire).update(merged_into_id=keep)
    _roots_follow({retire})
    change = PersonChange.objects.create(
        kind=ChangeKind.MERGE, at=now, person_id=keep, moves=moves,
        linkage_run_id=cause.linkage_run_id, match_decision_id=cause.match_decision_id,
    )
    persons_refresh([keep])
    return change


def records_split_off(*, records: Sequence[int], cause: Cause, now: dt.datetime | None = None) -> PersonChange:
    """These records are someone else: they move to a new person of their own."""
    identity_lock()
    now = now or timezone.now()
    left_behind = set(SourceRecord.objects.filter(pk__in=list(records)).values_list("person_id", flat=True))
    (new_person,) = persons_create_empty(1, now=now)
    moves = _move_records(records, new_person)
    change = PersonChange.objects.create(
        kind=ChangeKind.SPLIT, at=now, person_id=new_person, moves=moves,
        linkage_run_id=cause.linkage_run_id, match_decision_id=cause.match_decision_id,
    )
    persons_refresh(left_behind | {new_person})
    return change


def changes_undo(*, cause: Cause, now: dt.datetime | None = None) -> list[PersonChange]:
    """Reverse what a decision did: records go back to the persons they came from, and a person
    merged away is its own again, with its own history. Only what is still where the change put it
    goes back; a later run or decision that moved it again wins."""
    identity_lock()
    now = now or timezone.now()
    undone = []
    changes = PersonChange.objects.filter(undone_by__isnull=True)
    if cause.match_decision_id is not None:
        changes = changes.filter(match_decision_id=cause.match_decision_id)
    elif cause.linkage_run_id is not None:
        changes = changes.filter(linkage_run_id=cause.linkage_run_id)
    else:
        return []
    for change in changes.select_for_update():
        reverse_moves = []
        restored: set[int] = set()
        for move in change.moves:
            if "record" not in move:
                # A concern moved by a merge made before reads followed the root: migration
                # linkage 0003 put every such concern back under the id it was raised for.
                continue
            moved = SourceRecord.objects.filter(pk=move["record"], person_id=move["to"]).update(
                person_id=move["from"]
            )
            if moved:
                restored.add(move["from"])
                reverse_moves.append({"record": move["record"], "from": move["to"], "to": move["from"]})
        unmerged = set(
            Person.objects.filter(pk__in=restored, merged_into__isnull=False).values_list("pk", flat=True)
        )
        Person.objects.filter(pk__in=unmerged).update(merged_into=None)
        _roots_follow(unmerged)
        undo = PersonChange.objects.create(
            kind=ChangeKind.UNDO, at=now, person_id=change.person_id, moves=reverse_moves,
            linkage_run_id=cause.linkage_run_id, match_decision_id=cause.match_decision_id,
        )
        change.undone_by = undo
        change.save(update_fields=["undone_by"])
        persons_refresh({m["to"] for m in reverse_moves} | {m["from"] for m in reverse_moves})
        undone.append(change)
    return undone


@dataclass
class Regrouping:
    """What a linkage run concluded for persons, as the identity room applies it.

    ``record_updates``: rows of {"id": record, "person_id": person, ...} (other SourceRecord fields,
    e.g. linkage's link_method and link_probability, are written in the same pass); ``retire``:
    person -> the person it is merged into; ``restore``: persons at home again (no longer merged);
    ``changes``: one {"kind", "person_id", "moves"} per person that received records;
    ``touched``: persons whose records changed, whose display fields are set again."""

    record_updates: list[dict[str, Any]]
    record_fields: Sequence[str]
    retire: dict[int, int]
    restore: list[int]
    changes: list[dict[str, Any]]
    touched: set[int]


def regroup(regrouping: Regrouping, *, cause: Cause, now: dt.datetime, progress: Any = None) -> None:
    """Apply a linkage run to persons, in bulk, inside the caller's transaction: records move,
    persons retire into the person they were found to be (or come home again), roots follow, the
    history is kept and display fields are set again. Only what changes is written. The caller holds
    ``identity_lock`` from before it read the persons it worked this out from."""
    identity_lock()
    updates = regrouping.record_updates
    # A first run moves nearly half a partnership's records: their indexes are built again after,
    # all but those this transaction goes on to read by (on PostgreSQL an index built in it may not
    # be usable until it commits): records by person, persons by root and by whom they were merged
    # into. On SQLite an index built in a transaction serves it at once, and the records' index by
    # person is the one their update changes (an entry moved per record, at random places): it is
    # built again too (a first link's records update at a million records: 19-21 s -> 11-12 s).
    records_kept = ("person",) if connection.vendor == "postgresql" else ()
    # Their foreign keys too (PostgreSQL): one join over the table checks every row, where a check per
    # row queued to the end took longer (records: 1.7 s; persons' roots and history: 3.7 s).
    with foreign_keys_checked_once(SourceRecord, len(updates), share=REBUILD_FROM_SHARE), \
            indexes_built_after(SourceRecord, len(updates), keep=records_kept, updated=regrouping.record_fields):
        for start in range(0, len(updates), BATCH * 10):
            _RECORDS.update(updates[start : start + BATCH * 10], list(regrouping.record_fields))
            if progress:
                progress("apply", min(start + BATCH * 10, len(updates)), len(updates))
    parents: dict[int, int | None] = dict.fromkeys(regrouping.restore)
    parents.update(regrouping.retire)
    with foreign_keys_checked_once(Person, len(parents), share=REBUILD_FROM_SHARE), \
            indexes_built_after(Person, len(parents) + len(regrouping.touched), keep=("root", "merged_into"),
                                updated=("merged_into", "root", *PERSON_DISPLAY_FIELDS)):
        _set_parents(parents)
        _CHANGES.insert(
            [{**change, "at": now, "linkage_run_id": cause.linkage_run_id,
              "match_decision_id": cause.match_decision_id} for change in regrouping.changes],
            now,
        )
        persons_refresh(regrouping.touched)


def retired_person_ids() -> np.ndarray:
    """Every person merged into another: after a first run, hundreds of thousands, read straight
    into an array, not as Django objects."""
    quote = connection.ops.quote_name
    merged = column_of(Person, "merged_into")
    sql = (f"SELECT {quote(Person._meta.pk.column)} FROM {quote(Person._meta.db_table)} "  # noqa: S608
           f"WHERE {quote(merged)} IS NOT NULL")
    return query_arrow(sql, pa.schema([("id", pa.int64())])).column("id").to_numpy()


# --- keeping roots ------------------------------------------------------------------------------


def _set_parents(parents: Mapping[int, int | None]) -> None:
    """Point persons at the person they were merged into (None: their own again), and their roots
    (and those of every id that followed them) at the person they are now."""
    if not parents:
        return
    if len(parents) < RECOMPUTE_ALL_FROM:
        by_target: dict[int | None, list[int]] = defaultdict(list)
        for person, parent in parents.items():
            by_target[parent].append(person)
        for parent, persons in by_target.items():
            for start in range(0, len(persons), BATCH):
                Person.objects.filter(pk__in=persons[start : start + BATCH]).update(merged_into_id=parent)
        _roots_follow(set(parents))
        return
    _roots_recompute_all(parents)


def _roots_follow(changed: set[int]) -> None:
    """After ``merged_into`` changed for a few persons: every id whose root was one of theirs (so
    whose chain passes through them) gets its root again, from the chains as they are now."""
    if not changed:
        return
    old_roots = set(Person.objects.filter(pk__in=changed).values_list("root_id", flat=True)) | changed
    rows = dict(
        Person.objects.filter(Q(root_id__in=old_roots) | Q(pk__in=changed)).values_list("pk", "merged_into_id")
    )
    outside = {p for p in rows.values() if p is not None and p not in rows}
    outside_roots = dict(Person.objects.filter(pk__in=outside).values_list("pk", "root_id"))
    new_roots: dict[int, int] = {}
    for person in rows:
        current, seen = person, set()
        while True:
            parent = rows.get(current)
            if parent is None:
                root = current
                break
            if parent not in rows:
                root = outside_roots.get(parent, parent)
                break
            if current in seen:  # a cycle would be a bug elsewhere; stop rather than loop for ever
                root = current
                break
            seen.add(current)
            current = parent
        new_roots[person] = root
    by_root: dict[int, list[int]] = defaultdict(list)
    for person, root in new_roots.items():
        by_root[root].append(person)
    for root, persons in by_root.items():
        for start in range(0, len(persons), BATCH):
            Person.objects.filter(pk__in=persons[start : start + BATCH]).exclude(root_id=root).update(root_id=root)


def _roots_recompute_all(parents: Mapping[int, int | None]) -> None:
    """A linkage run's many changes: read every person whose root is not themselves (or who is
    merged), apply the changes in memory, follow every chain to its end over arrays, and write the
    persons whose ``merged_into`` or root changed, in bulk."""
    quote = connection.ops.quote_name
    table = quote(Person._meta.db_table)
    pk, merged, root = (quote(Person._meta.pk.column), quote(column_of(Person, "merged_into")),
                        quote(column_of(Person, "root")))
    sql = (f"SELECT {pk}, {merged}, {root} FROM {table} "  # noqa: S608
           f"WHERE {merged} IS NOT NULL OR {root} <> {pk}")
    state = query_arrow(sql, pa.schema([("id", pa.int64()), ("merged_into", pa.int64()), ("root", pa.int64())]))
    old_parent: dict[int, int | None] = dict(zip(state.column("id").to_pylist(), state.column("merged_into").to_pylist(),
                                                 strict=True))
    old_root: dict[int, int | None] = dict(zip(state.column("id").to_pylist(), state.column("root").to_pylist(),
                                               strict=True))
    new_parent = dict(old_parent)
    new_parent.update(parents)
    ids = np.array(sorted(set(new_parent) | set(parents)), dtype=np.int64)
    parent = np.array([new_parent.get(int(i)) or int(i) for i in ids], dtype=np.int64)
    # Every chain followed one link a step, all at once, until none moves (chains are a few links
    # long; a cycle, which would be a bug elsewhere, stops after as many steps as there are persons).
    roots = parent.copy()
    last = len(ids) - 1
    for _ in range(len(ids) + 1):
        at = np.minimum(np.searchsorted(ids, roots), last)
        step = np.where(ids[at] == roots, parent[at], roots)
        if np.array_equal(step, roots):
            break
        roots = step
    rows = []
    for person, new_root in zip(ids.tolist(), roots.tolist(), strict=True):
        parent_now = new_parent.get(person)
        if parent_now != old_parent.get(person) or new_root != old_root.get(person, person):
            rows.append({"id": person, "merged_into_id": parent_now, "root_id": new_root})
    # Persons no longer merged and not in the state read (they were roots already) need nothing.
    _PERSONS.update(rows, ["merged_into", "root"])
