"""What was sent to a user: only ever their own."""

from __future__ import annotations

from django.db.models import QuerySet

from safeguarding.accounts.models import User
from safeguarding.notifications.models import Notification


def notifications_for(*, user: User, limit: int = 200) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient=user).order_by("-created_at", "-pk")[:limit]
