"""Temporary passwords, access changes awaiting approval, and single sign-on identities."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class TemporaryPassword(models.Model):
    """The user's password was set by someone else (an administrator, the command line): it must be
    changed before anything else can be done. Removed when the user chooses their own."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="temporary_password")
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    set_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"Temporary password of user {self.user_id}"


class AccessChangeKind(models.TextChoices):
    ACCESS = "access", "Role, agency or ability to sign in"
    SECOND_FACTOR_RESET = "second_factor_reset", "Reset of the second factor (authenticator app and backup codes)"


class AccessChangeStatus(models.TextChoices):
    PENDING = "pending", "Awaiting approval"
    APPROVED = "approved", "Approved"
    REFUSED = "refused", "Refused"


class AccessChange(models.Model):
    """A change that raises what someone may see or do, recorded when it is asked for and applied
    only when a second administrator approves it. ``before`` and ``after`` hold the access fields
    (role, agency, active) as they were and as asked for; approval applies ``after`` only if the user
    is still as ``before`` described."""

    subject = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="access_changes")
    kind = models.CharField(max_length=30, choices=AccessChangeKind.choices)
    status = models.CharField(max_length=20, choices=AccessChangeStatus.choices, default=AccessChangeStatus.PENDING)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    requested_by_label = models.CharField(max_length=200)
    requested_at = models.DateTimeField()
    reason = models.TextField(max_length=2000, blank=True)
    before = models.JSONField(default=dict)
    after = models.JSONField(default=dict)
    # The account's e-mail address when the change was asked for: a set-up link its approval sends goes
    # there and nowhere else (approval is refused if the address differs by then). None: asked for before
    # the hub recorded it (such a change that would send a link must be asked for again).
    address = models.EmailField(null=True, blank=True)  # noqa: DJ001 - None (not recorded) differs from ""
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(max_length=2000, blank=True)

    class Meta:
        ordering = ["requested_at", "pk"]
        constraints = [
            # One change of each kind awaits approval for a person at a time.
            models.UniqueConstraint(
                fields=["subject", "kind"],
                condition=Q(status="pending"),
                name="one_pending_access_change_per_kind",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for user {self.subject_id} ({self.get_status_display()})"


class SingleSignOnIdentity(models.Model):
    """Which hub user a provider's subject (its ``sub`` claim) is. Matched on the provider's own
    stable identifier, never on an e-mail address, which can be reassigned."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sso_identities")
    provider = models.CharField(max_length=60)
    subject = models.CharField(max_length=255)
    created_at = models.DateTimeField()
    last_signed_in_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["provider", "subject"], name="one_user_per_provider_subject")]

    def __str__(self) -> str:
        return f"{self.provider}:{self.subject}"


class SetUpLink(models.Model):
    """A single-use link e-mailed to a person whose account has no second factor yet, to choose their own
    password: no administrator ever knows a password for such an account (whoever did could sign in first
    and set up their own authenticator). The link itself is never stored: it is this row's id signed with
    the hub's secret key (django.core.signing), made when the e-mail is sent. A link works once, until
    ``expires_at``, and only while it is the person's latest (sending another withdraws it; so do
    deactivating the account and changing its e-mail address)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="set_up_links")
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    address = models.EmailField(help_text="where it was sent")
    sent_at = models.DateTimeField(null=True, blank=True)
    send_failed_at = models.DateTimeField(null=True, blank=True, help_text="the last try to e-mail it failed")
    used_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_why = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"Set-up link {self.pk} for user {self.user_id}"
