"""What the hub told each user by e-mail, kept so that each user can see what was sent to them.

An e-mail never names a child: it carries a reference and a link into the hub, where the reader's
access is checked as for any page (``services.notify`` refuses text naming the child)."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class NotificationKind(models.TextChoices):
    ACTION_ASSIGNED = "action_assigned", "An action assigned to you"
    ACTION_DUE_SOON = "action_due_soon", "An action due soon"
    ACTION_OVERDUE = "action_overdue", "An action overdue"
    ESCALATED = "escalated", "An overdue action or clock escalated to you"
    MEETING_AGENDA = "meeting_agenda", "A panel meeting's agenda"
    REFERRAL_RECEIVED = "referral_received", "A referral received by the panel"
    LEVEL_DECISION = "level_decision", "A decision on a lowered risk level"
    ALLOCATED = "allocated", "Work allocated to you"
    CONCERN_URGENT = "concern_urgent", "An urgent concern: a child may be in immediate danger"
    CONCERN_DECIDED = "concern_decided", "The front door's decision on a concern you raised"
    HEALTH_RECORD = "health_record", "A new health record of a child on a plan"
    LICENSING_REFERRAL = "licensing_referral", "A licence holder referred to licensing"
    TOOL_SAFEGUARD_REMOVED = "tool_safeguard_removed", "A safeguard taken out of the screening tool"
    SECOND_CHILD_LINKED = "second_child_linked", "A second child linked to the same vehicle, phone or place"
    SEAL_WITHHELD = "seal_withheld", "A notice a seal kept from everyone it was for"
    POLICE_HOLDING_TOUCHED = "police_holding_touched", "Information submitted about something the police hold"


class Notification(models.Model):
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="notifications")
    kind = models.CharField(max_length=30, choices=NotificationKind.choices)
    subject = models.CharField(max_length=200)
    body = models.TextField()
    link = models.CharField(max_length=300, blank=True, help_text="the page in the hub the e-mail points to")
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    address = models.CharField(max_length=254, blank=True, help_text="where it was sent")
    failure = models.CharField(max_length=300, blank=True, help_text="why it could not be sent, if it could not")

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["recipient", "created_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} to {self.recipient_id}"

    @property
    def state(self) -> str:
        if self.sent_at is not None:
            return "Sent"
        return "Not sent" if self.failure else "Waiting to be sent"
