"""The server log's shape: what it records of a request refused as the hub means it to be."""

from __future__ import annotations

import logging


class ClientErrorsInOneLine(logging.Filter):
    """A page refused to someone who may not see it (403), or not found (404), is the hub working as
    meant: Django logged each with its whole traceback, and six in an afternoon hid the one real error.
    Kept as its one line ("Forbidden (Permission denied): /alerts/"); server errors keep their traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        if 400 <= int(getattr(record, "status_code", 0) or 0) < 500:
            record.exc_info = None
            record.exc_text = None
        return True
