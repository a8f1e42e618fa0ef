"""Referring children to the exploitation panel (MACE) and closing referrals. Every change is
audited in the same transaction."""

from __future__ import annotations

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from safeguarding.accounts.access import Capability, has, roles_with
from safeguarding.accounts.models import User
from safeguarding.audit.models import AuditEventType
from safeguarding.audit.services import audit_record
from safeguarding.core.errors import ServiceError
from safeguarding.earlywarning.models import Alert, AlertStatus
from safeguarding.earlywarning.services import alert_record_action
from safeguarding.frontdoor.models import Concern
from safeguarding.notifications.models import NotificationKind
from safeguarding.notifications.services import names_of, notify
from safeguarding.panel.models import PanelReferral, ReferralStatus
from safeguarding.people import identity
from safeguarding.people.models import Person


def panel_refer(
    *,
    child: Person,
    referred_by: User,
    reason: str,
    alert: Alert | None = None,
    concern: Concern | None = None,
) -> PanelReferral:
    """Refer a child to the panel, from an early-warning alert, a front-door concern, or neither.

    A child is never referred twice at once: if the child already has an open referral, the alert
    or concern is linked to it and that referral is returned. An alert given here is closed as
    referred to the panel, in the same transaction.

    Record linkage may have found the child to be the same as another person since the alert or
    concern was recorded: the referral is made for the person they are now, and an open referral
    of any person merged into them counts as theirs.
    """
    if not (has(referred_by, Capability.WORK_ALERTS) or has(referred_by, Capability.TRIAGE)):
        raise ServiceError("You cannot refer children to the panel")
    if not reason.strip():
        raise ServiceError("Give the reason for referring the child to the panel")
    with transaction.atomic():
        # Lock the child as they are now, so two people referring the same child at once make one
        # referral; a merge of the child made meanwhile is waited for, and the referral made for the
        # person they turned out to be, where their open referral (if any) is found.
        child = identity.current_locked(child)
        if alert is not None and identity.root_id(alert.person_id) != child.pk:
            raise ServiceError("The alert is about another child")
        if concern is not None and identity.root_id(concern.child_id) != child.pk:
            raise ServiceError("The concern is about another child")
        referral = (
            PanelReferral.objects.filter(identity.same_person("child", child), status=ReferralStatus.OPEN)
            .order_by("referred_at", "pk")
            .first()
        )
        created = referral is None
        if referral is None:
            referral = PanelReferral.objects.create(
                child=child,
                referred_by=referred_by,
                referred_at=timezone.now(),
                reason=reason.strip(),
                source_alert=alert,
                source_concern=concern,
            )
        if alert is not None:
            referral.linked_alerts.add(alert)
        if concern is not None:
            referral.linked_concerns.add(concern)
        audit_record(
            event_type=AuditEventType.PANEL_REFERRAL_MADE,
            actor=referred_by,
            target_kind="panel_referral",
            target_id=referral.pk,
            person_id=child.pk,
            reason=reason.strip(),
            detail={
                "new_referral": created,
                "alert": alert.pk if alert is not None else None,
                "concern": concern.pk if concern is not None else None,
            },
        )
        if created:
            # The panel's coordinators hear of a new referral (a reference and a link, never a name).
            notify(
                recipients=User.objects.filter(role__in=roles_with(Capability.RUN_PANEL), is_active=True).exclude(
                    pk=referred_by.pk),
                kind=NotificationKind.REFERRAL_RECEIVED,
                subject=f"Referral {referral.reference} received by the panel",
                body=f"A child has been referred to the exploitation panel ({referral.reference}) by "
                     f"{referred_by.display_name}. They will be on the next meeting's agenda.",
                link=reverse("panel:detail", args=[referral.pk]),
                keep_out=names_of(child),
                about=child.pk,
            )
        if alert is not None:
            note = (
                f"Referred to the panel: {referral.reference}"
                if created
                else f"Added to the child's open panel referral {referral.reference}"
            )
            alert_record_action(
                alert=alert, acting_user=referred_by, status=AlertStatus.REFERRED, note=note
            )
    return referral


def panel_referral_close(
    *, referral: PanelReferral, acting_user: User, reason: str
) -> PanelReferral:
    """Close a child's referral: the panel's work with the child has ended. Only a MACE
    coordinator may (unless the child has an open plan, early-warning rules alert on the child
    again); the reason is kept."""
    if not has(acting_user, Capability.RUN_PANEL):  # the panel's own work, not a level's approval
        raise ServiceError("Only a MACE coordinator can close a panel referral")
    if not reason.strip():
        raise ServiceError("Give the reason for closing the referral")
    with transaction.atomic():
        locked = PanelReferral.objects.select_for_update().get(pk=referral.pk)
        if not locked.is_open:
            raise ServiceError(f"Referral {locked.reference} has already been closed")
        locked.status = ReferralStatus.CLOSED
        locked.closed_by = acting_user
        locked.closed_at = timezone.now()
        locked.closed_reason = reason.strip()
        locked.save(update_fields=["status", "closed_by", "closed_at", "closed_reason"])
        audit_record(
            event_type=AuditEventType.PANEL_REFERRAL_CLOSED,
            actor=acting_user,
            target_kind="panel_referral",
            target_id=locked.pk,
            person_id=locked.child_id,
            reason=locked.closed_reason,
        )
    return locked
