"""Referrals of children to the Multi-Agency Child Exploitation panel (MACE).

While a child's panel referral is open (as while they have an open plan, in the mace room), the
early-warning scan does not raise a new alert for a rule that already alerted on the child, it adds
the new evidence to the existing alert (docs/decisions.md).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from safeguarding.people.models import Person


class ReferralStatus(models.TextChoices):
    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"


class PanelReferral(models.Model):
    """A child referred to the panel, from an early-warning alert, a front-door decision, or both.

    A child has at most one open referral. An alert or concern about a child who already has one is
    linked to it instead of opening a second, so the panel sees everything that led to the referral.
    """

    child = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="panel_referrals")
    referred_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    referred_at = models.DateTimeField()
    reason = models.TextField(max_length=4000)
    source_alert = models.ForeignKey(
        "earlywarning.Alert", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        help_text="the alert the referral was made from",
    )
    source_concern = models.ForeignKey(
        "frontdoor.Concern", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        help_text="the concern whose front-door decision made the referral",
    )
    linked_alerts = models.ManyToManyField(
        "earlywarning.Alert", blank=True, related_name="panel_referrals",
        help_text="every alert referred while this referral was open, the source alert included",
    )
    linked_concerns = models.ManyToManyField(
        "frontdoor.Concern", blank=True, related_name="panel_referrals",
        help_text="every concern referred while this referral was open, the source concern included",
    )
    status = models.CharField(max_length=10, choices=ReferralStatus.choices, default=ReferralStatus.OPEN)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_reason = models.TextField(max_length=4000, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["child"], condition=models.Q(status="open"), name="one_open_panel_referral_per_child"
            ),
        ]
        indexes = [models.Index(fields=["status", "referred_at"])]

    def __str__(self) -> str:
        return self.reference

    @property
    def reference(self) -> str:
        return f"R{self.pk:06d}"

    @property
    def is_open(self) -> bool:
        return self.status == ReferralStatus.OPEN
