"""The settings a linkage run takes from the partnership's configuration. Linkage applied to the hub is
tested on the linked demo (test_on_the_linked_demo.py)."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace

import pyarrow as pa
import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from safeguarding.core.errors import ServiceError
from safeguarding.linkage.models import LinkageModelVersion, LinkageRun, RunStatus
from safeguarding.linkage.services import linkage_run, linkage_settings


@override_settings(LINKAGE_UPPER_THRESHOLD=0.97)
def test_a_run_can_turn_a_setting_off_and_an_absent_threshold_keeps_the_partnerships() -> None:
    chosen = linkage_settings(upper_threshold=None, twin_match_weight=None, link_within_source=False)

    assert chosen.upper_threshold == 0.97
    assert (chosen.twin_match_weight, chosen.link_within_source) == (None, False)
    assert linkage_settings().twin_match_weight is not None


@override_settings(LINKAGE_SPARK_MASTER="spark://spark-master.internal:7077", LINKAGE_SPARK_DRIVER_MEMORY="8g",
                   LINKAGE_SPARK_PARTITIONS=64)
def test_a_spark_run_goes_to_the_partnerships_cluster() -> None:
    chosen = linkage_settings()

    assert chosen.spark_master == "spark://spark-master.internal:7077"
    assert (chosen.spark_driver_memory, chosen.spark_shuffle_partitions) == ("8g", 64)


@pytest.mark.parametrize(("lower", "upper"), [("-5", "-1"), ("0.99", "0.5"), ("0.3", "0.9"), ("0.8", "1.5"), ("nan", "0.9")])
def test_thresholds_out_of_order_are_refused_in_one_line_before_a_run_starts(lower: str, upper: str) -> None:
    with pytest.raises(CommandError, match=r"The thresholds must be in order 0\.5 <= lower <= upper <= 1"):
        call_command("link", "--lower", lower, "--upper", upper, "--quiet")
    with pytest.raises(ServiceError, match=r"the review threshold \(lower\) is"):
        linkage_settings(lower_threshold=float(lower), upper_threshold=float(upper))


@override_settings(LINKAGE_UPPER_THRESHOLD=0.95)
def test_a_lower_threshold_above_the_partnerships_upper_one_is_refused() -> None:
    with pytest.raises(CommandError, match=r"\(lower\) is 0\.99 and the link threshold \(upper\) 0\.95"):
        call_command("link", "--lower", "0.99", "--quiet")


@pytest.fixture
def a_run_failing_at_the_write_back(monkeypatch: pytest.MonkeyPatch) -> Callable[[BaseException], None]:
    """A run whose stages before the write-back are stood in for (records loaded, a model trained), so
    that only what a linkage run itself does with a failure is tested, in a moment."""
    from safeguarding.linkage import services

    records = pa.table({"unique_id": list(range(services.MIN_RECORDS))})
    monkeypatch.setattr(services, "load", lambda progress=None: SimpleNamespace(records=records, state=None))
    monkeypatch.setattr(services, "link", lambda records, **kwargs: SimpleNamespace(
        timings={}, model=object(), clusters=None, pairs=None, identifiers=None, compared=0))
    monkeypatch.setattr(services, "conflicting_identifiers", lambda *args, **kwargs: SimpleNamespace(num_rows=0))
    monkeypatch.setattr(services, "model_to_json", lambda model: "{}")

    def failing_with(error: BaseException) -> None:
        def write_back(**kwargs: object) -> None:
            raise error

        monkeypatch.setattr(services, "write_back", write_back)

    return failing_with


@pytest.mark.django_db
def test_a_run_that_fails_keeps_no_model_it_trained(a_run_failing_at_the_write_back: Callable[[BaseException], None]) -> None:
    a_run_failing_at_the_write_back(RuntimeError("the disk filled up"))
    with pytest.raises(ServiceError, match="nothing was changed: the disk filled up"):
        linkage_run(retrain=True)
    assert not LinkageModelVersion.objects.exists()  # "nothing was changed": no model version either
    run = LinkageRun.objects.get()
    assert (run.status, run.failure, run.model) == (RunStatus.FAILED, "the disk filled up", None)
    assert run.finished_at is not None


@pytest.mark.django_db
def test_an_interrupted_run_is_marked_so_not_left_running(
    a_run_failing_at_the_write_back: Callable[[BaseException], None],
) -> None:
    a_run_failing_at_the_write_back(KeyboardInterrupt())
    with pytest.raises(KeyboardInterrupt):
        linkage_run(retrain=True)
    run = LinkageRun.objects.get()
    assert (run.status, run.failure) == (RunStatus.FAILED, "interrupted")
    assert run.finished_at is not None and not LinkageModelVersion.objects.exists()
