"""Concerns about children, and what the front door decided."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from safeguarding.accounts.models import Agency
from safeguarding.core.calendar import on_time
from safeguarding.people.models import Person


class Indicator(models.TextChoices):
    """Indicators of exploitation a referrer can tick (DOMAIN.md, "Recognising exploitation")."""

    MISSING = "missing", "Going missing, or repeat missing episodes"
    OLDER_ADULT = "older_adult", "An older 'boyfriend' or controlling adult"
    CARS = "cars", "Getting into cars with unknown adults"
    GIFTS_MONEY = "gifts_money", "Unexplained money, gifts, clothes, phones or phone credit"
    RISKY_PLACES = "risky_places", "Seen at hotels, takeaways, taxi firms, parties or other risky places"
    ONLINE = "online", "Online grooming or image sharing"
    SEXUAL_HEALTH = "sexual_health", "Sexually transmitted infection, pregnancy or termination"
    SCHOOL = "school", "School absence or exclusion"
    SUBSTANCES = "substances", "Substance misuse"
    SELF_HARM = "self_harm", "Self-harm"
    INJURIES = "injuries", "Injuries"
    ESTRANGEMENT = "estrangement", "Estrangement from family"
    PHONES = "phones", "Several phones"
    TRAVEL = "travel", "Travel to unfamiliar towns"
    CASH_DRUGS = "cash_drugs", "Carrying cash or drugs; drug debts"
    WEAPONS = "weapons", "Carrying weapons"
    NEW_ASSOCIATES = "new_associates", "New, older associates"
    DISCLOSURE = "disclosure", "The child has told someone (a disclosure)"


class ParentsTold(models.TextChoices):
    YES = "yes", "Yes"
    NO = "no", "No"


class Consent(models.TextChoices):
    """Sharing for safeguarding is lawful without consent where it cannot be got or asking would
    put the child at risk (DOMAIN.md, "Data protection and trust"); the reason is recorded."""

    GIVEN = "given", "Yes, consent was given"
    REFUSED = "refused", "No, consent was refused"
    NOT_SOUGHT = "not_sought", "Consent was not asked for"


class ConcernStatus(models.TextChoices):
    AWAITING_DECISION = "awaiting_decision", "Awaiting decision"
    DECIDED = "decided", "Decided"


class Concern(models.Model):
    """A worry about a child raised by someone in a partner agency."""

    child = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="concerns")
    raised_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="concerns_raised")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="concerns_raised")
    raised_at = models.DateTimeField()
    seen_on = models.DateField(help_text="when what is described was seen or happened")
    location = models.CharField(max_length=300, blank=True)
    description = models.TextField(max_length=10000)
    indicators = models.JSONField(default=list)
    immediate_danger = models.BooleanField(default=False)
    urgent = models.BooleanField(default=False)
    status = models.CharField(max_length=30, choices=ConcernStatus.choices, default=ConcernStatus.AWAITING_DECISION)
    decision_due_at = models.DateTimeField()
    # Who else is involved, whether the parents were told and consent given (and why not), and how
    # to reach the referrer (issue 16). Blank on concerns raised before the form asked.
    people_involved = models.TextField(blank=True, max_length=2000)
    vehicles_involved = models.TextField(blank=True, max_length=1000)
    places_involved = models.TextField(blank=True, max_length=1000)
    parents_told = models.CharField(max_length=10, choices=ParentsTold.choices, blank=True)
    parents_not_told_reason = models.TextField(blank=True, max_length=2000)
    consent = models.CharField(max_length=12, choices=Consent.choices, blank=True)
    consent_reason = models.TextField(blank=True, max_length=2000)
    referrer_phone = models.CharField(max_length=30, blank=True)
    referrer_email = models.EmailField(blank=True)
    referrer_role = models.CharField(max_length=200, blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "urgent", "raised_at"])]

    def __str__(self) -> str:
        return self.reference

    @property
    def reference(self) -> str:
        return f"C{self.pk:06d}"

    @property
    def is_overdue(self) -> bool:
        return self.status == ConcernStatus.AWAITING_DECISION and not on_time(timezone.now(), self.decision_due_at)

    def indicator_labels(self) -> list[str]:
        labels = dict(Indicator.choices)
        return [labels.get(code, code) for code in self.indicators]


class DecisionOutcome(models.TextChoices):
    NO_FURTHER_ACTION = "no_further_action", "No further action"
    EARLY_HELP = "early_help", "Early help"
    ASSESSMENT = "assessment", "Child and family assessment"
    STRATEGY_DISCUSSION = "strategy_discussion", "Strategy discussion (possible section 47 enquiry)"
    MACE_REFERRAL = "mace_referral", "Referral to the exploitation panel (MACE)"


class TriageDecision(models.Model):
    """The front door's decision on a concern, kept with its time for timeliness reporting."""

    concern = models.OneToOneField(Concern, on_delete=models.PROTECT, related_name="decision")
    outcome = models.CharField(max_length=30, choices=DecisionOutcome.choices)
    reason = models.TextField(max_length=4000, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField()
    within_timescale = models.BooleanField()

    def __str__(self) -> str:
        return f"{self.get_outcome_display()} on {self.concern}"
