"""Checking a command's options before it does anything, so a bad value ends in one clear line
(``CommandError``), never a traceback from deep inside and never after part of the work is done.

The checks run in ``handle``, not as argparse types: ``call_command`` passes keyword options to
``handle`` as they are, without argparse's types, and commands call other commands that way."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError


def whole_number(options: dict[str, Any], name: str, *, minimum: int, maximum: int | None = None) -> int | None:
    """The option ``name`` (its ``dest``), a whole number from ``minimum`` (to ``maximum``), or None if
    not given; otherwise a CommandError naming the option as it is typed (``--limit must be 1 or more``)."""
    value = options.get(name)
    if value is None:
        return None
    flag = "--" + name.replace("_", "-")
    if isinstance(value, bool) or not isinstance(value, int):
        try:
            value = int(str(value), 10)
        except ValueError:
            raise CommandError(f"{flag} must be a whole number, not {options[name]!r}") from None
    if value < minimum or (maximum is not None and value > maximum):
        raise CommandError(f"{flag} must be {minimum} or more" if maximum is None
                           else f"{flag} must be from {minimum} to {maximum}")
    return int(value)
