"""The rooms beside and above data protection, put into words for a subject access request: each
room's records read through its own selector, registered with ``dataprotection.sources`` when the hub
starts (``workflows.apps``). A room built later (meetings, plans) adds a source the same way."""

from __future__ import annotations

from safeguarding.accounts.access import Capability, capabilities_of
from safeguarding.accounts.models import User
from safeguarding.clocks.selectors import casework_for_subject_access, return_shown
from safeguarding.dataprotection.assemble import POLICE_INTELLIGENCE_WITHHELD, POLICE_WORK_WITHHELD
from safeguarding.dataprotection.sources import (
    CASEWORK_SECTION,
    PANEL_SECTION,
    SECTIONS,
    Category,
    Gathered,
    Item,
    ThirdParty,
)
from safeguarding.earlywarning.selectors import alerts_for_subject_access, remarked_since_written, without_links
from safeguarding.frontdoor.selectors import concerns_for_subject_access
from safeguarding.mace.selectors import panel_work_for_subject_access, police_minutes_for_subject_access
from safeguarding.panel.selectors import referrals_for_subject_access
from safeguarding.people.models import Person
from safeguarding.screening.selectors import screenings_for_subject_access


def _name(user: User | None) -> str:
    if user is None:
        return ""
    return user.display_name


def _with_reason(answer: str, reason: str) -> str:
    return f"{answer}. Why not: {reason}" if answer and reason else answer


def concerns(user: User, person: Person) -> Gathered:
    """Concerns and the front door's decisions. Who raised a concern is proposed for redaction when
    they are a referrer (a teacher, a nurse, a licensing officer): the officer decides."""
    items = []
    for c in concerns_for_subject_access(user=user, person=person):
        decision = getattr(c, "decision", None)
        fields = [
            ("Seen on", f"{c.seen_on:%-d %B %Y}"), ("Where", c.location), ("What was seen or said", c.description),
            ("Signs", ", ".join(c.indicator_labels())), ("Raised by", _name(c.raised_by)),
            ("Decision", decision.get_outcome_display() if decision else "Awaiting a decision"),
            ("Reason", decision.reason if decision else ""),
            ("Decided by", _name(decision.decided_by) if decision else ""),
            # What the concern form asks besides (issue 16): whether the family was told and consent
            # given are the person's own; who else was involved, and how to reach the referrer, are
            # proposed for redaction as someone else's.
            ("Parents or carers told", _with_reason(c.get_parents_told_display(), c.parents_not_told_reason)),
            ("Consent to share", _with_reason(c.get_consent_display(), c.consent_reason)),
            ("Other people involved", c.people_involved),
            ("Vehicles involved", c.vehicles_involved),
            ("Places involved", c.places_involved),
            ("Contact of the person who raised it", ", ".join(
                v for v in (c.referrer_role, c.referrer_phone, c.referrer_email) if v)),
        ]
        # Whoever raised it from outside casework (a referrer: a teacher, a neighbour's GP) is a third
        # party to propose hiding; casework staff, by any role of theirs, are not.
        third = [] if Capability.VIEW_PERSON in capabilities_of(c.raised_by.role) else [ThirdParty(4, Category.REFERRER)]
        third += [ThirdParty(10, Category.IDENTIFIER), ThirdParty(11, Category.IDENTIFIER),
                  ThirdParty(12, Category.IDENTIFIER), ThirdParty(13, Category.REFERRER)]
        items.append(Item(section=SECTIONS[2], kind="concern", source=f"concern {c.reference}",
                          title=f"Concern {c.reference}, raised by {c.agency.name}", occurred_at=c.raised_at,
                          fields=fields, third_parties=third))
    return Gathered(items)


def alerts(user: User, person: Person) -> Gathered:
    """Each alert in its shared words, without what links the person to other children (``without_links``:
    those are about the other children). One that rests partly on police intelligence the hub never
    discloses (its explanation has more for the police's readers) is withheld whole, as that intelligence
    is: even counted ("1 more event: police intelligence…") it would tell the person what the police hold."""
    held = alerts_for_subject_access(user=user, person=person)
    remarked = remarked_since_written(a.pk for a in held)
    return Gathered([
        Item(section=SECTIONS[3], kind="withheld_police", source=f"alert {a.reference}",
             title="An early-warning alert resting on police information (withheld)",
             occurred_at=getattr(a, "raised_shown", a.raised_at), withheld_reason=POLICE_INTELLIGENCE_WITHHELD)
        if a.explanation_restricted or a.pk in remarked else
        Item(section=SECTIONS[3], kind="alert", source=f"alert {a.reference}", title=f"Alert: {a.rule.name}",
             occurred_at=getattr(a, "raised_shown", a.raised_at),  # never the moment of police-only intelligence
             fields=[("Level", a.get_level_display()), ("Why", without_links(a, a.explanation)), ("What was done", a.get_status_display()),
                     ("Note", a.status_note)])
        for a in held
    ])


def screenings(user: User, person: Person) -> Gathered:
    items = []
    for s in screenings_for_subject_access(user=user, person=person):
        answered = "; ".join(
            f"{a.indicator}: {a.answer}{f' ({a.evidence})' if a.evidence else ''}" for a in s.answers.all()
        )
        items.append(Item(
            section=SECTIONS[4], kind="screening", source=f"screening {s.reference}",
            title=f"Screening {s.reference}", occurred_at=s.completed_at or s.started_at,
            fields=[("Level worked out", s.computed_level_name), ("Practitioner's judgement", s.judgement_level_name),
                    ("Their reasons", s.judgement_reasoning), ("By", _name(s.completed_by)),
                    ("Answers", answered), ("Why the level was lowered", s.downgrade_reason),
                    ("Approval", s.get_approval_display())],
        ))
    return Gathered(items)


def referrals(user: User, person: Person) -> Gathered:
    return Gathered([
        Item(section=SECTIONS[5], kind="panel_referral", source=f"panel referral {r.reference}",
             title=f"Referral {r.reference} to the exploitation panel", occurred_at=r.referred_at,
             fields=[("Why", r.reason), ("Referred by", _name(r.referred_by)), ("Status", r.get_status_display()),
                     ("Why it closed", r.closed_reason)])
        for r in referrals_for_subject_access(user=user, person=person)
    ])


def casework(user: User, person: Person) -> Gathered:
    """Return home interviews and the casework recorded in the hub (strategy discussions, conferences,
    assessments, NRM steps). What the child said in an interview is their own words, never redacted;
    the people and places they named, and who held it, are proposed for redaction as others'."""
    steps, interviews = casework_for_subject_access(user=user, person=person)
    items = []
    for i in interviews:
        source = f"return home interview {i.pk}"
        items.append(Item(
            section=CASEWORK_SECTION, kind="return_home_interview", source=source,
            title=f"Return home interview recorded by {i.agency.name}", occurred_at=i.held_at,
            fields=[("Outcome", i.get_outcome_display()),
                    ("After the return of", f"{returned:%-d %B %Y, %H:%M}"
                     if (returned := return_shown(i, police=False)) else ""),
                    ("Held by", i.interviewer), ("Places named", i.places_named), ("People named", i.people_named),
                    ("Why it was not held", i.reason_not_held)],
            third_parties=[ThirdParty(2, Category.IDENTIFIER), ThirdParty(3, Category.IDENTIFIER),
                           ThirdParty(4, Category.IDENTIFIER)],
        ))
        if i.child_said:
            items.append(Item(section=CASEWORK_SECTION, kind="own_words", source=source,
                              title="In your words, at the return home interview", occurred_at=i.held_at,
                              fields=[("What you said", i.child_said)], own_words=True))
    for s in steps:
        fields = [("What", s.get_kind_display()), ("Note", s.note)]
        if s.decision:
            fields.insert(1, ("Decision", s.decision))
        items.append(Item(section=CASEWORK_SECTION, kind="casework_step", source=f"casework step {s.pk}",
                          title=f"{s.get_kind_display()}, recorded by {s.agency.name}", occurred_at=s.occurred_at,
                          fields=fields))
    return Gathered(items)


def panel_work(user: User, person: Person) -> Gathered:
    """The panel's discussions of the person and their multi-agency plans: goals, and each agency's
    actions with what was done, the police's among them: an action agreed at the panel is on the plan
    every agency on it reads, so it is the person's as the plan is (DOMAIN.md: disclose all that is
    theirs). The police-only minutes of the person's discussion are the police's own work and are
    withheld whole, as their intelligence and operations are elsewhere in a bundle."""
    discussions, plans = panel_work_for_subject_access(user=user, person=person)
    items = []
    for d in discussions:
        meeting = d.item.meeting
        items.append(Item(
            section=PANEL_SECTION, kind="panel_discussion", source=f"panel meeting {meeting.reference}",
            title=f"Discussed at panel meeting {meeting.reference}", occurred_at=meeting.scheduled_for,
            fields=[("What the panel said", d.summary), ("Decision", d.get_decision_display()),
                    ("Level confirmed", d.confirmed_level_name)],
        ))
        if d.child_views:
            items.append(Item(section=PANEL_SECTION, kind="own_words", source=f"panel meeting {meeting.reference}",
                              title="Your wishes and feelings, as the panel heard them",
                              occurred_at=meeting.scheduled_for, fields=[("What you want", d.child_views)],
                              own_words=True))
    for part in police_minutes_for_subject_access(user=user, person=person):
        # What the police told the panel about the person, apart from every other agency: theirs to disclose.
        items.append(Item(section=PANEL_SECTION, kind="withheld_police",
                          source=f"panel meeting {part.meeting.reference} police-only minutes",
                          title="What the police told the panel (withheld)", occurred_at=part.meeting.scheduled_for,
                          withheld_reason=POLICE_WORK_WITHHELD))
    for plan in plans:
        source = f"plan {plan.reference}"
        items.append(Item(
            section=PANEL_SECTION, kind="plan", source=source, title=f"Multi-agency plan {plan.reference}",
            occurred_at=plan.opened_at,
            fields=[("Status", plan.get_status_display()), ("Goals", "; ".join(g.text for g in plan.goals.all())),
                    ("Outcome", plan.get_outcome_display() if plan.outcome else ""),
                    ("Why it closed", plan.closure_reason)],
        ))
        for action in plan.actions.all():
            items.append(Item(
                section=PANEL_SECTION, kind="plan_action", source=f"{source} {action.reference}",
                title=f"Action for {action.owner_agency.name}", occurred_at=action.created_at,
                fields=[("What", action.description), ("Due", f"{action.due_on:%-d %B %Y}"),
                        ("Status", action.get_status_display()), ("What was done", action.outcome)],
            ))
    return Gathered(items)
