"""A form sent twice makes one thing (``core.once``): the second send is refused, whether it comes after
the first or at the same moment; a first send refused for another reason leaves its token unspent."""

from __future__ import annotations

import pytest
from django import forms
from django.db import transaction

from safeguarding.core.errors import ServiceError
from safeguarding.core.models import SentForm
from safeguarding.core.once import AlreadySent, once_field, spend, token_of


class ArrestForm(forms.Form):
    once = once_field()
    arrests = forms.IntegerField()


def sent(token: str, arrests: int) -> str:
    form = ArrestForm({"once": token, "arrests": arrests})
    assert form.is_valid()
    return token_of(form)


def make(token: str, made: list[str], *, then: str = "") -> None:
    """A service: spends the token in its transaction, makes the thing, then may refuse (rolling back)."""
    with transaction.atomic():
        spend(token, made="The outcome was already recorded")
        made.append(token)
        if then:
            raise ServiceError(then)


def test_the_same_page_sent_twice_is_refused_and_a_restored_page_asking_for_else_is_made(db) -> None:  # type: ignore[no-untyped-def]
    made: list[str] = []
    make(sent("a" * 32, 1), made)
    with pytest.raises(AlreadySent, match="sent twice, and it was done once"):
        make(sent("a" * 32, 1), made)
    make(sent("a" * 32, 2), made)  # Back, then a different number of arrests entered
    assert len(made) == 2


def test_a_first_send_refused_for_another_reason_leaves_the_token_unspent(db) -> None:  # type: ignore[no-untyped-def]
    made: list[str] = []
    token = sent("b" * 32, 1)
    with pytest.raises(ServiceError, match="the date is in the future"):
        make(token, made, then="the date is in the future")
    assert not SentForm.objects.filter(token=token).exists()
    make(token, made)
    assert SentForm.objects.filter(token=token).count() == 1


def test_no_token_checks_nothing_and_a_changed_one_is_refused(db) -> None:  # type: ignore[no-untyped-def]
    made: list[str] = []
    make("", made)
    make("", made)
    with pytest.raises(ServiceError, match="This form has been changed"):
        make("x" * 65, made)
    assert len(made) == 2 and not SentForm.objects.exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("first_ends", ["made", "refused"])
def test_two_sends_at_the_same_moment_make_one(first_ends: str) -> None:
    """PostgreSQL: the first send has spent its token and not yet committed; the second, the same page,
    waits on the token, then is refused when the first is made, or goes ahead when it was refused."""
    from tests.concurrently import postgresql_only, second_while_first_holds

    postgresql_only()
    token, made = sent("c" * 32, 3), []

    def first(held):  # type: ignore[no-untyped-def]
        try:
            with transaction.atomic():
                spend(token, made="The outcome was already recorded")
                held()
                if first_ends == "refused":
                    raise ServiceError("the date is in the future")
                made.append("first")
        except ServiceError:
            made.append("first refused")

    def second() -> str:
        make(token, made)
        return "second"

    outcome = second_while_first_holds(first, second)
    assert outcome.waited
    if first_ends == "made":
        assert outcome.refused == "The outcome was already recorded: this page was sent twice, and it was done once"
        assert made == ["first"]
    else:
        # The second goes ahead the moment the first rolls back: either may note it first.
        assert outcome.answer == "second" and sorted(made) == sorted(["first refused", token])
    assert SentForm.objects.filter(token=token).count() == 1
