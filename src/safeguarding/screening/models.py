"""The screening tool's versions, the screenings of children, and each child's level history.

A tool version is never changed once written: the administrators' pages write a new one, and
every screening keeps the version it was answered and scored against. A child's level in force
changes only by a row in ``RiskLevelChange`` (append-only in the product), so the number of
children at each level on any past date can always be counted again.
"""

from __future__ import annotations

from functools import cached_property

from django.conf import settings
from django.db import models

from safeguarding.people.models import Event, Person
from safeguarding.screening.tool import ANSWERS, ToolConfig, parse_config


class ScreeningToolVersion(models.Model):
    """One immutable snapshot of the partnership's screening tool; the highest number is current."""

    number = models.PositiveIntegerField(unique=True)
    config = models.JSONField(help_text="checked by screening.tool.parse_config before it is saved")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField()
    change_note = models.TextField(max_length=4000)

    class Meta:
        ordering = ["-number"]

    def __str__(self) -> str:
        return f"Screening tool version {self.number}"

    @cached_property
    def tool(self) -> ToolConfig:
        return parse_config(self.config)


class ModelOfExploitation(models.TextChoices):
    """DOMAIN.md: the model of exploitation is recorded alongside the level."""

    PEER = "peer", "Peer on peer"
    BOYFRIEND = "boyfriend", "'Boyfriend' model"
    PARTY = "party", "Party model"
    LONE_OFFENDER = "lone_offender", "Lone offender"
    GROUP_OR_GANG = "group_or_gang", "Group or gang"
    ONLINE = "online", "Online"
    NOT_KNOWN = "not_known", "Not known yet"


class ScreeningStatus(models.TextChoices):
    DRAFT = "draft", "Draft (answers saved, not completed)"
    AWAITING_APPROVAL = "awaiting_approval", "Completed; lower level awaiting approval"
    COMPLETED = "completed", "Completed"
    REFUSED = "refused", "Completed; lower level refused"


class ApprovalStatus(models.TextChoices):
    NOT_NEEDED = "not_needed", "Not needed"
    AWAITING = "awaiting", "Awaiting approval"
    APPROVED = "approved", "Approved"
    REFUSED = "refused", "Refused"


class ScreeningAssessment(models.Model):
    """One screening of a child: the answers' score and level, and the practitioner's judgement."""

    child = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="screenings")
    tool_version = models.ForeignKey(ScreeningToolVersion, on_delete=models.PROTECT, related_name="assessments")
    status = models.CharField(max_length=20, choices=ScreeningStatus.choices, default=ScreeningStatus.DRAFT)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField()
    # Set from the answers by screening.tool.score each time they are saved.
    score = models.PositiveIntegerField(default=0)
    computed_level = models.CharField(max_length=60)
    explanation = models.JSONField(default=dict)
    # Completion: the practitioner's professional judgement, which is the level put in force.
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    completed_at = models.DateTimeField(null=True, blank=True)
    judgement_level = models.CharField(max_length=60, blank=True)
    judgement_reasoning = models.TextField(max_length=10000, blank=True)
    models_of_exploitation = models.JSONField(default=list)
    level_before = models.ForeignKey(
        "RiskLevelChange",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="the child's level in force when the screening was completed",
    )
    is_downgrade = models.BooleanField(default=False)
    downgrade_reason = models.TextField(max_length=4000, blank=True)
    approval = models.CharField(max_length=20, choices=ApprovalStatus.choices, default=ApprovalStatus.NOT_NEEDED)
    approval_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approval_at = models.DateTimeField(null=True, blank=True)
    approval_reason = models.TextField(max_length=4000, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["child", "status"]),
            models.Index(fields=["approval"]),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def reference(self) -> str:
        return f"S{self.pk:06d}"

    def level_name(self, code: str) -> str:
        return self.tool_version.tool.level_name(code, code)

    @property
    def computed_level_name(self) -> str:
        return self.level_name(self.computed_level)

    @property
    def judgement_level_name(self) -> str:
        return self.level_name(self.judgement_level) if self.judgement_level else ""

    @property
    def level_held_name(self) -> str:
        """While the lower level of this screening waits for a second person, the level in force: the
        tool's, where this screening put it in force (above the level before), else the level before
        ("no level" for a child not screened before)."""
        first = self.level_changes.order_by("pk").first()
        if first is not None:
            return first.level_name
        return self.level_before.level_name if self.level_before else "no level"


class ScreeningAnswer(models.Model):
    """One indicator answered, with its evidence and the agencies' events that support it."""

    assessment = models.ForeignKey(ScreeningAssessment, on_delete=models.CASCADE, related_name="answers")
    indicator = models.CharField(max_length=60)
    answer = models.CharField(max_length=10, choices=ANSWERS)
    evidence = models.TextField(max_length=10000, blank=True)
    # The hub suggested "yes" from agencies' events; the practitioner confirmed or changed it.
    suggested = models.BooleanField(default=False)
    supporting_events = models.ManyToManyField(Event, blank=True, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["assessment", "indicator"], name="one_answer_per_indicator"),
        ]

    def __str__(self) -> str:
        return f"{self.indicator}: {self.answer}"


class RiskLevelChange(models.Model):
    """A child's level in force, from ``effective_at`` until the next row for that child.

    Written only by the screening services and never edited or deleted by the product, so the
    counts at each level on a past date (``selectors.levels_on``) cannot be pushed down later.
    The level's name and rank are kept as they were, in case the partnership renames levels.
    """

    child = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="risk_level_changes")
    level_code = models.CharField(max_length=60)
    level_name = models.CharField(max_length=200)
    level_rank = models.PositiveSmallIntegerField()
    effective_at = models.DateTimeField()
    assessment = models.ForeignKey(ScreeningAssessment, on_delete=models.PROTECT, related_name="level_changes")
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reason = models.TextField(max_length=4000, blank=True)

    class Meta:
        indexes = [models.Index(fields=["child", "effective_at"]), models.Index(fields=["effective_at"])]

    def __str__(self) -> str:
        return f"{self.level_name} for person {self.child_id} from {self.effective_at:%Y-%m-%d %H:%M}"
