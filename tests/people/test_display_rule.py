"""A person's display fields come from one rule (``identity.display_values``); a first linkage run works
it out for hundreds of thousands of persons at once in SQL (``identity.display_values_table``). The two
must give the same answer for every person, ties and empty values included. No database needed."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import pyarrow as pa

from safeguarding.people import identity

WHEN = dt.datetime(2025, 5, 1, 9, 30, tzinfo=dt.UTC)


def _random_record(rng: random.Random, pk: int) -> dict[str, Any]:
    """Few values each, so ties, repeats and empties are common."""
    return {
        "pk": pk,
        "given_name": rng.choice(["Chloe", "Cloe", "Zoë", "Émile", "", None, "chloe"]),
        "family_name": rng.choice(["Barker", "Barker-Smith", "", None]),
        "date_of_birth": rng.choice(["2011-04-02", "2011-04-03", "2011-04", "2011", "", None]),
        "sex": rng.choice(["F", "M", "X", "U", "", None]),
        "role": rng.choice(["child", "adult", "", None]),
        "nhs_number": rng.choice(["9434765919", "9434765870", "", None]),
        "nhs_number_valid": rng.choice([True, False, None]),
        "postcode": rng.choice(["S65 1AB", "S60 2XX", "", None]),
        "updated_at": rng.choice([None, WHEN, WHEN + dt.timedelta(days=1)]),
    }


def test_the_rule_in_sql_gives_what_the_rule_in_python_gives_for_every_person() -> None:
    rng = random.Random(20261204)
    records: list[dict[str, Any]] = []
    expected: dict[int, dict[str, Any]] = {}
    for person in range(1, 1500):
        own = [{**_random_record(rng, len(records) + n + 1), "person_id": person} for n in range(rng.randint(1, 6))]
        records.extend(own)
        expected[person] = identity.display_values(own)
    rng.shuffle(records)  # the database hands records over in no particular order
    table = pa.Table.from_pylist(records, schema=identity.RECORD_DISPLAY_SCHEMA)
    wanted = [p for p in expected if p % 7]  # persons not asked for are left out

    found = identity.display_values_table(table, pa.array([*wanted, 99_999], pa.int64())).to_pylist()

    assert [row.pop("person_id") for row in found] == wanted  # in order; no row for a person without records
    assert found == [expected[p] for p in wanted]
