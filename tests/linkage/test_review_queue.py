"""The review queue sized for people: pairs touching a child the partnership is working with first (from
the rooms above, through linkage.sources), then shared identifiers, then the likeliest matches, up to the
limit; what is waiting shown on the page; and a run over an empty hub that says there is nothing to link."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from safeguarding.accounts.models import AgencyKind, Role
from safeguarding.frontdoor.services import concern_raise
from safeguarding.linkage import sources
from safeguarding.linkage.models import LinkageRun, MatchReview, ReviewPriority, ReviewStatus, RunStatus
from safeguarding.linkage.review_queue import refresh_review_queue
from safeguarding.linkage.services import NOTHING_TO_LINK, linkage_run
from safeguarding.people.models import Person, SourceRecord
from tests.factories import AlertFactory, PersonFactory, merge, sign_in

EXPLAINED = [{"comparison": "prior", "label": "prior", "match_weight": -8.0, "status": "prior"}]


@pytest.fixture
def only_this_source() -> Iterator[Callable[[set[int]], None]]:
    """Replace the registered sources with one answering the given persons, for one test."""
    saved = dict(sources._sources)

    def use(persons: set[int]) -> None:
        sources._sources.clear()
        sources.register_worked_with_source("test", "an alert", lambda: persons)

    yield use
    sources._sources.clear()
    sources._sources.update(saved)


def _run_of(pairs: list[tuple[SourceRecord, SourceRecord, float]]) -> tuple[Any, tuple[np.ndarray, np.ndarray]]:
    """A linkage result whose review band holds these pairs, and each record's person now."""
    band = pa.Table.from_pylist([
        {"unique_id_l": min(a.pk, b.pk), "unique_id_r": max(a.pk, b.pk), "match_probability": p,
         "match_weight": float(np.log2(p / (1 - p))), "explanation": EXPLAINED}
        for a, b, p in pairs
    ])
    records = sorted({r.pk: r.person_id for a, b, _ in pairs for r in (a, b)}.items())
    persons = (np.array([r for r, _ in records], np.int64), np.array([p for _, p in records], np.int64))
    return SimpleNamespace(review=band, model=None), persons


def _three_pairs() -> list[tuple[SourceRecord, SourceRecord, float]]:
    """Three pairs of records of six different persons, at 0.82, 0.93 and 0.88."""
    records = _one_record_per_person(6)
    return [(records[0], records[1], 0.82), (records[2], records[3], 0.93), (records[4], records[5], 0.88)]


def _one_record_per_person(n: int) -> list[SourceRecord]:
    seen: dict[int, SourceRecord] = {}
    for record in SourceRecord.objects.order_by("pk").iterator():
        seen.setdefault(record.person_id, record)
        if len(seen) == n:
            break
    return list(seen.values())


@pytest.mark.django_db
def test_a_run_over_an_empty_hub_says_there_is_nothing_to_link(capsys: pytest.CaptureFixture[str]) -> None:
    # First in this module: the demo the later tests link is committed for the module's length.
    assert not SourceRecord.objects.exists()

    result = linkage_run()

    assert result.nothing_to_link and result.counts["records"] == 0
    run = LinkageRun.objects.get(pk=result.run.pk)
    assert run.status == RunStatus.COMPLETED and run.note == NOTHING_TO_LINK and not run.failure
    assert Person.objects.count() == 0
    call_command("link")
    assert "Nothing to link" in capsys.readouterr().out
    assert LinkageRun.objects.filter(note=NOTHING_TO_LINK).count() == 2


@pytest.mark.django_db
def test_pairs_touching_a_child_worked_with_come_first_and_the_band_is_cut_at_the_limit(
    linked_demo: Path, only_this_source: Callable[[set[int]], None]
) -> None:
    pairs = _three_pairs()
    least_likely = pairs[0]
    only_this_source({least_likely[1].person_id})
    result, persons = _run_of(pairs)

    counts = refresh_review_queue(run=LinkageRun.objects.latest("pk"), result=result, persons=persons, decided=set(),
                                  flagged={}, limit=2)

    assert (counts.queued, counts.worked_with, counts.uncertain, counts.left_to_model) == (2, 1, 1, 1)
    queue = list(MatchReview.objects.filter(status=ReviewStatus.PENDING).order_by("priority", "-match_probability"))
    # The least likely pair, but it involves a child with an alert: first. Then the likeliest match; the
    # third (0.88) is left to the model.
    assert [(r.record_l_id, r.record_r_id) for r in queue] == [
        tuple(sorted((least_likely[0].pk, least_likely[1].pk))), tuple(sorted((pairs[1][0].pk, pairs[1][1].pk)))]
    assert queue[0].priority == ReviewPriority.WORKED_WITH and queue[0].worked_with == "a child with an alert"
    assert queue[1].priority == ReviewPriority.UNCERTAIN and queue[1].worked_with == ""


@pytest.mark.django_db
def test_a_link_kept_apart_by_two_numbers_is_queued_with_the_reason(
    linked_demo: Path, only_this_source: Callable[[set[int]], None]
) -> None:
    only_this_source(set())
    records = _one_record_per_person(2)
    result, persons = _run_of([(records[0], records[1], 0.99)])
    result.review = result.review.append_column("kept_apart", pa.array([True]))

    counts = refresh_review_queue(run=LinkageRun.objects.latest("pk"), result=result, persons=persons, decided=set(),
                                  flagged={}, limit=10)

    assert counts.queued == 1
    review = MatchReview.objects.get(status=ReviewStatus.PENDING)
    assert review.flag.startswith("The model links these records, but they are kept apart")
    assert review.priority == ReviewPriority.SHARED_IDENTIFIER


@pytest.mark.django_db
def test_every_pair_touching_a_child_worked_with_is_queued_even_past_the_limit(
    linked_demo: Path, only_this_source: Callable[[set[int]], None]
) -> None:
    pairs = _three_pairs()
    only_this_source({a.person_id for a, _, _ in pairs})
    result, persons = _run_of(pairs)

    counts = refresh_review_queue(run=LinkageRun.objects.latest("pk"), result=result, persons=persons, decided=set(),
                                  flagged={}, limit=1)

    assert (counts.queued, counts.worked_with, counts.left_to_model) == (3, 3, 0)


@pytest.mark.django_db
def test_the_rooms_above_say_which_children_the_partnership_works_with(make_user) -> None:  # type: ignore[no-untyped-def]
    alerted = AlertFactory().person
    concerned, merged_away, nobody = PersonFactory(), PersonFactory(), PersonFactory()
    referrer = make_user(Role.REFERRER, AgencyKind.EDUCATION)
    for child in (concerned, merged_away):
        concern_raise(raised_by=referrer, child=child, seen_on=dt.date.today(), description="Seen with older men")
    merge(merged_away, into=nobody)  # the concern follows the child to the person they are now

    worked_with = sources.persons_worked_with()

    assert worked_with[alerted.pk] == ["an alert"]
    assert worked_with[concerned.pk] == ["a concern"]
    assert worked_with[nobody.pk] == ["a concern"] and merged_away.pk not in worked_with
    assert sources.worked_with_in_words(["an alert", "a concern", "a panel referral"]) == \
        "a child with an alert, a concern and a panel referral"


@pytest.mark.django_db
def test_the_page_shows_how_many_pairs_wait_and_why(linked_demo: Path, make_user,  # type: ignore[no-untyped-def]
                                                    only_this_source: Callable[[set[int]], None]) -> None:
    pairs = _three_pairs()
    only_this_source({pairs[0][0].person_id})
    result, persons = _run_of(pairs)
    run = LinkageRun.objects.latest("pk")
    refresh_review_queue(run=run, result=result, persons=persons, decided=set(), flagged={}, limit=1)
    LinkageRun.objects.filter(pk=run.pk).update(counts={**run.counts, "review_band_left_to_model": 1})
    client = Client()
    sign_in(client, make_user(Role.TRIAGE_WORKER, AgencyKind.COUNCIL))

    page = client.get(reverse("linkage:queue")).content.decode()

    assert "Pairs awaiting a decision" in page and "Involves a child the partnership is working with" in page
    assert "Involves a child with an alert" in page
    assert "left 1 less likely pairs to the model" in page
