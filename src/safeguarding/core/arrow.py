"""Arrow tables out of DuckDB, whatever the DuckDB version hands back."""

from __future__ import annotations

from typing import Any

import pyarrow as pa


def arrow_table(relation: Any) -> pa.Table:
    """The whole result of a DuckDB relation as one Arrow table. Newer DuckDB returns a record
    batch reader from ``to_arrow_table()``; it is read to the end here, so the connection is free
    for the next statement."""
    result = relation.to_arrow_table()
    if isinstance(result, pa.RecordBatchReader):
        result = result.read_all()
    return result
