"""What was sent to a user: only ever their own."""

from __future__ import annotations

import re

from django.db.models import QuerySet

from safeguarding.accounts.access import persons_hidden_from
from safeguarding.accounts.models import User
from safeguarding.core.normalise import reference_of
from safeguarding.notifications.models import Notification

# What a message shows where it named a person now hidden from its reader.
RESTRICTED = "a restricted record (ask the data protection officer)"
_REFERENCE = re.compile(r"\bP\d{7,}\b")


def notifications_for(*, user: User, limit: int = 200) -> list[Notification]:
    """The messages sent to this user, newest first, as they may read them now: a person sealed from them
    since (``accounts.access.persons_hidden_from``) is named in none, as on every other page, but shown
    as a restricted record. The e-mail already sent cannot be recalled; the hub's own copy follows the seal."""
    sent: QuerySet[Notification] = Notification.objects.filter(recipient=user).order_by("-created_at", "-pk")[:limit]
    messages = list(sent)
    hidden = persons_hidden_from(user)
    if not hidden:
        return messages
    references = {reference_of(pk) for pk in hidden}

    def shown(text: str) -> str:
        return _REFERENCE.sub(lambda m: RESTRICTED if m.group(0) in references else m.group(0), text)

    for message in messages:
        message.subject, message.body = shown(message.subject), shown(message.body)
    return messages
