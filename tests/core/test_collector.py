"""The cycle collector run less often during bulk work, and put back as it was afterwards."""

from __future__ import annotations

import gc
import threading

import pytest

from safeguarding.core import collector


@pytest.fixture(autouse=True)
def _threshold_kept():  # type: ignore[no-untyped-def]
    before = gc.get_threshold()
    yield
    gc.set_threshold(*before)


def test_within_a_bulk_job_the_collector_runs_less_often_and_afterwards_as_before() -> None:
    gc.set_threshold(700, 10, 10)
    with collector.fewer_collections():
        assert gc.get_threshold() == (collector.BULK_THRESHOLD, 10, 10)
    assert gc.get_threshold() == (700, 10, 10)


def test_a_job_that_fails_still_puts_the_collector_back() -> None:
    gc.set_threshold(700, 10, 10)
    with pytest.raises(RuntimeError), collector.fewer_collections():
        raise RuntimeError("the import failed")
    assert gc.get_threshold() == (700, 10, 10)


def test_overlapping_jobs_in_two_threads_keep_it_raised_until_the_last_ends() -> None:
    gc.set_threshold(700, 10, 10)
    first_in, second_done = threading.Event(), threading.Event()
    seen: list[tuple[int, int, int]] = []

    def second() -> None:
        first_in.wait(5)
        with collector.fewer_collections():
            pass
        seen.append(gc.get_threshold())  # the first job still runs
        second_done.set()

    thread = threading.Thread(target=second)
    thread.start()
    with collector.fewer_collections():
        first_in.set()
        assert second_done.wait(5)
    thread.join(5)
    assert seen == [(collector.BULK_THRESHOLD, 10, 10)]
    assert gc.get_threshold() == (700, 10, 10)


def test_a_threshold_already_higher_is_left_alone() -> None:
    gc.set_threshold(100_000, 20, 20)
    with collector.fewer_collections():
        assert gc.get_threshold() == (100_000, 20, 20)
    assert gc.get_threshold() == (100_000, 20, 20)


def test_a_worker_process_keeps_fewer_collections_for_its_life_and_sets_aside_what_it_loaded() -> None:
    import subprocess
    import sys

    script = (
        "import gc; from safeguarding.core import collector; gc.set_threshold(700, 10, 10); collector.for_good(); "
        "print(gc.get_threshold(), gc.get_freeze_count() > 0)"
    )
    shown = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    assert shown.strip() == f"({collector.BULK_THRESHOLD}, 10, 10) True"
