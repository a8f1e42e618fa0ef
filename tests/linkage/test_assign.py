"""Which person each cluster of records is: ids stay stable across runs, a merge keeps the older
person, a split keeps the id where most records stay. Pure arrays, no database."""

from __future__ import annotations

from safeguarding.linkage.assign import assign_persons


def test_unchanged_records_keep_their_person() -> None:
    current = {1: 10, 2: 10, 3: 11}
    result = assign_persons({1: 1, 2: 1, 3: 3}, current)
    assert result.moves == [] and result.merged_into == {}


def test_a_merge_keeps_the_older_person() -> None:
    # Person 12 (newer, two records) and person 10 (older, one record) turn out to be one.
    result = assign_persons({1: 1, 2: 1, 3: 1}, {1: 10, 2: 12, 3: 12})
    assert result.person_of_cluster == {1: 10}
    assert result.merged_into == {12: 10}
    assert sorted((r, f, t) for r, f, t, _ in result.moves) == [(2, 12, 10), (3, 12, 10)]


def test_a_split_keeps_the_id_where_most_records_stay() -> None:
    result = assign_persons({1: 1, 2: 1, 3: 3}, {1: 10, 2: 10, 3: 10})
    assert result.person_of_cluster == {1: 10, 3: None}  # record 3 goes to a new person
    assert result.merged_into == {}
