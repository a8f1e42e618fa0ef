"""Two people at once, on PostgreSQL: the first holds its transaction open at the moment that matters
(its locks taken, its checks done), the second starts meanwhile; then the first goes on. Each runs in a
thread of its own, with a connection of its own. SQLite takes one writer at a time, so a test of this
kind is skipped there (``postgresql_only``)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import connection, connections

from safeguarding.core.errors import ServiceError

WAIT_SECONDS = 10.0


def postgresql_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite takes one writer at a time, and its SELECT ... FOR UPDATE is a no-op")


@dataclass
class Second:
    waited: bool  # still waiting for the first, a second after it started
    answer: Any = None  # what the second's call answered, when it went ahead
    refused: str | None = None  # or the ServiceError it was refused with


def second_while_first_holds(first: Callable[[Callable[[], None]], Any], second: Callable[[], Any]) -> Second:
    """Run ``first(held)``, which calls ``held()`` at the moment it holds (``held`` waits there until the
    second has started and had a second to finish); then ``second()``. Answers how the second fared."""
    holding, release = threading.Event(), threading.Event()
    outcome: dict[str, Any] = {}
    failures: list[BaseException] = []

    def held() -> None:
        holding.set()
        release.wait(WAIT_SECONDS)

    def run_first() -> None:
        try:
            first(held)
        except BaseException as exc:  # shown by the test, not lost in the thread
            failures.append(exc)
            holding.set()
        finally:
            connections.close_all()

    def run_second() -> None:
        try:
            outcome["answer"] = second()
        except ServiceError as exc:
            outcome["refused"] = str(exc)
        except BaseException as exc:
            failures.append(exc)
        finally:
            connections.close_all()

    one = threading.Thread(target=run_first)
    one.start()
    assert holding.wait(WAIT_SECONDS), "the first never reached the moment it holds"
    two = threading.Thread(target=run_second)
    two.start()
    two.join(1.0)
    waited = two.is_alive()
    release.set()
    one.join(WAIT_SECONDS)
    two.join(WAIT_SECONDS)
    if failures:
        raise failures[0]
    return Second(waited=waited, answer=outcome.get("answer"), refused=outcome.get("refused"))
