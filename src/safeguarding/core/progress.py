"""One progress display for long commands: a bar per stage in the terminal."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

Report = Callable[[str, int, "int | None"], None]


@contextmanager
def stage_bars(console: Console, *, quiet: bool, prefix: str = "") -> Iterator[Report]:
    """Yields ``report(stage, done, total)``: the first call for a stage adds its bar."""
    with Progress(
        TextColumn("{task.description:<20}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        disable=quiet,
    ) as progress:
        tasks: dict[str, Any] = {}

        def report(stage: str, done: int, total: int | None) -> None:
            if stage not in tasks:
                tasks[stage] = progress.add_task(f"{prefix}{stage}", total=total)
            progress.update(tasks[stage], completed=done, total=total)

        yield report
