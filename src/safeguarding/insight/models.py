"""The partnership's strategy targets (DOMAIN.md: the board follows "progress of the strategy").

A target says what a figure of the board's report should be in every quarter from the one named: at
least, or at most, a share or a count. Setting one never changes an older row: a new row is written,
so the board's history of its own targets cannot be silently lost. The target in force for a
quarter is the row that starts latest on or before it, the most recently set where two start
together; a row with no value withdraws the target from its quarter on."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Comparison(models.TextChoices):
    AT_LEAST = "at_least", "At least"
    AT_MOST = "at_most", "At most"


class StrategyTarget(models.Model):
    measure = models.CharField(max_length=60)  # a key of the board report's figures (insight.selectors)
    comparison = models.CharField(max_length=10, choices=Comparison.choices, blank=True)
    value = models.PositiveIntegerField(null=True, blank=True)  # a percentage for shares; None withdraws
    from_quarter = models.DateField()  # the first day of the first quarter it applies to
    reason = models.TextField()  # the board's decision: its meeting and minute, and why
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    set_at = models.DateTimeField()

    class Meta:
        ordering = ["-set_at", "-pk"]
        indexes = [models.Index(fields=["measure", "from_quarter"])]

    def __str__(self) -> str:
        return f"Target for {self.measure} from {self.from_quarter:%B %Y}"
