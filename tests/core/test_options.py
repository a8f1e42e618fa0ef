"""A command's whole-number options checked before it does anything (src/safeguarding/core/options.py)."""

from __future__ import annotations

import pytest
from django.core.management import CommandError

from safeguarding.core.options import whole_number


def test_a_whole_number_in_range_is_kept_and_one_outside_is_refused_by_its_flag() -> None:
    assert whole_number({"port": 8000}, "port", minimum=1, maximum=65535) == 8000
    assert whole_number({"port": "8000"}, "port", minimum=1, maximum=65535) == 8000
    assert whole_number({"records": None}, "records", minimum=100) is None
    with pytest.raises(CommandError, match=r"^--port must be from 1 to 65535$"):
        whole_number({"port": 99999}, "port", minimum=1, maximum=65535)
    with pytest.raises(CommandError, match=r"^--max-rows must be 1 or more$"):
        whole_number({"max_rows": -5}, "max_rows", minimum=1)
    with pytest.raises(CommandError, match="--threads must be a whole number, not 'many'"):
        whole_number({"threads": "many"}, "threads", minimum=1)
