"""The core room's one table: the forms already sent, so that a second send of one is refused."""

from __future__ import annotations

from django.db import models


class SentForm(models.Model):
    """A form page's one-time token, stored when the service it was sent to saved what it asked, in the
    same transaction (``safeguarding.core.once``). A double click, or the same page sent again, finds it."""

    token = models.CharField(max_length=64, primary_key=True)
    sent_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"Form sent at {self.sent_at}"
