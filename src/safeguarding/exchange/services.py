"""Changes to what the exchange accepts: registering the source systems that send extracts."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.core.validators import validate_slug
from django.db import transaction

from safeguarding.audit.models import AuditEventType
from safeguarding.audit.services import audit_record
from safeguarding.core.errors import ServiceError
from safeguarding.people.models import SourceSystem

if TYPE_CHECKING:
    from safeguarding.accounts.models import Agency, User


def source_system_register(
    *, code: str, name: str, agency: Agency, actor: User | None = None, actor_label: str = ""
) -> SourceSystem:
    """Register a system whose extracts the hub will accept, as belonging to ``agency``.

    Extract rows name their system by ``code``; the agency it maps to decides who may see them.
    """
    code = code.strip()
    name = name.strip()
    try:
        validate_slug(code)
    except ValidationError:
        raise ServiceError(
            f"{code!r} cannot be a source system code: use letters, digits, hyphens and underscores only."
        ) from None
    max_code = SourceSystem._meta.get_field("code").max_length or 80
    if len(code) > max_code:
        raise ServiceError(f"A source system code has at most {max_code} characters (this one has {len(code)}).")
    if not name:
        raise ServiceError("Give the source system a name, e.g. 'Police records management system'.")
    max_name = SourceSystem._meta.get_field("name").max_length or 200
    if len(name) > max_name:
        raise ServiceError(f"A source system's name has at most {max_name} characters (this one has {len(name)}).")
    if not agency.is_active:
        raise ServiceError(f"{agency.name} is not active: a source system cannot be registered for it.")
    with transaction.atomic():
        if SourceSystem.objects.filter(code=code).exists():
            raise ServiceError(f"A source system {code!r} is already registered.")
        system = SourceSystem.objects.create(code=code, name=name, agency=agency)
        audit_record(
            event_type=AuditEventType.SOURCE_SYSTEM_REGISTERED,
            actor=actor,
            actor_label=actor_label,
            target_kind="source_system",
            target_id=system.pk,
            detail={"code": code, "name": name, "agency": agency.code},
        )
    return system
