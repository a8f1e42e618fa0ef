"""Partner agencies and the people who sign in on their behalf."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models


class AgencyKind(models.TextChoices):
    COUNCIL = "council", "Council children's services"
    POLICE = "police", "Police"
    HEALTH = "health", "Health"
    EDUCATION = "education", "Education (schools)"
    LICENSING = "licensing", "Licensing"
    VOLUNTARY = "voluntary", "Voluntary sector"


class Agency(models.Model):
    code = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=AgencyKind.choices)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "agencies"

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    REFERRER = "referrer", "Referrer"
    TRIAGE_WORKER = "triage_worker", "Triage worker"
    MACE_COORDINATOR = "mace_coordinator", "MACE coordinator"
    LEAD_PRACTITIONER = "lead_practitioner", "Lead practitioner"
    INTELLIGENCE_OFFICER = "intelligence_officer", "Intelligence officer"
    SUPPORT_WORKER = "support_worker", "Survivor support worker"
    PARTNERSHIP_MANAGER = "partnership_manager", "Partnership manager or independent scrutineer"
    DATA_PROTECTION_OFFICER = "data_protection_officer", "Data protection officer"
    ADMINISTRATOR = "administrator", "Administrator"
    # intervene: sees and chases their own agency's actions and clocks; first to hear of escalations
    AGENCY_MANAGER = "agency_manager", "Agency safeguarding manager"


def role_choices() -> list[tuple[str, str]]:
    """The roles, given to the field as a callable: a role added for a new part of the hub needs no
    migration (the column is text either way)."""
    return Role.choices


class User(AbstractUser):
    """A person who signs in: always on behalf of one agency, in one role."""

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, null=True, blank=True, related_name="users")
    role = models.CharField(max_length=40, choices=role_choices, default=Role.REFERRER)
    job_title = models.CharField(max_length=200, blank=True)

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    @property
    def display_name(self) -> str:
        agency = f", {self.agency.name}" if self.agency is not None else ""
        return f"{self.get_full_name() or self.username}{agency}"
