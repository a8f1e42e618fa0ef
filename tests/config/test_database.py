"""The database connection as the hub configures it."""

from __future__ import annotations

import pytest
from django.db import connection


@pytest.mark.django_db
def test_postgresql_connections_compile_no_query_just_in_time() -> None:
    """A page of short queries must not wait for them to be compiled: with JIT on every query, Find a person
    by postcode took 585 ms instead of 17 ms (docs/decisions.md)."""
    if connection.vendor != "postgresql":
        pytest.skip("JIT compilation is PostgreSQL's")
    assert _jit() == "off"


def _jit() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        return str(cursor.fetchone()[0])


@pytest.mark.django_db(transaction=True)
def test_a_bulk_write_turns_jit_on_for_its_own_transaction_only() -> None:
    from django.db import transaction

    from safeguarding.core.bulk import compiled_for_the_rest_of_this_transaction

    if connection.vendor != "postgresql":
        pytest.skip("JIT compilation is PostgreSQL's")
    with pytest.raises(AssertionError, match="end of a transaction"):
        compiled_for_the_rest_of_this_transaction()
    with transaction.atomic():
        compiled_for_the_rest_of_this_transaction()
        assert _jit() == "on"
    assert _jit() == "off"
