"""Read a query's rows from a SQLite file with the ADBC driver, in a process of its own.

    python -m safeguarding.core.sqlite_reader < request.json

The request names the database file, the query and the Arrow stream file to write. The driver
carries its own copy of SQLite, and two copies of SQLite in one process must never open the same
database: POSIX locks belong to the process, so one copy closing the file drops the other's locks
(https://www.sqlite.org/howtocorrupt.html, 2.2.1), and here it unmapped the write-ahead log's
index under the hub's own connection (a bus error). So the hub reads through ADBC only from this
separate process, which imports nothing of Django. It prints each batch's row count as it goes.

The driver infers each column's type from the first batch, and a column NULL all through it is
taken for an integer, failing at the first text that follows. So the request's query starts with
one made-up row of the right types, marked by a first column of 1, which is dropped here.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc


def main() -> int:
    try:
        _read(json.load(sys.stdin))
    except Exception as exc:  # the reason, in one line, is the parent's to report
        message = str(exc).strip().splitlines()
        print(f"{type(exc).__name__}: {message[0] if message else ''}", file=sys.stderr)
        return 1
    return 0


def _read(request: dict[str, Any]) -> None:
    import adbc_driver_sqlite.dbapi

    writer: pa.RecordBatchStreamWriter | None = None
    with adbc_driver_sqlite.dbapi.connect(request["path"]) as adbc, adbc.cursor() as cursor:
        cursor.adbc_statement.set_options(**{"adbc.sqlite.query.batch_rows": str(request["batch_rows"])})
        cursor.execute(request["sql"])
        with open(request["out"], "wb") as out:
            for batch in cursor.fetch_record_batch():
                kept = batch.filter(pc.equal(batch.column(0), 0))
                if writer is None:
                    writer = pa.ipc.new_stream(out, kept.schema)
                writer.write_batch(kept)
                print(kept.num_rows, flush=True)
            if writer is not None:
                writer.close()


if __name__ == "__main__":
    sys.exit(main())
