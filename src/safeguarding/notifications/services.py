"""Telling users by e-mail: each notification is written in the caller's transaction, then sent by
the background worker once that transaction commits (Django's mail: the console in development,
SMTP where settings name a server). No e-mail names a child: callers give a reference and a link,
and ``notify`` refuses any text that contains a name it is told to keep out."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.utils import timezone

from safeguarding.accounts.access import may_be_hidden, persons_hidden_from
from safeguarding.accounts.models import User
from safeguarding.core.jobs import run_in_background
from safeguarding.notifications.models import Notification, NotificationKind

logger = logging.getLogger(__name__)

FOOTER = (
    "\n\nOpen the link to see the details in the Safeguarding Hub. This e-mail does not name the child "
    "on purpose: the hub shows them only to people who may see them.\n"
)
# A notice with no page to open (a referral to licensing, a safeguard taken out of the screening
# tool) says all it has to say, and is shown whole on *Messages sent to me*.
FOOTER_NO_LINK = (
    "\n\nThis e-mail names no one on purpose. It is also under Messages sent to me in the Safeguarding Hub.\n"
)


class NamedChildError(ValueError):
    """A notification's text names the child it is about; it is never sent."""


class Named(Protocol):
    given_name: str
    family_name: str

    @property
    def full_name(self) -> str: ...


def names_of(person: Named) -> list[str]:
    """What an e-mail about a person must never contain, for ``notify``'s ``keep_out``: their full
    name (a given name alone, such as Will or Grace, is also an ordinary word, and the e-mails are
    built from references anyway)."""
    return [person.full_name] if person.given_name and person.family_name else []


def _names_in(text: str, keep_out: Iterable[str]) -> list[str]:
    found = []
    for name in keep_out:
        name = name.strip()
        if len(name) >= 2 and re.search(rf"\b{re.escape(name)}\b", text, flags=re.IGNORECASE):
            found.append(name)
    return found


def notify(
    *,
    recipients: Iterable[User],
    kind: NotificationKind,
    subject: str,
    body: str,
    link: str = "",
    keep_out: Sequence[str] = (),
    about: int | Collection[int] | None = None,
    essential: Iterable[User] | None = None,
    tell_keeper: bool = True,
) -> list[Notification]:
    """Record a notification for each recipient (once each, active users only) and send them by
    e-mail after the caller's transaction commits. ``keep_out``: names (the child's full name) the
    text must not contain, as whole words in any case; a text that names them is refused
    (``NamedChildError``): callers build e-mails from references, so this is a last guard. ``about``:
    the person (any id they have had) the notice is about, or the persons (a notice about several
    children); a recipient from whom a seal hides any of them is not told (the notice's page would
    answer not found, and the notice alone says a sealed child is there). ``essential``: those who had
    to hear it (all recipients when not given); when the seals keep it from every one of them, each
    seal that kept it from any of them has its keeper told (``register_withheld_notice``), unless
    ``tell_keeper`` is false: a notice of police work (its kind and subject say what the police hold),
    which goes to no one outside the police, the seal's keeper included."""
    named = _names_in(f"{subject}\n{body}", keep_out)
    if named:
        raise NamedChildError("A notification must not name the child: it carries a reference and a link only")
    now = timezone.now()
    url = f"{settings.HUB_BASE_URL}{link}" if link.startswith("/") else link
    meant = {user.pk: user for user in recipients if user is not None and user.is_active}
    persons = [about] if isinstance(about, int) else sorted(set(about or ()))
    sealed = [p for p in persons if may_be_hidden(p)] if meant else []
    must = {u.pk: u for u in essential if u is not None and u.is_active} if essential is not None else {}
    must = must or meant  # none of those it must reach is active (an agency with no manager): then all
    hidden = {pk: persons_hidden_from(user) for pk, user in (meant | must).items()} if sealed else {}
    people = {pk: user for pk, user in meant.items() if not sealed or hidden[pk].isdisjoint(sealed)}
    if tell_keeper and sealed and must and not must.keys() & people.keys() and _withheld:
        # The seals kept it from everyone who had to hear it: each one's keeper is told instead.
        for person in sealed:
            if kept := [user for pk, user in must.items() if person in hidden[pk]]:
                _withheld[0](Withheld(kind=kind, subject=subject, about=person, withheld=kept))
    rows = Notification.objects.bulk_create(
        [
            Notification(
                recipient=user,
                kind=kind,
                subject=subject[:200],
                body=f"{body.rstrip()}\n\n{url}{FOOTER}" if url else f"{body.rstrip()}{FOOTER_NO_LINK}",
                link=link,
                created_at=now,
            )
            for user in people.values()
        ]
    )
    ids = [row.pk for row in rows if row.pk is not None]
    if not ids:  # SQLite before Django set pks on bulk_create: read them back
        ids = list(
            Notification.objects.filter(created_at=now, recipient__in=list(people)).values_list("pk", flat=True)
        )
    if ids:
        run_in_background(notifications_send, ids)
    return rows


@dataclass(frozen=True)
class Withheld:
    """A notice a seal kept from everyone who had to hear it (``notify``'s ``essential``, or all)."""

    kind: NotificationKind
    subject: str
    about: int
    withheld: list[User]


_withheld: list[Callable[[Withheld], None]] = []


def register_withheld_notice(handler: Callable[[Withheld], None]) -> None:
    """``handler(notice)`` is told of each notice a seal kept from everyone who had to hear it: an urgent
    concern, a referral or an escalation about a sealed child would otherwise reach no one. The data
    protection room, which keeps the seals, registers it (``workflows.apps``)."""
    _withheld[:] = [handler]


def notifications_send(ids: list[int]) -> int:
    """Send the e-mails not yet sent among ``ids`` over one connection; returns how many went.
    A user without an e-mail address still sees the notification in the hub."""
    pending = list(Notification.objects.filter(pk__in=ids, sent_at__isnull=True).select_related("recipient"))
    if not pending:
        return 0
    sent = 0
    connection = get_connection(fail_silently=False)
    try:
        connection.open()
        for note in pending:
            address = note.recipient.email.strip()
            if not address:
                note.failure = "No e-mail address is recorded for this user"
                note.save(update_fields=["failure"])
                continue
            message = EmailMessage(
                subject=note.subject, body=note.body, to=[address], connection=connection,
                from_email=settings.DEFAULT_FROM_EMAIL,
            )
            message.send()
            note.sent_at = timezone.now()
            note.address = address
            note.failure = ""
            note.save(update_fields=["sent_at", "address", "failure"])
            sent += 1
    finally:
        connection.close()
    return sent
