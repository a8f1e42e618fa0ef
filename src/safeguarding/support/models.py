"""Survivor support: a plan kept by a support worker for a child or adult survivor, that carries on
past the 18th birthday (and a care leaver's 25th) instead of closing; the services offered and taken
up, referrals to providers and their outcomes, contacts and visits, goals and how they are going; and
the survivor's voice: their own words, what they want shared and with whom, feedback on the service,
an anonymised lived-experience summary, and whether they want to be contacted at all.

Everything here keeps a foreign key to the ``Person`` it was recorded for and is read through the
person's identity (``identity.same_person``), so nothing moves when record linkage merges persons.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from safeguarding.accounts.models import Agency
from safeguarding.people.models import Person


class PlanStage(models.TextChoices):
    CHILD = "child", "Child (under 18)"
    CARE_LEAVER = "care_leaver", "Care leaver (18 to 25)"
    ADULT = "adult", "Adult"


class PlanStatus(models.TextChoices):
    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"


class SupportPlan(models.Model):
    """One survivor's support plan, held by an agency and led by a support worker."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="support_plans")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="support_plans")
    lead_worker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    opened_at = models.DateTimeField()
    stage = models.CharField(max_length=20, choices=PlanStage.choices)
    care_leaver = models.BooleanField(default=False, help_text="entitled to leaving-care support until 25")
    abused_as_child = models.BooleanField(
        default=False, help_text="an adult supported for abuse suffered as a child (there may be no child record)"
    )
    status = models.CharField(max_length=10, choices=PlanStatus.choices, default=PlanStatus.OPEN)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_reason = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["person", "agency"], condition=models.Q(status="open"), name="one_open_support_plan_per_agency"
            ),
        ]
        indexes = [models.Index(fields=["agency", "status"])]

    def __str__(self) -> str:
        return self.reference

    @property
    def reference(self) -> str:
        return f"SP{self.pk:06d}"

    @property
    def is_open(self) -> bool:
        return self.status == PlanStatus.OPEN


class Transition(models.Model):
    """A plan moved on at a threshold of age instead of closing: at 18 (to adult support, or to a care
    leaver's support until 25) and at 25 for a care leaver."""

    plan = models.ForeignKey(SupportPlan, on_delete=models.PROTECT, related_name="transitions")
    from_stage = models.CharField(max_length=20, choices=PlanStage.choices)
    to_stage = models.CharField(max_length=20, choices=PlanStage.choices)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()
    note = models.TextField(help_text="what changes for the survivor, and who supports them now")

    def __str__(self) -> str:
        return f"{self.plan} {self.from_stage} -> {self.to_stage}"


class ServiceKind(models.TextChoices):
    COUNSELLING = "counselling", "Counselling or therapy"
    ISVA = "isva", "Independent sexual violence advocate (ISVA)"
    HOUSING = "housing", "Housing"
    EDUCATION_WORK = "education_work", "Education, training and work"
    HEALTH = "health", "Health"
    ICTG = "ictg", "Independent Child Trafficking Guardian (ICTG)"
    OTHER = "other", "Other support"


class ServiceStatus(models.TextChoices):
    OFFERED = "offered", "Offered"
    TAKEN_UP = "taken_up", "Taken up"
    DECLINED = "declined", "Declined by the survivor"
    ENDED = "ended", "Ended"


class SupportService(models.Model):
    """A service offered to the survivor, and whether they took it up."""

    plan = models.ForeignKey(SupportPlan, on_delete=models.PROTECT, related_name="services")
    kind = models.CharField(max_length=20, choices=ServiceKind.choices)
    status = models.CharField(max_length=20, choices=ServiceStatus.choices)
    offered_on = models.DateField()
    provider = models.CharField(max_length=200, blank=True)
    note = models.TextField(blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.get_status_display()}"


class ReferralOutcome(models.TextChoices):
    AWAITING = "awaiting", "Awaiting an answer"
    ACCEPTED = "accepted", "Accepted by the provider"
    DECLINED_BY_PROVIDER = "declined_by_provider", "Declined by the provider"
    DECLINED_BY_SURVIVOR = "declined_by_survivor", "Declined by the survivor"
    COMPLETED = "completed", "Support completed"


class ProviderReferral(models.Model):
    """A referral to a provider (a counselling service, a housing team, an ISVA service) and what came of it."""

    plan = models.ForeignKey(SupportPlan, on_delete=models.PROTECT, related_name="referrals")
    kind = models.CharField(max_length=20, choices=ServiceKind.choices)
    provider = models.CharField(max_length=200)
    referred_on = models.DateField()
    outcome = models.CharField(max_length=30, choices=ReferralOutcome.choices, default=ReferralOutcome.AWAITING)
    outcome_on = models.DateField(null=True, blank=True)
    note = models.TextField(blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"Referral to {self.provider}"


class ContactKind(models.TextChoices):
    VISIT = "visit", "Visit"
    MEETING = "meeting", "Meeting at the project"
    PHONE = "phone", "Phone call"
    MESSAGE = "message", "Message the survivor started"
    NOT_SEEN = "not_seen", "Arranged, but not seen"


class SupportContact(models.Model):
    """A contact or visit with the survivor."""

    plan = models.ForeignKey(SupportPlan, on_delete=models.PROTECT, related_name="contacts")
    kind = models.CharField(max_length=20, choices=ContactKind.choices)
    happened_on = models.DateField()
    note = models.TextField(blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.happened_on}"


class GoalStatus(models.TextChoices):
    WORKING = "working", "Working towards it"
    ACHIEVED = "achieved", "Achieved"
    CHANGED = "changed", "No longer wanted"


class SupportGoal(models.Model):
    """A goal the survivor chose, in their words where they gave them."""

    plan = models.ForeignKey(SupportPlan, on_delete=models.PROTECT, related_name="goals")
    description = models.TextField()
    set_on = models.DateField()
    status = models.CharField(max_length=20, choices=GoalStatus.choices, default=GoalStatus.WORKING)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.description[:60]


class GoalProgress(models.Model):
    """How a goal is going, in order: each row keeps the status it left the goal in."""

    goal = models.ForeignKey(SupportGoal, on_delete=models.PROTECT, related_name="progress")
    recorded_on = models.DateField()
    status = models.CharField(max_length=20, choices=GoalStatus.choices)
    note = models.TextField()
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.goal} on {self.recorded_on}"


class VoiceKind(models.TextChoices):
    WISHES = "wishes", "Wishes"
    FEELINGS = "feelings", "Feelings"
    HELPS = "helps", "What helps"
    DOES_NOT_HELP = "does_not_help", "What does not help"
    OTHER = "other", "Something else they said"


class SurvivorWords(models.Model):
    """The survivor's own words, recorded as they said them. Never edited, never redacted from their
    own subject access bundle."""

    plan = models.ForeignKey(SupportPlan, on_delete=models.PROTECT, related_name="words")
    kind = models.CharField(max_length=20, choices=VoiceKind.choices)
    words = models.TextField()
    said_on = models.DateField()
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()

    class Meta:
        verbose_name_plural = "survivor words"

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.said_on})"


class SharingWish(models.Model):
    """What the survivor wants shared, and with whom (or not shared)."""

    plan = models.ForeignKey(SupportPlan, on_delete=models.PROTECT, related_name="sharing_wishes")
    what = models.TextField()
    with_whom = models.CharField(max_length=300)
    share = models.BooleanField(help_text="true: they want it shared; false: they do not")
    recorded_on = models.DateField()
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{'Share' if self.share else 'Do not share'} with {self.with_whom}"


class ServiceFeedback(models.Model):
    """What the survivor said about the service."""

    plan = models.ForeignKey(SupportPlan, on_delete=models.PROTECT, related_name="feedback")
    given_on = models.DateField()
    rating = models.PositiveSmallIntegerField(help_text="1 (poor) to 5 (very good)")
    words = models.TextField(blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"Feedback {self.rating}/5 on {self.given_on}"


class Theme(models.TextChoices):
    NOT_BELIEVED = "not_believed", "Not being believed"
    BLAMED = "blamed", "Being blamed or labelled"
    TRUSTED_ADULT = "trusted_adult", "A trusted adult made the difference"
    RECORDS = "records", "Getting their records"
    JUSTICE = "justice", "The justice process"
    MENTAL_HEALTH = "mental_health", "Mental health support"
    HOUSING = "housing", "Housing and safety"
    CONTINUITY = "continuity", "Support that did not stop at 18"
    PEER_SUPPORT = "peer_support", "Support from other survivors"


class LivedExperience(models.Model):
    """An anonymised summary of a survivor's lived experience, shared with their consent, which the
    partnership reads in aggregate (never with the person it came from)."""

    plan = models.ForeignKey(SupportPlan, on_delete=models.PROTECT, related_name="lived_experience")
    summary = models.TextField()
    themes = models.JSONField(default=list)
    consent_given = models.BooleanField(help_text="false once the survivor withdraws consent: no longer shared")
    written_on = models.DateField()
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+")
    withdrawal_words = models.TextField(blank=True, help_text="what the survivor said, if they said why")

    def __str__(self) -> str:
        return f"Lived experience ({self.written_on})"


class ContactWish(models.Model):
    """Whether the survivor wants to be contacted at all. Each change is a new row; the latest, under
    any id the person has had, is their wish (``support.selectors.contact_allowed``)."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="contact_wishes")
    no_contact = models.BooleanField(help_text="true: no letters, no e-mails, no calls")
    their_words = models.TextField(blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["person", "recorded_at"])]

    def __str__(self) -> str:
        return f"{'No contact' if self.no_contact else 'Contact allowed'} for {self.person_id}"
