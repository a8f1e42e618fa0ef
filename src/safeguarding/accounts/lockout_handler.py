"""django-axes' handler as the hub configures it (``AXES_HANDLER``): loaded by axes once the apps are
ready, as it imports axes' models."""

from __future__ import annotations

from typing import Any

from axes.handlers.database import AxesDatabaseHandler
from axes.models import AccessAttempt
from django.http import HttpRequest

from safeguarding.accounts.lockout import username_of


class OwnFailuresClearedHandler(AxesDatabaseHandler):
    """Axes' database handler, except that a successful sign-in clears only the failures against the
    username that signed in. Axes clears every failure from the address too: an insider could guess at
    another's password four times, sign in as themselves, and guess again, never locked."""

    def reset_user_attempts(self, request: HttpRequest, credentials: dict[str, Any] | None = None) -> int:
        username = username_of(request, credentials)
        if not username:
            return 0
        count, _ = AccessAttempt.objects.filter(username=username).delete()
        return int(count)
