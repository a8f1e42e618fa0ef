"""The demo partnership's agencies, source systems, sign-ins and a few concerns at the front door."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from safeguarding.accounts.models import Agency, AgencyKind, Role, User
from safeguarding.accounts.services import agency_create, demo_authenticator_create, user_create
from safeguarding.frontdoor.models import Concern, Indicator
from safeguarding.frontdoor.services import concern_raise
from safeguarding.people.models import Event, EventType, Person, PersonRole

# Demo accounts only: the README tells people to change nothing here for real use, but to create
# real accounts in the Users page. Overridable so a shared demo server can use its own.
DEMO_PASSWORD = os.environ.get("SAFEGUARDING_DEMO_PASSWORD", "eastwood-demo-2026")

AGENCIES: list[tuple[str, str, str]] = [
    ("eastwood-council", "Eastwood Council Children's Services", AgencyKind.COUNCIL),
    ("eastshire-police", "Eastshire Police", AgencyKind.POLICE),
    ("eastwood-health", "Eastwood NHS Community and Hospital Services", AgencyKind.HEALTH),
    ("eastwood-schools", "Eastwood Schools", AgencyKind.EDUCATION),
    ("eastwood-licensing", "Eastwood Council Taxi Licensing", AgencyKind.LICENSING),
    ("eastwood-youth-project", "Eastwood Youth Outreach Project", AgencyKind.VOLUNTARY),
]

SOURCE_SYSTEMS: list[tuple[str, str, str]] = [
    ("council-social-care", "Council social care case management", "eastwood-council"),
    ("police-records", "Police records management system", "eastshire-police"),
    ("nhs-community", "NHS community and hospital records", "eastwood-health"),
    ("school-sims", "Schools' information management system", "eastwood-schools"),
    ("licensing-register", "Taxi and private hire licensing register", "eastwood-licensing"),
    ("voluntary-outreach", "Youth outreach project case notes", "eastwood-youth-project"),
]


@dataclass(frozen=True)
class DemoUser:
    username: str
    first_name: str
    last_name: str
    agency: str
    role: str
    job_title: str


DEMO_USERS: list[DemoUser] = [
    DemoUser(
        "school.lead",
        "Sarah",
        "Khan",
        "eastwood-schools",
        Role.REFERRER,
        "Designated safeguarding lead, Eastwood Academy",
    ),
    DemoUser("ae.nurse", "Tom", "Riley", "eastwood-health", Role.REFERRER, "Emergency department nurse"),
    DemoUser("taxi.licensing", "Priya", "Shah", "eastwood-licensing", Role.REFERRER, "Licensing enforcement officer"),
    DemoUser("triage.council", "Dawn", "Hughes", "eastwood-council", Role.TRIAGE_WORKER, "Front door social worker"),
    DemoUser(
        "triage.police",
        "Mark",
        "Ellis",
        "eastshire-police",
        Role.TRIAGE_WORKER,
        "Police officer, multi-agency safeguarding hub",
    ),
    DemoUser(
        "mace.coordinator", "Helen", "Ward", "eastwood-council", Role.MACE_COORDINATOR, "Exploitation panel coordinator"
    ),
    DemoUser(
        "lead.practitioner",
        "Amir",
        "Hussain",
        "eastwood-council",
        Role.LEAD_PRACTITIONER,
        "Social worker, exploitation team",
    ),
    DemoUser(
        "intel.officer",
        "Claire",
        "Booth",
        "eastshire-police",
        Role.INTELLIGENCE_OFFICER,
        "Exploitation intelligence officer",
    ),
    DemoUser("support.worker", "Jo", "Green", "eastwood-youth-project", Role.SUPPORT_WORKER, "Survivor support worker"),
    DemoUser("scrutineer", "Robert", "Lane", "eastwood-council", Role.PARTNERSHIP_MANAGER, "Independent scrutineer"),
    DemoUser("dpo", "Nadia", "Ahmed", "eastwood-council", Role.DATA_PROTECTION_OFFICER, "Data protection officer"),
    DemoUser("admin", "Gary", "Price", "eastwood-council", Role.ADMINISTRATOR, "Hub administrator"),
    DemoUser("police.manager", "Ian", "Moss", "eastshire-police", Role.AGENCY_MANAGER,
             "Detective inspector, safeguarding (agency safeguarding manager)"),
    DemoUser("council.manager", "Ruth", "Blake", "eastwood-council", Role.AGENCY_MANAGER,
             "Service manager, exploitation team (agency safeguarding manager)"),
    # Health's and the schools' safeguarding leads see plans, so those agencies can own the panel's
    # actions (their referrers cannot: who sees plans is not widened for it).
    DemoUser("health.safeguarding", "Grace", "Okafor", "eastwood-health", Role.AGENCY_MANAGER,
             "Named nurse for safeguarding children (agency safeguarding manager)"),
    DemoUser("schools.safeguarding", "Daniel", "Moore", "eastwood-schools", Role.AGENCY_MANAGER,
             "Education safeguarding lead (agency safeguarding manager)"),
]


def demo_partnership_setup() -> None:
    """Agencies, source systems and demo users; running it again changes nothing."""
    from safeguarding.exchange.services import source_system_register

    with transaction.atomic():
        for code, name, kind in AGENCIES:
            if not Agency.objects.filter(code=code).exists():
                agency_create(acting_user=None, code=code, name=name, kind=kind)
        agencies = {a.code: a for a in Agency.objects.all()}
        from safeguarding.people.models import SourceSystem

        for code, name, agency_code in SOURCE_SYSTEMS:
            if not SourceSystem.objects.filter(code=code).exists():
                source_system_register(code=code, name=name, agency=agencies[agency_code])
        for u in DEMO_USERS:
            if not User.objects.filter(username=u.username).exists():
                user_create(
                    acting_user=None,
                    username=u.username,
                    password=DEMO_PASSWORD,
                    agency=agencies[u.agency],
                    role=u.role,
                    first_name=u.first_name,
                    last_name=u.last_name,
                    job_title=u.job_title,
                    validate=False,
                    password_is_temporary=False,
                )
            # Each demo account has an authenticator app already set up, whose codes
            # `safeguarding totp USERNAME` prints (on this machine's demo only).
            demo_authenticator_create(user=User.objects.get(username=u.username))


def demo_concerns_raise(*, count: int = 6) -> int:
    """Put a few concerns at the front door, about children whose agency records already show
    worrying events, so the triage queue and single view have something real to show."""
    if Concern.objects.exists():
        return 0
    school = User.objects.get(username="school.lead")
    nurse = User.objects.get(username="ae.nurse")
    worrying = (
        Event.objects.filter(
            event_type__in=[EventType.MISSING_EPISODE, EventType.SEEN_IN_VEHICLE], source_record__role=PersonRole.CHILD
        )
        .values_list("source_record__person_id", flat=True)
        .distinct()[: count * 3]
    )
    children = list(Person.objects.filter(pk__in=list(worrying)).order_by("pk")[:count])
    today = timezone.localdate()
    texts = [
        (
            "Seen getting into a silver car outside school with an older man; says he is her boyfriend.",
            [Indicator.CARS, Indicator.OLDER_ADULT],
        ),
        (
            "Has a new expensive phone and clothes; missed three afternoons this week.",
            [Indicator.GIFTS_MONEY, Indicator.SCHOOL],
        ),
        (
            "Attended A&E intoxicated at 2am with an adult who left before staff could speak to him.",
            [Indicator.SUBSTANCES, Indicator.OLDER_ADULT],
        ),
        (
            "Told a teacher she is scared of the men at the takeaway on High Street.",
            [Indicator.DISCLOSURE, Indicator.RISKY_PLACES],
        ),
        (
            "Came to school with injuries he would not explain; talks of travelling to another town for 'work'.",
            [Indicator.INJURIES, Indicator.TRAVEL],
        ),
        (
            "Missing from home overnight twice this month; returned with cash.",
            [Indicator.MISSING, Indicator.CASH_DRUGS],
        ),
    ]
    raised = 0
    for i, child in enumerate(children):
        description, indicators = texts[i % len(texts)]
        concern_raise(
            raised_by=nurse if i == 2 else school,
            child=child,
            seen_on=today - dt.timedelta(days=1 + i % 3),
            description=description,
            location="Eastwood",
            indicators=[str(code) for code in indicators],
            immediate_danger=(i == 3),
        )
        raised += 1
    return raised


def demo_casework(*, referrals: int = 2) -> dict[str, int]:
    """Work a few of the scan's alerts as the demo's people would, so the panel, the alerts queue
    and the child's screenings have something real to show: the MACE coordinator refers the
    children with the newest high alerts to the panel and acknowledges the next alert, and the lead
    practitioner screens each referred child, confirming what the agencies' records suggest."""
    from safeguarding.earlywarning.models import Alert, AlertLevel, AlertStatus
    from safeguarding.earlywarning.services import alert_acknowledge
    from safeguarding.panel.models import PanelReferral
    from safeguarding.panel.services import panel_refer
    from safeguarding.screening.selectors import evidence_for_child, tool_current
    from safeguarding.screening.services import AnswerInput, screening_answers_save, screening_complete
    from safeguarding.screening.tool import NO, YES

    done = {"referred": 0, "acknowledged": 0, "screened": 0, "casework": 0}
    if PanelReferral.objects.exists():
        return done
    mace = User.objects.get(username="mace.coordinator")
    practitioner = User.objects.get(username="lead.practitioner")
    referred: list[Person] = []
    for alert in Alert.objects.filter(status=AlertStatus.OPEN).select_related("person", "rule").order_by(
        "-raised_at", "pk"
    ):
        if alert.person in referred:
            continue
        if len(referred) < referrals and alert.level == AlertLevel.HIGH:
            panel_refer(child=alert.person, referred_by=mace, alert=alert,
                        reason=f"{alert.rule.name}: the pattern needs a multi-agency plan.")
            referred.append(alert.person)
            done["referred"] += 1
        elif len(referred) == referrals:
            alert_acknowledge(alert=alert, acting_user=mace)
            done["acknowledged"] += 1
            break
    tool = tool_current().tool
    for child in referred:
        evidence = evidence_for_child(user=practitioner, person=child, tool=tool)
        answers = {
            ind.code: AnswerInput(answer=YES, event_ids=[e.pk for e in evidence[ind.code].suggested], suggested=True)
            if evidence[ind.code].suggested else AnswerInput(answer=NO)
            for ind in tool.indicators
        }
        draft = screening_answers_save(acting_user=practitioner, child=child, answers=answers)
        screening_complete(
            acting_user=practitioner, assessment=draft, judgement_level=draft.computed_level,
            judgement_reasoning="Agree with the computed level: the agencies' records show the pattern the panel "
                                "was told of.",
        )
        done["screened"] += 1
    if referred:
        # The first referred child's section 47 enquiry: a strategy discussion, then a conference that
        # made a child protection plan, whose core group and first review conference are now due.
        from safeguarding.clocks.models import StepKind
        from safeguarding.clocks.services import casework_step_record

        today = timezone.localdate()
        for kind, days_ago, positive, note in (
            (StepKind.STRATEGY_DISCUSSION, 25, None, "Police, health and school agreed a section 47 enquiry."),
            (StepKind.INITIAL_CONFERENCE, 10, True, "Child protection plan under the category of sexual abuse."),
        ):
            casework_step_record(
                acting_user=practitioner, child=referred[0], kind=kind, positive=positive, note=note,
                occurred_at=dt.datetime.combine(today - dt.timedelta(days=days_ago), dt.time(12),
                                                tzinfo=timezone.get_current_timezone()),
            )
            done["casework"] += 1
    return done


def demo_support_and_data_protection() -> dict[str, int]:
    """Leave something to see in survivor support and data protection, through their services: the
    support worker's plan for a child the panel took on (with her words, a service, a goal), an adult
    abused as a child whom the hub never held, the data protection officer's subject access request
    for that child (identity verified, assembled, redactions to review), a legal hold on the same child
    while the police investigate, and another child's record sealed to the lead practitioner."""
    from safeguarding.dataprotection import retention, sealing
    from safeguarding.dataprotection import services as dp
    from safeguarding.panel.models import PanelReferral
    from safeguarding.support import services as support
    from safeguarding.support.models import SupportPlan

    done = {"plans": 0, "requests": 0, "seals": 0, "holds": 0}
    if SupportPlan.objects.exists():
        return done
    worker = User.objects.get(username="support.worker")
    dpo = User.objects.get(username="dpo")
    practitioner = User.objects.get(username="lead.practitioner")
    today = timezone.localdate()
    referral = PanelReferral.objects.select_related("child").order_by("referred_at", "pk").first()
    child = referral.child if referral else Person.objects.filter(role=PersonRole.CHILD).order_by("pk").first()
    if child is None:
        return done
    plan = support.support_plan_open(acting_user=worker, person=child)
    support.survivor_words_record(
        acting_user=worker, plan=plan, kind="feelings", said_on=today - dt.timedelta(days=20),
        words="I thought he was my boyfriend. I know now it wasn't my fault.",
    )
    support.survivor_words_record(
        acting_user=worker, plan=plan, kind="helps", said_on=today - dt.timedelta(days=6),
        words="Seeing the same worker every week. Not having to tell it all again.",
    )
    support.support_service_record(acting_user=worker, plan=plan, kind="isva", status="taken_up",
                                   offered_on=today - dt.timedelta(days=18), provider="Eastshire ISVA service")
    support.support_service_record(acting_user=worker, plan=plan, kind="counselling", status="offered",
                                   offered_on=today - dt.timedelta(days=6))
    support.support_goal_set(acting_user=worker, plan=plan, description="Go back to college in September",
                             set_on=today - dt.timedelta(days=18))
    support.sharing_wish_record(acting_user=worker, plan=plan, what="What happened at the flat",
                                with_whom="Her mum", share=False, recorded_on=today - dt.timedelta(days=6))
    done["plans"] += 1
    adult = support.adult_survivor_record(acting_user=worker, given_name="Leanne", family_name="Marsh",
                                          date_of_birth=dt.date(1991, 6, 2))
    adult_plan = support.support_plan_open(acting_user=worker, person=adult, abused_as_child=True)
    support.survivor_words_record(
        acting_user=worker, plan=adult_plan, kind="wishes", said_on=today - dt.timedelta(days=3),
        words="I want my records. I want to know who knew, and when.",
    )
    support.lived_experience_record(
        acting_user=worker, plan=adult_plan, themes=["not_believed", "records"], consent_given=True,
        written_on=today - dt.timedelta(days=3),
        summary="Abused from 13; called 'out of control' in the records. Support came at 30, and it helped to be "
                "believed. Getting the records was as hard as telling.",
    )
    done["plans"] += 1
    # The story: each plan was opened when the worker first met the survivor, the day of the first words
    # it records (a plan opened today beside words heard three weeks ago contradicted itself). The audit
    # trail keeps when it was really written.
    for opened in (plan, adult_plan):
        first = min(opened.words.values_list("said_on", flat=True))
        SupportPlan.objects.filter(pk=opened.pk).update(
            opened_at=timezone.make_aware(dt.datetime.combine(first, dt.time(10))))
    sar = dp.sar_log(acting_user=dpo, person=child, requester_name=child.full_name or "The young person",
                     requester_relationship="the person themselves", received_on=today - dt.timedelta(days=9))
    dp.sar_verify_identity(acting_user=dpo, sar=sar, verified_on=today - dt.timedelta(days=8),
                           evidence="Seen with her support worker; college ID")
    dp.sar_assemble(acting_user=dpo, sar=sar)
    done["requests"] += 1
    retention.legal_hold_place(acting_user=dpo, person=child,
                               reason="Police investigation into the network: keep everything until charging decisions")
    done["holds"] += 1
    other = Person.objects.filter(role=PersonRole.CHILD).exclude(root_id=child.root_id).order_by("-pk").first()
    if other is not None:
        sealing.record_seal(acting_user=dpo, person=other, named_users=[practitioner],
                            reason="Witness in a forthcoming trial: only the allocated social worker opens the record")
        done["seals"] += 1
    return done


def demo_justice() -> dict[str, int]:
    """Give the networks, intelligence, contexts and justice pages something real to show, as the
    demo's intelligence officer and MACE coordinator would: graded intelligence about the child at
    the heart of the largest network, work opened on its busiest place, and an operation with the
    network's adults and children, an arrest and a child abduction warning notice."""
    import datetime as dt

    from safeguarding.contexts import selectors as contexts_selectors
    from safeguarding.contexts import services as contexts
    from safeguarding.contexts.models import EntityKind, LinkNature
    from safeguarding.justice import services as justice
    from safeguarding.justice.models import Operation

    done = {"intelligence": 0, "contexts": 0, "operations": 0}
    if Operation.objects.exists():
        return done
    intel = User.objects.get(username="intel.officer")
    mace = User.objects.get(username="mace.coordinator")
    overview = contexts_selectors.networks_overview(user=intel, window=contexts_selectors.Window())
    network = next((n for n in overview.networks if n.anchor_child is not None), None)
    if network is None or network.anchor_child is None:
        return done
    child = network.anchor_child
    chart = contexts_selectors.chart_for_person(user=intel, person=child, window=contexts_selectors.Window())
    today = timezone.localdate()
    # The chart tells child from adult today; the operation began 60 days ago, and a child victim is
    # one no record calls an adult (justice's own checks).
    adults = [p for p in (Person.objects.get(pk=int(n.id[1:])) for n in chart.nodes if n.kind == "adult")
              if p.child_or_adult(today - dt.timedelta(days=60)) == PersonRole.ADULT][:4]
    children = [p for p in (Person.objects.get(pk=int(n.id[1:])) for n in chart.nodes if n.kind == "child")
                if p.role != PersonRole.ADULT][:6]
    vehicle = next((n for n in chart.nodes if n.kind == EntityKind.VEHICLE), None)
    for handling, text in (("P", "A child from the area has been seen getting into a private hire car late at night."),
                           ("C", "Information that girls are being taken from the town centre to a flat by car.")):
        contexts.intelligence_record(
            acting_user=intel, observed_on=today - dt.timedelta(days=10), source_evaluation="2", assessment="B",
            handling=handling, handling_conditions="" if handling == "P" else "Police and MACE chairs only; not to "
            "be shared with the driver's operator", sanitised_text=text,
            source_description="Covert human intelligence source 0417 (demo)", persons=[child],
            adult=adults[0] if adults else None,
            reported=[contexts.Reported(kind=EntityKind.VEHICLE, value=vehicle.label, nature=LinkNature.SEEN_IN_VEHICLE)]
            if vehicle else [],
        )
        done["intelligence"] += 1
    place = next((e for e, _ in overview.hotspots if e.kind == EntityKind.PLACE), None)
    if place is not None:
        contexts.context_open(
            acting_user=mace, entity=place, assessment="Several children have been found or seen here with adults.",
            plan="Patrols on Friday and Saturday nights; the licensing team to visit; the manager to be briefed.",
            review_due_on=today + dt.timedelta(days=10),
        )
        done["contexts"] += 1
    if adults:
        operation = justice.operation_open(acting_user=intel, name="Operation Eastwood (demo)", kind="operation",
                                           summary="Group-based child sexual exploitation in the town centre.",
                                           opened_on=today - dt.timedelta(days=60))
        for adult in adults:
            justice.operation_add_subject(acting_user=intel, operation=operation, person=adult, role="suspect")
        for kid in children:
            justice.operation_add_subject(acting_user=intel, operation=operation, person=kid, role="child_victim")
        justice.justice_outcome_record(acting_user=intel, person=adults[0], kind="arrest",
                                       on=today - dt.timedelta(days=20), offence="Sexual activity with a child",
                                       operation=operation)
        justice.disruption_record(acting_user=intel, kind="cawn", adult=adults[0], child=child,
                                  served_on=today - dt.timedelta(days=30), detail="Served at his home address.",
                                  operation=operation)
        done["operations"] += 1
    return done


def demo_intervene() -> dict[str, int]:
    """The panel at work, as the demo's people would do it through the hub's services: the statutory
    clocks worked out from the imported events; a panel meeting co-chaired by the police and the
    council discusses the referred children, confirms their level, opens plans with actions owned
    by named people, and its minutes are approved by the other co-chair and locked; a second
    meeting is scheduled. The meeting is told as if held three weeks ago (its dates moved back after
    the services recorded it: the hub itself never backdates anything), so some actions are overdue
    and the scheduled escalation has escalated them."""
    from safeguarding.clocks.services import clocks_refresh
    from safeguarding.mace.models import AttendanceStatus, PanelDecision, PanelMeeting
    from safeguarding.mace.services import (
        ActionInput,
        agenda_build,
        attendance_record,
        discussion_record,
        escalations_run,
        meetings_schedule,
        minutes_approve,
        minutes_draft,
        reminders_send,
    )

    done = {"clocks": 0, "plans": 0, "actions": 0, "escalations": 0}
    refreshed = clocks_refresh()
    done["clocks"] = refreshed.clocks
    if PanelMeeting.objects.exists():
        return done
    users = {u.username: u for u in User.objects.filter(username__in=[d.username for d in DEMO_USERS])}
    mace, police_chair = users["mace.coordinator"], users["intel.officer"]
    now = timezone.now()
    [meeting] = meetings_schedule(acting_user=mace, first_at=now, place="Eastwood Town Hall, committee room 2",
                                  police_chair=police_chair, council_chair=mace)
    agenda_build(acting_user=mace, meeting=meeting)
    attendance_record(acting_user=mace, meeting=meeting, entries={
        a.pk: (AttendanceStatus.ATTENDED if a.kind != AgencyKind.LICENSING else AttendanceStatus.APOLOGIES,
               {"eastwood-council": "Helen Ward, Amir Hussain", "eastshire-police": "Claire Booth",
                "eastwood-health": "Grace Okafor", "eastwood-schools": "Daniel Moore"}.get(a.code, ""))
        for a in Agency.objects.all()
    })
    today = timezone.localdate()
    for number, item in enumerate(meeting.items.select_related("person")):
        owners = [(users["intel.officer"], "disruption", "Visit the takeaway and the taxi rank named in police "
                   "reports with licensing; identify the drivers"),
                  (users["lead.practitioner"], "direct_work", "Weekly direct work with the child; safety plan "
                   "agreed with the child and carer"),
                  (users["support.worker"], "return_home_interview", "Independent return home interviews after "
                   "each missing episode, within 72 hours"),
                  (users["schools.safeguarding"], "education", "A trusted adult at school; attendance checked "
                   "daily and absences told to the lead practitioner the same day"),
                  (users["health.safeguarding"], "health", "Sexual health and emotional wellbeing appointment "
                   "offered, with a flag on the child's health records while the plan is open")]
        discussion_record(
            acting_user=mace, item=item,
            summary="Agencies shared what they hold: repeat missing episodes, sightings with older adults, "
                    "school absence. The panel agreed a multi-agency plan.",
            decision=PanelDecision.OPEN_PLAN,
            goals=["The child is safe at night and returns home", "The adults around the child are disrupted"],
            actions=[ActionInput(text, owner, today + dt.timedelta(days=7 + 7 * n), step)
                     for n, (owner, step, text) in enumerate(owners)],
        )
        done["plans"] += 1
        done["actions"] += len(owners)
        if number >= 3:
            break
    minutes_draft(acting_user=mace, meeting=meeting, text=(
        "Present: council, police, health, schools, youth outreach project; apologies from licensing. "
        "Each referred child was discussed; plans opened with actions owned by named people. "
        "Next meeting in two weeks."))
    minutes_approve(acting_user=police_chair, meeting=meeting)
    # The story: that meeting was three weeks ago (read again: recording attendance set when it was held).
    _panel_story_moved_back(dt.timedelta(weeks=3))
    meetings_schedule(acting_user=mace, first_at=now + dt.timedelta(days=11),
                      place="Eastwood Town Hall, committee room 2", police_chair=police_chair,
                      council_chair=mace, count=3)
    clocks_refresh()
    done["escalations"] = len(escalations_run())
    reminders_send()
    return done


def _panel_story_moved_back(back: dt.timedelta) -> None:
    """Everything the panel's story wrote, moved back together, so that its pages agree with each other:
    the referrals and screenings before the meeting, the meeting, its discussions and minutes, the plans
    with their history, goals and actions, and the levels in force. An action's due date is worked out
    again from the day asked for, moved back, as the service would have (a bank holiday three weeks
    later is not one three weeks earlier), with its note. The audit trail keeps when each was really
    written: the hub never backdates anything, only this demo's story does. The review clocks the
    discussions started follow at the next refresh, start and due date, as they follow any corrected record."""
    from safeguarding.mace.models import (
        Discussion,
        MinutesVersion,
        PanelMeeting,
        Plan,
        PlanAction,
        PlanGoal,
        PlanHistory,
    )
    from safeguarding.mace.services import due_date_asked, working_due_date
    from safeguarding.panel.models import PanelReferral
    from safeguarding.screening.models import RiskLevelChange, ScreeningAssessment

    moved = {
        PanelReferral: ["referred_at"],
        ScreeningAssessment: ["started_at", "completed_at", "approval_at"],
        RiskLevelChange: ["effective_at"],
        PanelMeeting: ["scheduled_for", "created_at", "agenda_built_at", "held_at", "minutes_at", "approved_at"],
        Discussion: ["recorded_at"],
        MinutesVersion: ["written_at", "replaced_at", "withheld_at"],
        Plan: ["opened_at", "review_due_on"],
        PlanHistory: ["at"],
        PlanGoal: ["added_at"],
        PlanAction: ["created_at"],
    }
    with transaction.atomic():
        for model, fields in moved.items():
            model.objects.update(**{name: F(name) - back for name in fields})  # type: ignore[attr-defined]
        for action in PlanAction.objects.all():
            asked = due_date_asked(action.due_on, action.due_note)
            due, note = working_due_date(asked - back)
            PlanAction.objects.filter(pk=action.pk).update(due_on=due, due_note=note)


def demo_strategy_targets() -> int:
    """The board's first targets for its strategy, recorded by the demo's scrutineer from the last
    complete quarter on, so the board report shows the figures against them."""
    from safeguarding.insight.models import Comparison, StrategyTarget
    from safeguarding.insight.selectors import quarters_offered
    from safeguarding.insight.services import strategy_target_set

    if StrategyTarget.objects.exists():
        return 0
    scrutineer = User.objects.get(username="scrutineer")
    start = quarters_offered()[0]
    minute = "Partnership board, strategy adopted: priority 3, timeliness that is measured"
    targets = [("decided_within", 95), ("clock:return_home_interview", 80), ("actions_in_time", 90)]
    for measure, value in targets:
        strategy_target_set(acting_user=scrutineer, measure=measure, comparison=Comparison.AT_LEAST, value=value,
                            from_quarter=start, reason=minute)
    return len(targets)


def demo_own_role() -> int:
    """A role of the partnership's own, defined by the demo's administrator: the youth justice
    service's workers raise concerns and read children's single views and plans, nothing more."""
    from safeguarding.accounts.models import CustomRole
    from safeguarding.accounts.services import custom_role_create

    if CustomRole.objects.exists():
        return 0
    custom_role_create(acting_user=User.objects.get(username="admin"), name="Youth justice worker",
                       capabilities=["raise_concern", "view_person", "search_people", "view_plans"],
                       description="The youth justice service's case workers: they raise concerns and read the "
                                   "children's records and plans they work with.")
    return 1
