"""Bringing offenders to justice: investigations and operations with the adults and children in
them, disruption (child abduction warning notices, sexual risk and harm prevention orders,
licensing referrals) with their outcomes, and arrests, charges, convictions and sentences.

Everything recorded about a person keeps the person it was recorded for and is read through their
identity (``identity.same_person``); nothing moves when persons merge."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from safeguarding.accounts.models import Agency
from safeguarding.people.models import Person


class OperationKind(models.TextChoices):
    INVESTIGATION = "investigation", "Investigation"
    OPERATION = "operation", "Operation"


class OperationStatus(models.TextChoices):
    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"


class Operation(models.Model):
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=OperationKind.choices)
    summary = models.TextField()
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    opened_on = models.DateField()
    status = models.CharField(max_length=10, choices=OperationStatus.choices, default=OperationStatus.OPEN)

    class Meta:
        ordering = ["-opened_on", "name"]

    def __str__(self) -> str:
        return self.name


class SubjectRole(models.TextChoices):
    SUSPECT = "suspect", "Suspect"
    CHILD_VICTIM = "child_victim", "Child victim"
    CHILD_AT_RISK = "child_at_risk", "Child at risk"
    WITNESS = "witness", "Witness"


class OperationSubject(models.Model):
    operation = models.ForeignKey(Operation, on_delete=models.PROTECT, related_name="subjects")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    role = models.CharField(max_length=20, choices=SubjectRole.choices)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["operation", "person", "role"], name="unique_operation_subject")]

    def __str__(self) -> str:
        return f"{self.person_id} in {self.operation_id}"


class DisruptionKind(models.TextChoices):
    CAWN = "cawn", "Child abduction warning notice"
    SRO = "sro", "Sexual risk order"
    SHPO = "shpo", "Sexual harm prevention order"
    LICENSING_REFERRAL = "licensing_referral", "Referral to licensing"
    OTHER = "other", "Other disruption"


class Disruption(models.Model):
    """A disruption served on or sought against an adult, about a named child where it has one
    (a child abduction warning notice always names the child)."""

    kind = models.CharField(max_length=30, choices=DisruptionKind.choices)
    adult = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    child = models.ForeignKey(Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    operation = models.ForeignKey(Operation, on_delete=models.PROTECT, null=True, blank=True, related_name="disruptions")
    served_on = models.DateField(help_text="served, made or referred on")
    expires_on = models.DateField(null=True, blank=True)
    detail = models.TextField()
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["-served_on"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.pk})"

    @property
    def reference(self) -> str:
        return f"D{self.pk:06d}"


class DisruptionOutcomeKind(models.TextChoices):
    BREACH = "breach", "Breach"
    NO_ACTION = "no_action", "No action"
    WARNING = "warning", "Warning"
    SUSPENSION = "suspension", "Licence suspended"
    REVOCATION = "revocation", "Licence revoked"
    REFUSED = "refused", "Application refused by the court"
    DISCHARGED = "discharged", "Discharged or expired"


class DisruptionOutcome(models.Model):
    disruption = models.ForeignKey(Disruption, on_delete=models.PROTECT, related_name="outcomes")
    kind = models.CharField(max_length=20, choices=DisruptionOutcomeKind.choices)
    on = models.DateField()
    detail = models.TextField(blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["on"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of {self.disruption_id}"


class OutcomeKind(models.TextChoices):
    ARREST = "arrest", "Arrest"
    CHARGE = "charge", "Charge"
    CONVICTION = "conviction", "Conviction"
    SENTENCE = "sentence", "Sentence"


class JusticeOutcome(models.Model):
    """An arrest, charge, conviction or sentence of an adult, in an operation where there is one."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    operation = models.ForeignKey(Operation, on_delete=models.PROTECT, null=True, blank=True, related_name="outcomes")
    kind = models.CharField(max_length=20, choices=OutcomeKind.choices)
    on = models.DateField()
    offence = models.CharField(max_length=300)
    detail = models.TextField(blank=True, help_text="for a sentence, what it was")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["-on"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of {self.person_id}"
