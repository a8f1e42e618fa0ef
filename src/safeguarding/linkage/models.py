"""What linkage concluded and what people decided: model versions, runs, the review queue, match
decisions (which override the model in every later run). The history of merges and splits is kept by
the identity room (``people.PersonChange``)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from safeguarding.people.models import SourceRecord


class LinkageModelVersion(models.Model):
    """A trained Splink model, saved so that a run can be explained and repeated."""

    version = models.CharField(max_length=80, unique=True)
    definition_hash = models.CharField(max_length=64, help_text="hash of the comparisons the model was trained for")
    trained_at = models.DateTimeField()
    trained_on_records = models.PositiveIntegerField()
    engine = models.CharField(max_length=10)
    model_json = models.TextField()

    class Meta:
        ordering = ["-trained_at"]

    def __str__(self) -> str:
        return self.version


class RunStatus(models.TextChoices):
    RUNNING = "running", "Running"
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Failed"


class LinkageRun(models.Model):
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=RunStatus.choices, default=RunStatus.RUNNING)
    engine = models.CharField(max_length=10)
    model = models.ForeignKey(LinkageModelVersion, on_delete=models.PROTECT, null=True, blank=True, related_name="runs")
    settings = models.JSONField(default=dict)
    counts = models.JSONField(default=dict)
    timings = models.JSONField(default=dict, help_text="seconds per stage")
    initiated_by = models.CharField(max_length=200)
    failure = models.TextField(blank=True)
    note = models.CharField(max_length=300, blank=True, help_text="what a run that did nothing says (nothing to link)")

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"Linkage run {self.pk} ({self.status})"


class ReviewStatus(models.TextChoices):
    PENDING = "pending", "Awaiting review"
    DECIDED = "decided", "Decided"
    SUPERSEDED = "superseded", "No longer in the review band"


class ReviewPriority(models.IntegerChoices):
    """The order a person works the review queue in: the pairs whose decision matters most first."""

    WORKED_WITH = 0, "Involves a child the partnership is working with"
    SHARED_IDENTIFIER = 1, "An identifier problem: one number held by two persons, or two numbers kept apart"
    UNCERTAIN = 2, "Uncertain"


class MatchReview(models.Model):
    """A pair of source records the model was unsure about, for a person to decide."""

    record_l = models.ForeignKey(SourceRecord, on_delete=models.PROTECT, related_name="+")
    record_r = models.ForeignKey(SourceRecord, on_delete=models.PROTECT, related_name="+")
    match_probability = models.FloatField()
    match_weight = models.FloatField()
    # The waterfall in words: [{"comparison", "label", "match_weight", "status"}, ...]
    explanation = models.JSONField(default=list)
    same_person_now = models.BooleanField(default=False, help_text="other links put both records in one person")
    # Why a pair outside the review band is here: a data-quality problem such as one NHS number
    # held by two people the model keeps apart. Empty for ordinary uncertain pairs.
    flag = models.CharField(max_length=300, blank=True)
    # Why a person must look at this pair first (ReviewPriority), and for a child the partnership is
    # working with, in words: "a child with an alert and a panel referral".
    priority = models.PositiveSmallIntegerField(choices=ReviewPriority.choices, default=ReviewPriority.UNCERTAIN)
    worked_with = models.CharField(max_length=300, blank=True)
    run = models.ForeignKey(LinkageRun, on_delete=models.PROTECT, related_name="reviews")
    status = models.CharField(max_length=20, choices=ReviewStatus.choices, default=ReviewStatus.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["status", "priority", "-match_probability"], name="review_queue_order")]
        constraints = [
            models.UniqueConstraint(
                fields=["record_l", "record_r"],
                condition=models.Q(status="pending"),
                name="one_pending_review_per_pair",
            )
        ]

    def __str__(self) -> str:
        return f"Review {self.pk}: {self.record_l_id} ~ {self.record_r_id} ({self.match_probability:.2f})"


class MatchVerdict(models.TextChoices):
    SAME = "same", "Same person"
    DIFFERENT = "different", "Different people"
    UNSURE = "unsure", "Unsure"


class MatchDecision(models.Model):
    """A person's decision on two records. Active 'same' and 'different' decisions override the
    model in every later run; undoing one revokes it (it is kept, with who undid it and when)."""

    record_l = models.ForeignKey(SourceRecord, on_delete=models.PROTECT, related_name="+")
    record_r = models.ForeignKey(SourceRecord, on_delete=models.PROTECT, related_name="+")
    verdict = models.CharField(max_length=10, choices=MatchVerdict.choices)
    reason = models.TextField(max_length=4000, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField()
    review = models.ForeignKey(MatchReview, on_delete=models.PROTECT, null=True, blank=True, related_name="decisions")
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        indexes = [models.Index(fields=["record_l", "record_r"])]

    def __str__(self) -> str:
        return f"{self.get_verdict_display()}: {self.record_l_id} ~ {self.record_r_id}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
