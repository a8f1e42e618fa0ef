"""The review queue sized for people: pairs touching a child the partnership is working with first (from
the rooms above, through linkage.sources), then shared identifiers, then the likeliest matches, up to the
limit: which children the rooms above say the partnership works with, and a run over an empty hub that says
there is nothing to link. The queue itself is tested on the linked demo (test_on_the_linked_demo.py)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command

from safeguarding.accounts.models import AgencyKind, Role
from safeguarding.frontdoor.services import concern_raise
from safeguarding.linkage import sources
from safeguarding.linkage.models import LinkageRun, RunStatus
from safeguarding.linkage.services import NOTHING_TO_LINK, linkage_run
from safeguarding.people.models import Person, SourceRecord
from tests.factories import AlertFactory, PersonFactory, merge


@pytest.mark.django_db
def test_a_run_over_an_empty_hub_says_there_is_nothing_to_link(capsys: pytest.CaptureFixture[str]) -> None:
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
def test_a_run_over_a_small_extract_says_how_many_it_needs_not_to_import_the_extracts() -> None:
    """The audit as a records manager: six records just imported, and the run said "import the agencies'
    extracts first"."""
    from tests.factories import SourceRecordFactory

    for _ in range(6):
        SourceRecordFactory()
    result = linkage_run()
    assert result.nothing_to_link and result.counts["records"] == 6
    assert result.run.note == ("Nothing linked: the model learns from the records it compares and needs at least 10; "
                               "the hub holds 6. Import the other agencies' extracts and run it again.")


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
def test_a_concern_raised_after_the_run_puts_its_childs_pairs_first_at_the_next_schedule(make_user) -> None:  # type: ignore[no-untyped-def]
    """The audit as a reviewer: a concern about Dan Johnson, in a pending pair, left the pair among the
    uncertain and "Involves a child the partnership is working with: 0" until someone ran the linkage again."""
    from django.utils import timezone

    from safeguarding.linkage.models import MatchReview, ReviewPriority
    from safeguarding.workflows.scheduled import match_review_order
    from tests.factories import SourceRecordFactory

    run = LinkageRun.objects.create(started_at=timezone.now(), engine="duckdb", initiated_by="test")
    dan, dainel, other_l, other_r = (SourceRecordFactory() for _ in range(4))

    def pair(left, right, flag=""):  # type: ignore[no-untyped-def]
        return MatchReview.objects.create(record_l=left, record_r=right, match_probability=0.6, match_weight=0.5,
                                          run=run, flag=flag)

    his, theirs = pair(dan, dainel), pair(other_l, other_r, flag="One NHS number held by two persons")
    assert match_review_order() == {"pairs_moved": 1}  # the flagged pair: an identifier problem, as a run says
    concern_raise(raised_by=make_user(Role.REFERRER, AgencyKind.EDUCATION), child=dan.person,
                  seen_on=dt.date.today(), description="Seen with older men")
    assert match_review_order() == {"pairs_moved": 1}
    his.refresh_from_db()
    theirs.refresh_from_db()
    assert (his.priority, his.worked_with) == (ReviewPriority.WORKED_WITH, "a child with a concern")
    assert theirs.priority == ReviewPriority.SHARED_IDENTIFIER
    assert match_review_order() == {"pairs_moved": 0}  # nothing new: nothing moves
