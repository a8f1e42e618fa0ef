"""Writing an extract's validated rows, a batch at a time, inside the import's one transaction:
new records, events and relationships inserted, changed ones updated, unchanged ones left alone,
and rows that point at a record the hub does not hold, or repeat the key of a row imported before
them, rejected. Each batch does one lookup query
per table, never one per row, and writes through ``core.bulk``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.db import connection, models
from django.db.models import Q
from django.db.models.expressions import RawSQL
from django.utils import timezone

from safeguarding.core.bulk import BulkTable
from safeguarding.exchange.format import EVENTS, INCOMING_BY_NAME, PEOPLE, RELATIONSHIPS, Unique
from safeguarding.exchange.issues import FileCounts, Issue, IssueLog
from safeguarding.exchange.models import IssueSeverity
from safeguarding.exchange.staging import StagedBatch
from safeguarding.exchange.validate import Accepted, key_digest, repeated_key
from safeguarding.people import identity
from safeguarding.people.models import NAMES_AN_OFFENDER, Event, Relationship, SourceRecord, is_restricted

# SourceRecord fields an extract sets, in the order they are compared and updated.
RECORD_FIELDS = (*PEOPLE.fields, "raw")
EVENT_FIELDS = ("source_record_id", *EVENTS.fields, "raw")
RELATIONSHIP_FIELDS = (*RELATIONSHIPS.fields, "raw")


class _Table(BulkTable):
    """``BulkTable``, taking a JSON field's value already encoded as text: staging encodes each
    row's raw cells while the extract is read, so that the write lock is not held for it."""

    @staticmethod
    def _adapter(field: models.Field[Any, Any]) -> Callable[[Any], Any] | None:
        adapt = BulkTable._adapter(field)
        if adapt is None or not isinstance(field, models.JSONField):
            return adapt
        encode = adapt
        return lambda value: value if isinstance(value, str) else encode(value)


_RECORDS = _Table(SourceRecord)
_EVENTS = _Table(Event)
_RELATIONSHIPS = _Table(Relationship)


def _defaults(model: type[models.Model], names: Sequence[str]) -> dict[str, Any]:
    """What each field of a new row holds when the extract does not say."""
    defaults = {}
    for name in names:
        model_field = model._meta.get_field(name)
        assert isinstance(model_field, models.Field)
        defaults[name] = model_field.get_default()
    return defaults


_RECORD_DEFAULTS = _defaults(SourceRecord, PEOPLE.fields)
_EVENT_DEFAULTS = _defaults(Event, EVENTS.fields)
_RELATIONSHIP_DEFAULTS = _defaults(Relationship, RELATIONSHIPS.fields)


# --- Persons: the two places an import touches the hub's identities --------------------------------


def persons_create_for_new_records(records: dict[str, list[Any]], now: dt.datetime) -> list[int]:
    """A new person for each new source record, the records given as columns of their values (one
    person a record, until record linkage joins records of the same person), by the identity room,
    which derives the display fields by its one rule; the new persons' ids, in the records' order."""
    return identity.persons_create_for_record_columns(records, now=now)


def persons_refresh_display(records: Sequence[dict[str, Any]]) -> None:
    """The persons behind changed records show their new values (by the identity room's one rule)."""
    identity.persons_refresh({r["person_id"] for r in records})


# --- Lookups --------------------------------------------------------------------------------------

# Each number of IN (...) values is a different statement to the database, and SQLite's driver
# keeps the last 128 it prepared: with thousands of values each, one per batch held hundreds of MB.
# Padding each list to a multiple of this with values that match nothing keeps a handful of
# shapes (Hibernate pads IN lists for the same reason).
IN_LIST_STEP = 500


def _padded_texts(values: set[str]) -> list[str]:
    # Longer than any stored id (120 characters), so they match nothing; and were one ever to
    # match, the callers look rows up by the keys they asked for, so it would be ignored.
    return [*values, *(f"{'~' * 121}{n}" for n in range(-len(values) % IN_LIST_STEP))]


def _padded_ids(values: set[int]) -> list[int]:
    return [*values, *range(-1, -1 - (-len(values) % IN_LIST_STEP), -1)]


def _by_system_and_id(model: type[models.Model], id_field: str, keys: Iterable[tuple[int, str]]) -> Q:
    """Rows of ``model`` for (source system, id) pairs, through its unique index on the two.

    PostgreSQL joins the pairs, sent as two arrays, to the table: one probe of the unique index a
    pair. Written as ``system IN (...) AND id IN (...)`` it probed every system with every id or,
    inside an import's transaction (where rows just written have no statistics yet), scanned all
    rows of the batch's systems: 0.6 s a batch at 3 million events, and growing. SQLite plans the
    IN lists well; they may also match a few rows of other pairs (an id one system shares with
    another), which the callers' lookups by the exact pair ignore.
    """
    pairs = list(keys)
    quote = connection.ops.quote_name
    table, column = quote(model._meta.db_table), quote(id_field)  # a plain column: its name is its field's
    # Names from the model's own metadata, values as parameters. Written as SQL on SQLite too:
    # the ORM prepares each of an IN list's thousands of values on its own, 2 µs a row.
    if connection.vendor == "postgresql":
        return Q(pk__in=RawSQL(  # noqa: S611
            f"SELECT t.id FROM {table} AS t JOIN unnest(%s::bigint[], %s::text[]) AS k(system_id, key) "  # noqa: S608
            f"ON t.source_system_id = k.system_id AND t.{column} = k.key",
            ([s for s, _ in pairs], [k for _, k in pairs]),
        ))
    systems = sorted({s for s, _ in pairs})
    texts = _padded_texts({k for _, k in pairs})
    return Q(pk__in=RawSQL(  # noqa: S611
        f"SELECT t.id FROM {table} AS t WHERE t.source_system_id IN ({', '.join(['%s'] * len(systems))}) "  # noqa: S608
        f"AND t.{column} IN ({', '.join(['%s'] * len(texts))})",
        [*systems, *texts],
    ))


def _record_pks(keys: set[tuple[int, str]]) -> dict[tuple[int, str], int]:
    """Source record ids for (system, record_id) pairs: one query for the whole batch."""
    if not keys:
        return {}
    rows = SourceRecord.objects.filter(_by_system_and_id(SourceRecord, "record_id", keys)).values_list(
        "source_system_id", "record_id", "id"
    )
    return {(s, r): pk for s, r, pk in rows}


def _merged_raw(stored: dict[str, Any], incoming: dict[str, str]) -> dict[str, Any]:
    """The row as sent, keeping any earlier value for a column now empty or absent."""
    merged = dict(stored)
    for name, value in incoming.items():
        if value.strip() or name not in merged:
            merged[name] = value
    return merged


def _changes(stored: dict[str, Any], incoming: dict[str, Any]) -> dict[str, Any]:
    """The incoming values that differ from the stored row.

    ``incoming`` holds only known values: an empty or set-aside cell is absent from it, so it never
    erases what the hub already holds.
    """
    return {name: value for name, value in incoming.items() if stored[name] != value}


def _keep_known(stored: dict[str, Any], row: Accepted) -> list[str]:
    """Leave out of ``row`` every column whose value the stored record knows and the row would change,
    with all the fields the column sets and its cell as sent; the names of the columns left out."""
    kept = []
    for column in PEOPLE.columns:
        known = column.known_fields
        if any(stored[f] not in (None, "") for f in known) and any(
            f in row.values and row.values[f] != stored[f] for f in known
        ):
            for name in column.all_fields:
                row.values.pop(name, None)
            row.raw.pop(column.name, None)
            kept.append(column.name)
    return kept


def _stamp(moment: dt.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def _not_held(record_ids: list[str], system_code: str) -> str:
    names = " and ".join(repr(r) for r in record_ids)
    return (f"the hub holds no {system_code} record {names}: it is neither in this extract's people.csv "
            "nor imported before")


# --- The writer -----------------------------------------------------------------------------------


class Upsert:
    """Writes the batches of one extract's files, inside the caller's transaction."""

    def __init__(self, issues: IssueLog, system_codes: dict[int, str]) -> None:
        self.issues = issues
        self.system_codes = system_codes
        self.counts = FileCounts()
        self.file = ""
        self._systems_new_to_file: set[int] = set()
        # Events a later extract gave another type or handling code: each kept, before and after, in
        # the import's audit row (records are never reclassified silently; DOMAIN.md).
        self.reclassified: list[dict[str, Any]] = []
        # Pairs of records (from, to) a relationships.csv row names as suspected perpetrator or victim:
        # the rooms above make the agency's other rows about the pair follow (``hooks.suspects_named``).
        # Only rows this import inserts or changes: an unchanged row was handed on when it came.
        self.suspects: list[tuple[int, int]] = []
        # The keys checked as rows are written (``Unique.at_write``), and the digests of those the file's
        # rows written so far hold: a key is the first imported row's, never a refused row's.
        self._unique: tuple[Unique, ...] = ()
        self._claimed: set[bytes] = set()

    def start_file(self, file: str, counts: FileCounts) -> None:
        self.file = file
        self.counts = counts
        self._unique = INCOMING_BY_NAME[file].unique_at_write
        self._claimed = set()
        # The systems with no row yet in the table this file writes (an agency's first extract,
        # a partnership's first import). Each of their rows in the file is new: no key of the file is
        # written twice (its repeats are refused first), so it is not looked up. A county's first
        # import saves a lookup of 5,000 keys a batch, about 8 s at a million rows.
        model = {PEOPLE.name: SourceRecord, EVENTS.name: Event}.get(file)
        self._systems_new_to_file = set() if model is None else {
            pk for pk in self.system_codes if not model._default_manager.filter(source_system_id=pk).exists()
        }

    def _maybe_stored(self, systems: list[int], ids: list[str]) -> list[tuple[int, str]]:
        """The batch's (system, id) keys that the table may already hold."""
        new = self._systems_new_to_file
        return [key for key in zip(systems, ids, strict=True) if key[0] not in new]

    def _reject(self, batch: StagedBatch, index: int, reasons: list[tuple[str, str]]) -> None:
        """Row ``index`` rejected, for each (column, reason)."""
        self.counts.rejected += 1
        self.issues.add(Issue(self.file, batch.lines[index], IssueSeverity.REJECTED, "; ".join(r for _, r in reasons),
                              ", ".join(dict.fromkeys(c for c, _ in reasons)), batch.raw(index)))

    def _refused(self, batch: StagedBatch, index: int, not_held: tuple[str, str] | None) -> bool:
        """Reject row ``index`` if it names a record the hub does not hold (``not_held``: the column and the
        reason) or repeats a key a row imported before it holds, for each reason; else the row takes its keys
        (``_claimed``): a key is the first imported row's, never a refused row's."""
        digests: list[bytes] = []
        reasons = [not_held] if not_held is not None else []
        system = batch.system_ids[index]
        for rule in self._unique:
            parts = [batch.ids[c][index] for c in rule.columns[1:]]
            digest = key_digest(system, parts)
            digests.append(digest)
            if digest in self._claimed:
                reasons.append((rule.column, repeated_key(rule, self.file, self.system_codes[system], parts)))
        if reasons:
            self._reject(batch, index, reasons)
            return True
        self._claimed.update(digests)
        return False

    def _report_warnings(self, batch: StagedBatch, index: int) -> None:
        warnings = batch.warnings[index]
        if not warnings:
            return
        raw = batch.raw(index)
        for warning in warnings:
            self._warn(batch, index, warning["column"], warning["reason"], raw)

    def _warn(self, batch: StagedBatch, index: int, column: str, reason: str, raw: dict[str, str] | None = None) -> None:
        """A warning about a row that is kept, with the row as sent (``raw``, when the caller has read it)."""
        self.counts.warnings += 1
        self.issues.add(Issue(self.file, batch.lines[index], IssueSeverity.WARNING, reason, column,
                              batch.raw(index) if raw is None else raw))

    def _bring_up_to_date(
        self, stored: dict[str, Any], row: Accepted, changed: list[dict[str, Any]], **stamp: Any
    ) -> None:
        """A stored row meets its row in the extract again: the raw cells are merged and changed
        values taken (the row joins ``changed``), or the row is counted unchanged."""
        row.values["raw"] = _merged_raw(stored["raw"], row.raw)
        if changes := _changes(stored, row.values):
            stored.update(changes, **stamp)
            changed.append(stored)
        else:
            self.counts.unchanged += 1

    def _insert(self, table: BulkTable, batch: StagedBatch, new: list[int], given: dict[str, list[Any]],
                defaults: dict[str, Any], now: dt.datetime) -> None:
        """The new rows of a batch, as columns: ``given`` and the staged values."""
        if not new:
            return
        columns = {**batch.columns(new, defaults), **given, "raw": batch.take(batch.raw_json, new)}
        table.insert_columns(columns, len(new), now)
        self.counts.created += len(new)

    def _update(self, table: BulkTable, changed: list[dict[str, Any]], fields: Sequence[str]) -> None:
        table.update(changed, fields)
        self.counts.updated += len(changed)

    # people.csv ------------------------------------------------------------------------------

    def people(self, batch: StagedBatch) -> None:
        systems, record_ids = batch.system_ids, batch.ids["record_id"]
        maybe_stored = self._maybe_stored(systems, record_ids)
        stored = {
            (r["source_system_id"], r["record_id"]): r
            for r in SourceRecord.objects.filter(_by_system_and_id(SourceRecord, "record_id", maybe_stored)).values(
                "id", "person_id", "source_system_id", "record_id", *RECORD_FIELDS
            )
        } if maybe_stored else {}
        counts = self.counts
        now = timezone.now()
        new: list[int] = []
        changed: list[dict[str, Any]] = []
        for index, key in enumerate(zip(systems, record_ids, strict=True)):
            self._report_warnings(batch, index)
            record = stored.get(key)
            if record is None:
                new.append(index)
                continue
            row = batch.row(index)
            incoming_at, stored_at = row.values.get("updated_at"), record["updated_at"]
            if stored_at is not None and incoming_at is not None and incoming_at < stored_at:
                # An older copy than the hub's: applying it would overwrite newer values.
                counts.unchanged += 1
                counts.older += 1
                self._warn(batch, index, "updated_at", f"updated_at is older than the hub's copy of this record "
                           f"({_stamp(stored_at)}): the row changed nothing")
                continue
            if stored_at is not None and incoming_at is None:
                # A copy of no known age meets a dated one: it may fill what the hub does not know,
                # never overwrite what it does (SPEC.md: nothing overwritten by an older value).
                named = _keep_known(record, row)
                if named:
                    self._warn(batch, index, "updated_at", f"updated_at is empty and the hub's copy of this record is "
                               f"dated {_stamp(stored_at)}: its {', '.join(named)} kept, the row only filled what "
                               "was unknown")
            self._bring_up_to_date(record, row, changed, changed_at=now)
        if new:
            values = batch.columns(new, _RECORD_DEFAULTS)
            given = {"source_system_id": batch.take(systems, new), "record_id": batch.take(record_ids, new),
                     "person_id": persons_create_for_new_records(values, now)}
            self._insert(_RECORDS, batch, new, given, _RECORD_DEFAULTS, now)
        if changed:
            self._update(_RECORDS, changed, [*RECORD_FIELDS, "changed_at"])
            persons_refresh_display(changed)

    # relationships.csv -----------------------------------------------------------------------

    def relationships(self, batch: StagedBatch) -> None:
        systems = batch.system_ids
        record_ids, other_ids, kinds = batch.ids["record_id"], batch.ids["other_record_id"], batch.ids["relationship"]
        pks = _record_pks(set(zip(systems, record_ids, strict=True)) | set(zip(systems, other_ids, strict=True)))
        resolved: list[tuple[int, int, int]] = []
        for index, (system, record_id, other_id) in enumerate(zip(systems, record_ids, other_ids, strict=True)):
            missing = [rid for rid in (record_id, other_id) if (system, rid) not in pks]
            not_held = None if not missing else (
                "record_id" if record_id in missing else "other_record_id", _not_held(missing, self.system_codes[system]))
            if self._refused(batch, index, not_held):
                continue
            resolved.append((index, pks[(system, record_id)], pks[(system, other_id)]))
        stored = {
            (r["from_record_id"], r["to_record_id"], r["relationship"]): r
            for r in Relationship.objects.filter(
                from_record_id__in=_padded_ids({f for _, f, _ in resolved}),
                to_record_id__in=_padded_ids({t for _, _, t in resolved}),
            ).values("id", "from_record_id", "to_record_id", "relationship", *RELATIONSHIP_FIELDS)
        }
        new: list[int] = []
        ends: tuple[list[int], list[int]] = ([], [])
        changed: list[dict[str, Any]] = []
        for index, from_pk, to_pk in resolved:
            self._report_warnings(batch, index)
            names_an_offender = kinds[index] in NAMES_AN_OFFENDER
            relationship = stored.get((from_pk, to_pk, kinds[index]))
            if relationship is None:
                new.append(index)
                ends[0].append(from_pk)
                ends[1].append(to_pk)
                if names_an_offender:
                    self.suspects.append((from_pk, to_pk))
                continue
            before = len(changed)
            self._bring_up_to_date(relationship, batch.row(index), changed)
            # Only a row this import inserts or changes: an unchanged one was handed on when it came, and
            # links built since follow it at each build, so re-reading its pair's links is wasted work.
            if names_an_offender and len(changed) > before:
                self.suspects.append((from_pk, to_pk))
        given = {"source_system_id": batch.take(systems, new), "from_record_id": ends[0], "to_record_id": ends[1],
                 "relationship": batch.take(kinds, new)}
        self._insert(_RELATIONSHIPS, batch, new, given, _RELATIONSHIP_DEFAULTS, timezone.now())
        self._update(_RELATIONSHIPS, changed, RELATIONSHIP_FIELDS)

    # events.csv ------------------------------------------------------------------------------

    def events(self, batch: StagedBatch) -> None:
        systems, event_ids, record_ids = batch.system_ids, batch.ids["event_id"], batch.ids["record_id"]
        others = batch.values("other_record_ids")
        pks = _record_pks(set(zip(systems, record_ids, strict=True)) | {
            (system, other) for system, named in zip(systems, others, strict=True) if named for other in named.split(";")
        })
        maybe_stored = self._maybe_stored(systems, event_ids)
        stored = {
            (e["source_system_id"], e["event_id"]): e
            for e in Event.objects.filter(_by_system_and_id(Event, "event_id", maybe_stored)).values(
                "id", "source_system_id", "event_id", *EVENT_FIELDS
            )
        } if maybe_stored else {}
        new: list[int] = []
        new_records: list[int] = []
        new_others: list[str] = []
        changed: list[dict[str, Any]] = []
        for index, (system, event_id, record_id) in enumerate(zip(systems, event_ids, record_ids, strict=True)):
            record_pk = pks.get((system, record_id))
            not_held = None if record_pk is not None else ("record_id", _not_held([record_id], self.system_codes[system]))
            if self._refused(batch, index, not_held) or record_pk is None:  # a row not held was refused
                continue
            self._report_warnings(batch, index)
            held_others = self._others_held(batch, index, others[index], pks)
            event = stored.get((system, event_id))
            if event is None:
                new.append(index)
                new_records.append(record_pk)
                new_others.append(held_others)
                continue
            row = batch.row(index)
            row.values["source_record_id"] = record_pk
            if held_others:
                row.values["other_record_ids"] = held_others
            else:  # nothing usable: like an empty cell, it erases nothing
                row.values.pop("other_record_ids", None)
            self._reclassifying(batch, index, event, row)
            self._bring_up_to_date(event, row, changed)
        given = {"source_system_id": batch.take(systems, new), "event_id": batch.take(event_ids, new),
                 "source_record_id": new_records, "other_record_ids": new_others}
        self._insert(_EVENTS, batch, new, given, _EVENT_DEFAULTS, timezone.now())
        self._update(_EVENTS, changed, EVENT_FIELDS)

    def _others_held(self, batch: StagedBatch, index: int, named: str | None, pks: dict[tuple[int, str], int]) -> str:
        """The records of other people row ``index`` names (``other_record_ids``) that the hub holds, in this
        extract's people.csv or from before, ';'-separated; those it does not hold are set aside with a warning."""
        if not named:
            return ""
        system = batch.system_ids[index]
        names = named.split(";")
        held = [name for name in names if (system, name) in pks]
        if len(held) < len(names):
            missing = [name for name in names if (system, name) not in pks]
            self._warn(batch, index, "other_record_ids", f"{_not_held(missing, self.system_codes[system])}; set aside "
                       f"from other_record_ids{', the others kept' if held else ''}")
        return ";".join(held)

    def _reclassifying(self, batch: StagedBatch, index: int, stored: dict[str, Any], row: Accepted) -> None:
        """A held event whose type or handling code this row changes: kept (``reclassified``) and told
        with a warning, saying when it lifts a restriction to the police."""
        before = {name: stored[name] for name in ("event_type", "handling")}
        after = {name: row.values.get(name, before[name]) for name in before}
        if after == before:
            return
        self.reclassified.append({"event": stored["id"], "before": before, "after": after})
        lifted = is_restricted(before["event_type"], before["handling"]) and not is_restricted(
            after["event_type"], after["handling"])
        words = ", ".join(f"{name} {before[name] or 'empty'!s} to {after[name] or 'empty'!s}"
                          for name in before if before[name] != after[name])
        reason = (f"event_id {stored['event_id']!r} held before is reclassified: {words}"
                  + ("; it was seen only by the police and is now shared with every casework role" if lifted else "")
                  + ". The earlier values are kept in the import's audit record")
        self.counts.warnings += 1
        self.issues.add(Issue(self.file, batch.lines[index], IssueSeverity.WARNING, reason, "event_type",
                              batch.raw(index)))

    def write(self, file: str, batch: StagedBatch) -> None:
        {PEOPLE.name: self.people, RELATIONSHIPS.name: self.relationships, EVENTS.name: self.events}[file](batch)
