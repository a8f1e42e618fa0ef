"""Reading the hub's events into DuckDB for the rules engine, in batches, without Django models.

Both databases hand the rows over through ADBC (core.arrow.query_arrow).
Timestamps are read as text and parsed by DuckDB, not one by one in Python.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import duckdb
import pyarrow as pa
from django.db import connection

from safeguarding.core.arrow import Progress, Query, queries_arrow, query_arrow

# No joins here: the events come as they are stored and DuckDB joins them to their persons and
# agencies. The four columns that are nearly always empty travel as one (NULL when all are empty),
# split again in DuckDB.
_EVENT_SQL = """
    SELECT e.id, e.source_record_id, e.source_system_id, e.event_type, {occurred}, {ended},
           CASE WHEN e.vehicle_registration = '' AND e.phone = '' AND e.location_postcode = ''
                     AND e.other_record_ids = '' THEN NULL
                ELSE e.vehicle_registration || {sep} || e.phone || {sep} || e.location_postcode || {sep}
                     || e.other_record_ids END
    FROM people_event e
    WHERE {where}
"""
_EVENT_SCHEMA = pa.schema([
    ("event_pk", pa.int64()), ("record_pk", pa.int64()), ("source_system_id", pa.int64()), ("event_type", pa.string()),
    ("occurred", pa.string()), ("ended_text", pa.string()), ("extras", pa.string()),
])
_PERSON_SQL = "SELECT id, date_of_birth, role FROM people_person WHERE merged_into_id IS NULL"
_RECORD_PERSON_SQL = "SELECT id, person_id FROM people_sourcerecord WHERE {where}"
# Other people named in events are record ids of the same system: only those systems' ids are read.
_RECORD_SQL = "SELECT source_system_id, record_id, person_id FROM people_sourcerecord WHERE source_system_id IN ({ids})"

def _text_time(column: str) -> str:
    """A timestamp column as UTC text the same way on both databases ('' when empty)."""
    if connection.vendor == "postgresql":
        # A timestamp's own text output (ISO: core.arrow's readers see to it), a third of the cost of to_char's.
        return f"coalesce(date_trunc('second', {column} AT TIME ZONE 'UTC')::text, '')"
    return f"coalesce(substr({column}, 1, 19), '')"


def load_events(
    con: duckdb.DuckDBPyConnection,
    *,
    person_ids: Sequence[int] | None = None,
    with_contacts: bool = False,
    progress: Progress | None = None,
    shared_only: bool = False,
) -> int:
    """Fill ``ev`` (all events, or those of the given persons) and ``person``; returns the event
    count. ``with_contacts`` adds every other event that names a vehicle, phone, place or other
    person, for the rule that links children through them. ``shared_only`` leaves out what the police
    hold back (``people.models.is_restricted``: marked C, or intelligence not marked P), for figures
    read by people outside the police."""
    from safeguarding.people.models import EventType, Handling, SourceSystem

    records_where = "1 = 1"
    events_where = "1 = 1"
    ids = sorted({int(i) for i in person_ids or ()})
    if person_ids is not None:
        if not ids:
            selected = "1 = 0"
        elif connection.vendor == "sqlite":
            # Written into the query (whole numbers only), so that ADBC's process can read it:
            # a temporary table of the hub's connection would be invisible to it.
            selected = f"person_id IN (SELECT value FROM json_each('{json.dumps(ids)}'))"  # noqa: S608
        else:
            # Likewise an array literal on PostgreSQL, read on ADBC's own connection.
            selected = f"person_id IN (SELECT unnest('{{{','.join(map(str, ids))}}}'::bigint[]))"
        events_where = f"e.source_record_id IN (SELECT id FROM people_sourcerecord WHERE {selected})"  # noqa: S608
        if with_contacts:
            events_where += (
                " OR e.vehicle_registration <> '' OR e.phone <> '' OR e.location_postcode <> ''"
                " OR e.other_record_ids <> ''"
            )
        else:
            records_where = selected
    if shared_only:  # the same test as ``people.models.restricted_events``, in the SQL read here
        events_where = (f"({events_where}) AND e.handling <> '{Handling.CONDITIONS.value}' AND NOT "
                        f"(e.event_type = '{EventType.INTELLIGENCE.value}' AND e.handling <> '{Handling.SHAREABLE.value}')")
    sep = "chr(31)" if connection.vendor == "postgresql" else "char(31)"

    def events_sql(where: str) -> str:
        return _EVENT_SQL.format(occurred=_text_time("e.occurred_at"), ended=_text_time("e.ended_at"), sep=sep,
                                 where=where)

    raw, record_persons, people = queries_arrow(
        [
            Query(events_sql(events_where), _EVENT_SCHEMA, progress),
            Query(_RECORD_PERSON_SQL.format(where=records_where),
                  pa.schema([("record_pk", pa.int64()), ("person_id", pa.int64())])),
            Query(_PERSON_SQL, pa.schema([("person_id", pa.int64()), ("dob_text", pa.string()), ("role", pa.string())])),
        ],
    )
    con.register("raw_events", raw)
    naming = con.sql(
        "SELECT DISTINCT source_system_id FROM raw_events WHERE string_split(extras, chr(31))[4] <> ''"
    ).fetchall()
    system_ids = ", ".join(str(int(row[0])) for row in naming) or "NULL"
    records = query_arrow(_RECORD_SQL.format(ids=system_ids), pa.schema([("source_system_id", pa.int64()),
                                                            ("record_id", pa.string()), ("person_id", pa.int64())]))
    system_agency = list(SourceSystem.objects.values_list("pk", "agency_id"))
    systems = pa.table({
        "source_system_id": pa.array([pk for pk, _ in system_agency], type=pa.int64()),
        "agency_id": pa.array([agency for _, agency in system_agency], type=pa.int64()),
    })
    con.register("raw_record_persons", record_persons)
    con.register("raw_systems", systems)
    con.register("raw_people", people)
    con.register("raw_records", records)
    try:
        con.execute(
            """
            CREATE OR REPLACE TABLE person AS
            SELECT person_id, role,
                   CASE WHEN length(dob_text) = 10 THEN try_strptime(dob_text, '%Y-%m-%d')::DATE
                        WHEN length(dob_text) = 7 THEN last_day(try_strptime(dob_text || '-01', '%Y-%m-%d')::DATE)
                        WHEN length(dob_text) = 4 THEN try_strptime(dob_text || '-12-31', '%Y-%m-%d')::DATE
                   END AS dob
            FROM raw_people
            """
        )
        con.execute(
            """
            CREATE OR REPLACE TABLE ev AS
            WITH split AS (
                SELECT e.event_pk, rp.person_id, sy.agency_id, e.event_type, e.source_system_id,
                       e.occurred, e.ended_text,
                       CASE WHEN coalesce(e.extras, '') = '' THEN ['', '', '', ''] ELSE string_split(e.extras, chr(31)) END AS x
                FROM raw_events e
                JOIN raw_record_persons rp USING (record_pk)
                JOIN raw_systems sy USING (source_system_id)
            ), named AS (
                SELECT r.event_pk, list(DISTINCT rec.person_id) AS others
                FROM (SELECT event_pk, source_system_id, unnest(string_split(x[4], ';')) AS record_id
                      FROM split WHERE x[4] <> '') r
                JOIN raw_records rec ON rec.source_system_id = r.source_system_id AND rec.record_id = trim(r.record_id)
                GROUP BY r.event_pk
            )
            SELECT e.event_pk, e.person_id, e.agency_id, e.event_type,
                   strptime(e.occurred, '%Y-%m-%d %H:%M:%S') AS ts,
                   CASE WHEN e.ended_text <> '' THEN strptime(e.ended_text, '%Y-%m-%d %H:%M:%S') END AS ended,
                   e.x[1] AS vehicle, e.x[2] AS phone, e.x[3] AS place,
                   coalesce(n.others, []::BIGINT[]) AS others
            FROM split e LEFT JOIN named n USING (event_pk)
            """
        )
    finally:
        for name in ("raw_events", "raw_people", "raw_records", "raw_record_persons", "raw_systems"):
            con.unregister(name)
    return int(con.execute("SELECT count(*) FROM ev").fetchall()[0][0])
