"""Partner agencies and the people who sign in on their behalf."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models.functions import Lower


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


_OWN_ROLE_NAMES: dict[str, str] = {}  # a role of the partnership's own never changes its name


def role_name(code: str) -> str:
    """What a role is called, built-in or the partnership's own (its code where neither)."""
    if code in Role.values:
        return str(Role(code).label)
    if code not in _OWN_ROLE_NAMES:
        name = CustomRole.objects.filter(code=code).values_list("name", flat=True).first()
        if name is None:
            return code
        _OWN_ROLE_NAMES[code] = name
    return _OWN_ROLE_NAMES[code]


class CustomRole(models.Model):
    """A role the partnership defines for itself (DOMAIN.md: configurable by the partnership, not
    rebuilt): a name and the capabilities it grants, beside the built-in roles. What a role grants
    never changes once it is made: a user's access changes only through a change of their role,
    which a second administrator approves when it raises it. A role no one holds can be retired."""

    code = models.CharField(max_length=40, unique=True)  # "own-<slug>": never a built-in role's code
    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    capabilities = models.JSONField(default=list)  # accounts.access.Capability values
    created_by = models.ForeignKey("User", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField()
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(Lower("name"), name="one_own_role_per_name_in_any_case")]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """A person who signs in: always on behalf of one agency, in one role."""

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, null=True, blank=True, related_name="users")
    # A built-in role (Role) or one of the partnership's own (CustomRole.code): the column keeps no
    # choices, so the services check a role exists (accounts.access.role_assignable).
    role = models.CharField(max_length=40, default=Role.REFERRER)
    job_title = models.CharField(max_length=200, blank=True)
    # Set when the person's sessions must end though their password has not changed (their second factor
    # reset: a session left open on a stolen laptop would set up its own). Part of the session's check.
    sessions_ended_at = models.DateTimeField(null=True, blank=True)
    # Who last changed the e-mail address after the account was made, and when: a set-up link goes to
    # that address, so neither that administrator nor a change they asked for may send one to it. None: the
    # address is as the account was made (the administrator who made it asked for its approval, and the
    # second saw the address), or made by the hub itself (single sign-on, the command line).
    email_changed_by = models.ForeignKey("User", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    email_changed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    def get_session_auth_hash(self) -> str:
        """Django's check that a session is still the password's, and since the sessions were last ended."""
        from django.utils.crypto import salted_hmac

        if self.sessions_ended_at is None:
            return super().get_session_auth_hash()
        return salted_hmac("safeguarding.accounts.User.get_session_auth_hash",
                           f"{self.password}|{self.sessions_ended_at.isoformat()}", algorithm="sha256").hexdigest()

    def get_role_display(self) -> str:
        """The role's name: a built-in role's, or the partnership's own role's."""
        return role_name(self.role)

    @property
    def display_name(self) -> str:
        agency = f", {self.agency.name}" if self.agency is not None else ""
        return f"{self.get_full_name() or self.username}{agency}"
