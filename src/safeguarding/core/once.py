"""Sent once: a form that makes something (an action, a goal, an outcome) carries a one-time token, and
the service that makes it spends the token in its own transaction. Sent twice (a double click, the
back button and send again), the second finds the token spent and is refused with ``AlreadySent``,
which the view answers as the first was answered: nothing is made twice.

On PostgreSQL two sends at the same moment meet on the token's primary key: the second waits for the
first to commit, then is refused; if the first fails, its token is unspent and the second goes ahead."""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

from django import forms
from django.db import IntegrityError, transaction
from django.utils import timezone

from safeguarding.core.errors import ServiceError
from safeguarding.core.models import SentForm

TOKEN_MAX = 64


class AlreadySent(ServiceError):
    """This form was sent before and what it asked for is already made."""


def new_token() -> str:
    return uuid.uuid4().hex


def once_field() -> forms.CharField:
    """The hidden field a form that makes something carries: a new token each time the page is shown,
    the same one when the page is shown again with the errors of its send (nothing was made)."""
    return forms.CharField(widget=forms.HiddenInput, required=False, initial=new_token, max_length=TOKEN_MAX)


def token_of(form: forms.Form) -> str:
    """What a sent form spends: its token, with a digest of what it asks for. The same page sent twice
    asks for the same thing and is refused; a page the browser restored (Back, then a different arrest
    entered) asks for something else, and is made. Empty when the form carried no token."""
    token = str(form.cleaned_data.get("once") or "")
    if not token:
        return ""
    asked = sorted((name, _plain(value)) for name, value in form.cleaned_data.items() if name != "once")
    return f"{token[:32]}:{hashlib.sha256(repr(asked).encode()).hexdigest()[:24]}"


def _plain(value: Any) -> str:
    """A value as the digest reads it: a record by its kind and id, anything else as text."""
    if hasattr(value, "_meta") and hasattr(value, "pk"):
        return f"{value._meta.label}:{value.pk}"
    return repr(value)


def spend(token: str | None, *, made: str) -> None:
    """Spend a form's token inside the service's transaction (call it inside ``transaction.atomic``, so
    a refusal later in the service leaves it unspent). ``made`` says what the first send made, for the
    refusal: "The action was already agreed". No token (the API, a script) checks nothing."""
    if not token:
        return
    if len(token) > TOKEN_MAX:
        raise ServiceError("This form has been changed: open the page again")
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("spend() belongs inside the service's transaction")
    try:
        with transaction.atomic():
            SentForm.objects.create(token=token, sent_at=timezone.now())
    except IntegrityError as exc:
        raise AlreadySent(f"{made}: this page was sent twice, and it was done once") from exc
