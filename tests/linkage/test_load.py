"""Loading every source record as the linkage pipeline's input."""

from __future__ import annotations

import pytest

from safeguarding.linkage.load import load_records
from tests.factories import SourceRecordFactory


@pytest.mark.django_db
def test_a_postcode_from_abroad_is_compared_where_the_record_holds_no_uk_one() -> None:
    abroad = SourceRecordFactory(postcode="", postcode_other="4223")
    both = SourceRecordFactory(postcode="S65 1AB", postcode_other="4223")
    neither = SourceRecordFactory(postcode="", postcode_other="")

    records, current = load_records()

    postcodes = dict(zip(records.column("unique_id").to_pylist(), records.column("postcode").to_pylist(), strict=True))
    assert postcodes == {abroad.pk: "4223", both.pk: "S65 1AB", neither.pk: ""}
    assert current == {r.pk: r.person_id for r in (abroad, both, neither)}
