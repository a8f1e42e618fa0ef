"""The settings a linkage run takes from the partnership's configuration. Linkage applied to the hub is
tested on the linked demo (test_on_the_linked_demo.py)."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from safeguarding.core.errors import ServiceError
from safeguarding.linkage.services import linkage_settings


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
