"""Screening services and selectors: versions, pre-fill, completion, downgrades and level history."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.http import Http404
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from safeguarding.accounts.models import AgencyKind, Role
from safeguarding.audit.models import AuditEvent, AuditEventType
from safeguarding.core.calendar import ENGLAND
from safeguarding.core.errors import ServiceError
from safeguarding.people.models import EventType
from safeguarding.screening import selectors, services
from safeguarding.screening.defaults import DEFAULT_CHANGE_NOTE
from safeguarding.screening.models import (
    ApprovalStatus,
    RiskLevelChange,
    ScreeningAssessment,
    ScreeningStatus,
    ScreeningToolVersion,
)
from safeguarding.screening.tool import YES, Part, ToolConfigError
from tests.factories import PersonFactory, merge, sign_in
from tests.screening.conftest import Child, answers_for, screen

pytestmark = pytest.mark.django_db


@pytest.fixture
def practitioner(make_user):  # type: ignore[no-untyped-def]
    return make_user(role=Role.LEAD_PRACTITIONER, agency_kind=AgencyKind.COUNCIL, username="practitioner")


@pytest.fixture
def coordinator(make_user):  # type: ignore[no-untyped-def]
    return make_user(role=Role.MACE_COORDINATOR, agency_kind=AgencyKind.COUNCIL, username="coordinator")


@pytest.fixture
def admin(make_user):  # type: ignore[no-untyped-def]
    return make_user(role=Role.ADMINISTRATOR, agency_kind=AgencyKind.COUNCIL, username="admin")


def _change(admin: Any, edit: Any, note: str = "test change") -> ScreeningToolVersion:
    current = selectors.tool_current()
    config = services.config_copy(current)
    edit(config)
    return services.tool_change(acting_user=admin, based_on=current.number, config=config, change_note=note)


def _set_approval(admin: Any, on: bool) -> None:
    if selectors.tool_current().tool.downgrade_needs_approval != on:
        _change(admin, lambda c: c.update(downgrade_needs_approval=on))


# --- the tool and its versions -----------------------------------------------------------------


def test_taking_a_safeguard_out_of_the_tool_is_never_quiet(admin, make_user) -> None:  # type: ignore[no-untyped-def]
    """One administrator may switch off the second person's approval or remove the rule that makes a
    disclosure high at once, but the partnership's managers and the panel's coordinators hear of it."""
    from safeguarding.accounts.services import custom_role_create
    from safeguarding.notifications.models import Notification, NotificationKind

    manager = make_user(role=Role.PARTNERSHIP_MANAGER, agency_kind=AgencyKind.COUNCIL)
    coordinator = make_user(role=Role.MACE_COORDINATOR, agency_kind=AgencyKind.POLICE)
    practitioner = make_user(role=Role.LEAD_PRACTITIONER, agency_kind=AgencyKind.COUNCIL)
    # The strategic group is whoever holds its capability: a chair in a role of the partnership's own too.
    chair = make_user(role=custom_role_create(acting_user=admin, name="Chair of the strategic group",
                                              capabilities=["strategic_group", "view_escalations"]).code,
                      agency_kind=AgencyKind.HEALTH)

    def heavier(config: dict[str, Any]) -> None:
        config["indicators"][0]["weight"] = 5

    _change(admin, heavier)  # not a safeguard
    assert not Notification.objects.exists()
    _change(admin, lambda c: c.update(downgrade_needs_approval=False), note="Too slow at the front door")
    version = services.tool_overriding_rule_remove(acting_user=admin, based_on=selectors.tool_current().number,
                                                   code="disclosure_high", change_note="Panels decide that")
    told = Notification.objects.filter(kind=NotificationKind.TOOL_SAFEGUARD_REMOVED).order_by("pk")
    assert {n.recipient for n in told} == {manager, coordinator, chair}
    assert not told.filter(recipient=practitioner).exists()
    assert {n.link for n in told} == {""}  # the tool's pages are the administrators'; the notice says it all
    first, last = told.filter(recipient=manager)
    assert "no longer needs a second person's approval" in first.body and "Too slow at the front door" in first.body
    assert f"version {version.number}" in last.subject and "is removed" in last.body


def test_setup_installs_the_england_default_as_version_one() -> None:
    version = selectors.tool_current()
    assert version.number == 1 and version.created_by is None and version.change_note == DEFAULT_CHANGE_NOTE
    assert version.tool.indicator("disclosure") is not None


def test_a_change_makes_a_new_audited_version_and_leaves_the_old_one(admin) -> None:  # type: ignore[no-untyped-def]
    def heavier(config: dict[str, Any]) -> None:
        config["indicators"][0]["weight"] = 5

    version = _change(admin, heavier, note="Missing weighs more after the serious case review")
    assert version.number == 2 and selectors.tool_current() == version
    assert ScreeningToolVersion.objects.get(number=1).tool.indicator("repeat_missing").weight == 3  # type: ignore[union-attr]
    audit = AuditEvent.objects.get(event_type=AuditEventType.SCREENING_TOOL_CHANGED)
    assert (
        audit.actor == admin
        and audit.target_id == "2"
        and "changed indicator repeat_missing" in audit.detail["changes"]
    )
    assert audit.reason == "Missing weighs more after the serious case review"


def test_invalid_or_stale_changes_are_refused_and_nothing_is_saved(admin, practitioner) -> None:  # type: ignore[no-untyped-def]
    config = services.config_copy(selectors.tool_current())
    config["indicators"][0]["evidence_event_types"] = ["not_an_event"]
    with pytest.raises(ToolConfigError):
        services.tool_change(acting_user=admin, based_on=1, config=config, change_note="bad")
    good = services.config_copy(selectors.tool_current())
    good["downgrade_needs_approval"] = False
    with pytest.raises(ServiceError, match="cannot change"):
        services.tool_change(acting_user=practitioner, based_on=1, config=good, change_note="x")
    with pytest.raises(ServiceError, match="change note"):
        services.tool_change(acting_user=admin, based_on=1, config=good, change_note=" ")
    services.tool_change(acting_user=admin, based_on=1, config=good, change_note="first")
    with pytest.raises(ServiceError, match="Someone else saved"):
        services.tool_change(acting_user=admin, based_on=1, config=good, change_note="second, from a stale page")
    assert ScreeningToolVersion.objects.count() == 2
    assert AuditEvent.objects.filter(event_type=AuditEventType.SCREENING_TOOL_CHANGED).count() == 1


def test_a_completed_screening_keeps_the_version_it_was_scored_with(admin, practitioner, child: Child) -> None:  # type: ignore[no-untyped-def]
    done = screen(practitioner, child.person, "at_risk", yes={"repeat_missing": "Missing three times"})
    assert done.tool_version.number == 1 and done.score == 3 and done.computed_level == "at_risk"

    def rename_and_reweigh(config: dict[str, Any]) -> None:
        config["indicators"][0]["weight"] = 8
        config["levels"][1]["name"] = "Emerging risk"

    _change(admin, rename_and_reweigh)
    done.refresh_from_db()
    assert done.tool_version.number == 1 and done.score == 3
    assert done.explanation["contributions"] == [
        {"indicator": "repeat_missing", "label": "Repeat missing episodes", "weight": 3}
    ]
    assert done.judgement_level_name == "At risk"  # as version 1 named it
    again = screen(practitioner, child.person, "medium", yes={"repeat_missing": "Missing three times"})
    assert again.tool_version.number == 2 and again.score == 8 and again.computed_level_name == "Medium risk"


# --- answering: pre-fill and evidence ----------------------------------------------------------


def test_prefill_suggests_indicators_agencies_records_show_within_the_look_back(practitioner, child: Child) -> None:  # type: ignore[no-untyped-def]
    evidence = selectors.evidence_for_child(user=practitioner, person=child.person, tool=selectors.tool_current().tool)
    assert evidence["repeat_missing"].suggested == [child.recent_missing]
    assert evidence["repeat_missing"].offered == [child.recent_missing, child.old_missing]  # older one offered only
    assert evidence["sexual_health"].suggested == [child.sexual_health]
    assert evidence["drug_debt"].suggested == [] and evidence["estrangement"].offered == []


def test_restricted_police_intelligence_is_never_offered_outside_the_police(admin, make_user, child: Child) -> None:  # type: ignore[no-untyped-def]
    def intelligence_counts(config: dict[str, Any]) -> None:
        config["indicators"].append(
            {
                "code": "police_intelligence",
                "type": "sexual",
                "label": "Police intelligence about exploitation",
                "guidance": "",
                "weight": 2,
                "evidence_event_types": [EventType.INTELLIGENCE],
                "lookback_days": 90,
            }
        )

    _change(admin, intelligence_counts)
    tool = selectors.tool_current().tool
    council = make_user(role=Role.TRIAGE_WORKER, agency_kind=AgencyKind.COUNCIL)
    police = make_user(role=Role.TRIAGE_WORKER, agency_kind=AgencyKind.POLICE)
    for_council = selectors.evidence_for_child(user=council, person=child.person, tool=tool)["police_intelligence"]
    for_police = selectors.evidence_for_child(user=police, person=child.person, tool=tool)["police_intelligence"]
    assert for_council.suggested == [child.shareable_intel]
    assert for_police.suggested == [child.restricted_intel, child.shareable_intel]
    # Nor can a council user attach it by posting its id.
    with pytest.raises(ServiceError, match="this child's records"):
        services.screening_answers_save(
            acting_user=council,
            child=child.person,
            answers=answers_for({"police_intelligence": [child.restricted_intel.pk]}),
        )
    # A police officer may. A council reader of the screening is not shown it, nor told there is one: every
    # screening tells readers outside the police, in the same words, that the police may hold more.
    done = screen(police, child.person, "at_risk", yes={"police_intelligence": [child.restricted_intel.pk]})
    assert selectors.supporting_events_visible(user=council, assessments=[done]) == {}
    assert selectors.supporting_events_visible(user=police, assessments=[done]) != {}
    plain = screen(police, child.person, "at_risk", yes={"police_intelligence": [child.shareable_intel.pk]})
    council_client = sign_in(Client(), council)
    pages = [council_client.get(reverse("screening:detail", args=[s.pk])).content.decode() for s in (done, plain)]
    assert [p.split('id="police-may-hold">')[1].split("</p>")[0] for p in pages] == [
        "The police may hold supporting records they do not share with your agency. If you need them, contact "
        "the police safeguarding team."] * 2
    assert all("held by the police are" not in p and "is not shared" not in p for p in pages)
    police_page = sign_in(Client(), police).get(reverse("screening:detail", args=[done.pk])).content.decode()
    assert 'id="police-may-hold"' not in police_page


def test_the_tool_screens_a_child_today_by_the_date_of_birth_before_the_records_role(practitioner) -> None:  # type: ignore[no-untyped-def]
    """A girl of 16 a police system holds as an adult is screened; a man whose records still say "child" is not."""
    from safeguarding.people.models import PersonRole

    held = PersonFactory(role=PersonRole.ADULT, date_of_birth="2010-02-02")
    assert services.screening_answers_save(acting_user=practitioner, child=held, answers=answers_for()).child_id == held.pk
    grown = PersonFactory(role=PersonRole.CHILD, date_of_birth="2001-01-01")
    with pytest.raises(ServiceError, match="for children"):
        services.screening_answers_save(acting_user=practitioner, child=grown, answers=answers_for())
    with pytest.raises(ServiceError, match="for children"):
        services.screening_section_save(acting_user=practitioner, child=grown, section="behaviour", answers={}, finished=False)


def test_answers_need_every_indicator_evidence_for_yes_and_the_childs_own_events(practitioner, child: Child) -> None:  # type: ignore[no-untyped-def]
    answers = answers_for()
    del answers["weapons"]
    with pytest.raises(ServiceError, match="Answer 'Carrying weapons'"):
        services.screening_answers_save(acting_user=practitioner, child=child.person, answers=answers)
    bare = answers_for()
    bare["weapons"] = services.AnswerInput(answer=YES)
    with pytest.raises(ServiceError, match="Give the evidence for 'Carrying weapons'"):
        services.screening_answers_save(acting_user=practitioner, child=child.person, answers=bare)
    other = PersonFactory()
    with pytest.raises(ServiceError, match="this child's records"):
        services.screening_answers_save(
            acting_user=practitioner, child=other, answers=answers_for({"repeat_missing": [child.recent_missing.pk]})
        )


def test_saving_again_replaces_the_draft_and_completion_records_judgement_and_level(practitioner, child: Child) -> None:  # type: ignore[no-untyped-def]
    first = services.screening_answers_save(acting_user=practitioner, child=child.person, answers=answers_for())
    draft = services.screening_answers_save(
        acting_user=practitioner,
        child=child.person,
        answers=answers_for({"repeat_missing": [child.recent_missing.pk], "sexual_health": "Clinic letter"}),
    )
    assert draft.pk == first.pk and draft.status == ScreeningStatus.DRAFT and draft.score == 6
    assert list(draft.answers.get(indicator="repeat_missing").supporting_events.all()) == [child.recent_missing]
    assert selectors.level_in_force(child.person) is None  # a draft changes nothing
    done = services.screening_complete(
        acting_user=practitioner,
        assessment=draft,
        judgement_level="high",
        judgement_reasoning="Seen with an older male the school does not know",
        models_of_exploitation=["boyfriend"],
    )
    assert (
        done.status == ScreeningStatus.COMPLETED and done.computed_level == "at_risk" and done.judgement_level == "high"
    )
    level = selectors.level_in_force(child.person)
    assert level is not None and level.level_code == "high" and level.assessment == done
    assert (
        AuditEvent.objects.filter(event_type=AuditEventType.SCREENING_COMPLETED, person_id=child.person.pk).count() == 1
    )
    with pytest.raises(ServiceError, match="already been completed"):
        services.screening_complete(
            acting_user=practitioner, assessment=draft, judgement_level="high", judgement_reasoning="again"
        )


# --- lowering a level --------------------------------------------------------------------------


def test_lowering_the_level_needs_a_written_reason(admin, practitioner, child: Child) -> None:  # type: ignore[no-untyped-def]
    _set_approval(admin, False)
    screen(practitioner, child.person, "high", yes={"disclosure": "Told her teacher"})
    draft = services.screening_answers_save(acting_user=practitioner, child=child.person, answers=answers_for())
    with pytest.raises(ServiceError, match="reason for lowering the level from High risk to At risk"):
        services.screening_complete(
            acting_user=practitioner, assessment=draft, judgement_level="at_risk", judgement_reasoning="Better now"
        )
    assert selectors.level_in_force(child.person).level_code == "high"  # type: ignore[union-attr]
    done = services.screening_complete(
        acting_user=practitioner,
        assessment=draft,
        judgement_level="at_risk",
        judgement_reasoning="Better now",
        downgrade_reason="Moved to a new placement; no missing episodes for 12 weeks",
    )
    # The partnership has turned approval off: the lower level is in force at once, with its reason.
    assert done.status == ScreeningStatus.COMPLETED and done.is_downgrade and done.approval == ApprovalStatus.NOT_NEEDED
    level = selectors.level_in_force(child.person)
    assert level is not None and level.level_code == "at_risk" and level.reason.startswith("Moved")


def test_a_first_screening_judged_below_a_disclosures_high_level_waits_for_a_second_person(  # type: ignore[no-untyped-def]
    make_user, practitioner, child: Child
) -> None:
    """A disclosure makes the computed level high at once (DOMAIN.md). Judging a child never screened
    before at no risk overrides that: it needs its reason and, as the England default says, a second
    person. Until then, and if it is refused, the tool's level holds: before, no level was in force, and a
    refusal left the child "not screened" for good."""
    draft = services.screening_answers_save(acting_user=practitioner, child=child.person,
                                            answers=answers_for({"disclosure": "Told her teacher"}))
    assert draft.computed_level == "high"
    with pytest.raises(ServiceError, match="lowering the level from the computed level, High risk, to No current"):
        services.screening_complete(acting_user=practitioner, assessment=draft, judgement_level="no_current_risk",
                                    judgement_reasoning="She seems fine")
    done = services.screening_complete(acting_user=practitioner, assessment=draft, judgement_level="no_current_risk",
                                       judgement_reasoning="She seems fine",
                                       downgrade_reason="The disclosure was about a film she had seen")
    assert done.is_downgrade and done.status == ScreeningStatus.AWAITING_APPROVAL and done.level_before is None
    assert selectors.level_in_force(child.person).level_code == "high"  # type: ignore[union-attr]
    approver = make_user(role=Role.MACE_COORDINATOR, agency_kind=AgencyKind.POLICE)
    assert list(selectors.approvals_queue(user=approver)) == [done]
    services.downgrade_approve(acting_user=approver, assessment=done, reason="Checked with the school")
    assert selectors.level_in_force(child.person).level_code == "no_current_risk"  # type: ignore[union-attr]


def test_a_lower_first_judgement_refused_leaves_the_tools_level_in_force(  # type: ignore[no-untyped-def]
    make_user, practitioner, child: Child
) -> None:
    draft = services.screening_answers_save(acting_user=practitioner, child=child.person,
                                            answers=answers_for({"disclosure": "Told her teacher"}))
    done = services.screening_complete(acting_user=practitioner, assessment=draft, judgement_level="at_risk",
                                       judgement_reasoning="Known to services", downgrade_reason="Family support")
    approver = make_user(role=Role.MACE_COORDINATOR, agency_kind=AgencyKind.POLICE)
    services.downgrade_refuse(acting_user=approver, assessment=done, reason="A disclosure: high until the panel")
    assert selectors.level_in_force(child.person).level_code == "high"  # type: ignore[union-attr]


def test_a_judgement_below_the_computed_level_but_not_below_the_level_in_force_needs_its_reason(  # type: ignore[no-untyped-def]
    admin, practitioner, child: Child
) -> None:
    _set_approval(admin, False)
    screen(practitioner, child.person, "at_risk")
    draft = services.screening_answers_save(acting_user=practitioner, child=child.person,
                                            answers=answers_for({"disclosure": "Told her teacher"}))
    with pytest.raises(ServiceError, match="from the computed level, High risk, to At risk"):
        services.screening_complete(acting_user=practitioner, assessment=draft, judgement_level="at_risk",
                                    judgement_reasoning="No change")
    done = services.screening_complete(acting_user=practitioner, assessment=draft, judgement_level="at_risk",
                                       judgement_reasoning="No change", downgrade_reason="Disclosure withdrawn")
    assert done.is_downgrade and done.status == ScreeningStatus.COMPLETED and done.downgrade_reason
    # a judgement at or above the computed level is not a lowering
    again = screen(practitioner, child.person, "high", yes={"disclosure": "Told her teacher"})
    assert not again.is_downgrade and again.downgrade_reason == ""


def test_a_second_person_must_approve_a_lower_level_before_it_is_in_force(  # type: ignore[no-untyped-def]
    make_user, coordinator, practitioner, child: Child
) -> None:
    assert selectors.tool_current().tool.downgrade_needs_approval  # the England default
    screen(practitioner, child.person, "high", yes={"disclosure": "Told her teacher"})
    request = screen(coordinator, child.person, "medium", reason="Disclosure withdrawn; safety plan working")
    assert request.status == ScreeningStatus.AWAITING_APPROVAL and request.approval == ApprovalStatus.AWAITING
    assert selectors.level_in_force(child.person).level_code == "high"  # type: ignore[union-attr]
    assert list(selectors.approvals_queue(user=coordinator)) == [request]

    with pytest.raises(ServiceError, match="different person"):
        services.downgrade_approve(acting_user=coordinator, assessment=request)
    triage = make_user(role=Role.TRIAGE_WORKER, agency_kind=AgencyKind.COUNCIL)
    with pytest.raises(ServiceError, match="cannot approve"):
        services.downgrade_approve(acting_user=triage, assessment=request)
    assert selectors.level_in_force(child.person).level_code == "high"  # type: ignore[union-attr]

    approver = make_user(role=Role.MACE_COORDINATOR, agency_kind=AgencyKind.POLICE)
    services.downgrade_approve(acting_user=approver, assessment=request, reason="Agreed at panel")
    request.refresh_from_db()
    assert request.status == ScreeningStatus.COMPLETED and request.approval_by == approver
    level = selectors.level_in_force(child.person)
    assert level is not None and level.level_code == "medium" and level.approved_by == approver
    assert level.changed_by == coordinator and level.effective_at == request.approval_at
    audit = AuditEvent.objects.get(event_type=AuditEventType.SCREENING_DOWNGRADE_APPROVED)
    assert audit.actor == approver and audit.detail == {"from": "high", "to": "medium"}
    assert list(selectors.approvals_queue(user=approver)) == []
    with pytest.raises(ServiceError, match="not awaiting approval"):
        services.downgrade_approve(acting_user=approver, assessment=request)


def test_a_draft_saved_before_approval_was_switched_on_still_waits_for_a_second_person(  # type: ignore[no-untyped-def]
    admin, coordinator, practitioner, child: Child
) -> None:
    _set_approval(admin, False)
    screen(practitioner, child.person, "high", yes={"disclosure": "Told her teacher"})
    draft = services.screening_answers_save(acting_user=coordinator, child=child.person, answers=answers_for(None))
    _set_approval(admin, True)  # the partnership switches approval on while the draft waits
    done = services.screening_complete(acting_user=coordinator, assessment=draft, judgement_level="medium",
                                       judgement_reasoning="Safety plan working", downgrade_reason="Settled at home")
    assert done.status == ScreeningStatus.AWAITING_APPROVAL
    assert selectors.level_in_force(child.person).level_code == "high"  # type: ignore[union-attr]


def test_a_refused_lower_level_leaves_the_old_level_in_force(make_user, practitioner, child: Child) -> None:  # type: ignore[no-untyped-def]
    screen(practitioner, child.person, "high", yes={"disclosure": "Told her teacher"})
    request = screen(practitioner, child.person, "no_current_risk", reason="Closed by social care")
    approver = make_user(role=Role.MACE_COORDINATOR, agency_kind=AgencyKind.COUNCIL)
    with pytest.raises(ServiceError, match="reason for refusing"):
        services.downgrade_refuse(acting_user=approver, assessment=request, reason="")
    services.downgrade_refuse(acting_user=approver, assessment=request, reason="Still going missing")
    request.refresh_from_db()
    assert request.status == ScreeningStatus.REFUSED and request.approval_reason == "Still going missing"
    assert selectors.level_in_force(child.person).level_code == "high"  # type: ignore[union-attr]
    assert RiskLevelChange.objects.filter(child=child.person).count() == 1
    assert AuditEvent.objects.filter(event_type=AuditEventType.SCREENING_DOWNGRADE_REFUSED, actor=approver).exists()


def test_a_lower_level_cannot_be_approved_after_a_later_screening(make_user, practitioner, child: Child) -> None:  # type: ignore[no-untyped-def]
    screen(practitioner, child.person, "high", yes={"disclosure": "Told her teacher"})
    stale = screen(practitioner, child.person, "at_risk", reason="Seemed settled")
    screen(
        make_user(role=Role.TRIAGE_WORKER, agency_kind=AgencyKind.POLICE),
        child.person,
        "high",
        yes={"disclosure": "Told police again"},
    )
    approver = make_user(role=Role.MACE_COORDINATOR, agency_kind=AgencyKind.COUNCIL)
    with pytest.raises(ServiceError, match="screened again since"):
        services.downgrade_approve(acting_user=approver, assessment=stale)
    assert selectors.level_in_force(child.person).level_code == "high"  # type: ignore[union-attr]


# --- counts on a past date ---------------------------------------------------------------------


def _at(monkeypatch: pytest.MonkeyPatch, day: dt.date) -> None:
    moment = dt.datetime.combine(day, dt.time(10, 0), tzinfo=ENGLAND)
    monkeypatch.setattr(timezone, "now", lambda: moment)


def test_counts_on_a_past_date_are_not_changed_by_later_screenings_or_approvals(  # type: ignore[no-untyped-def]
    monkeypatch, make_user, practitioner, child: Child
) -> None:
    scrutineer = make_user(role=Role.PARTNERSHIP_MANAGER, agency_kind=AgencyKind.COUNCIL)
    approver = make_user(role=Role.MACE_COORDINATOR, agency_kind=AgencyKind.COUNCIL)
    march_1, march_2, march_9, march_10 = (dt.date(2026, 3, d) for d in (1, 2, 9, 10))
    _at(monkeypatch, dt.date(2026, 2, 1))
    child.person.created_at = timezone.now()
    child.person.save(update_fields=["created_at"])
    second = PersonFactory()
    PersonFactory()  # a child never screened
    _at(monkeypatch, march_1)
    screen(practitioner, child.person, "high", yes={"disclosure": "Told her teacher"})
    screen(practitioner, second, "medium", yes={"weapons": "Knife found in bag"})

    def counts(on: dt.date) -> dict[str, int]:
        report = selectors.levels_on(user=scrutineer, on=on)
        return {lv.code: lv.children for lv in report.levels} | {"not_screened": report.not_screened}

    before = counts(march_1)
    assert before == {"no_current_risk": 0, "at_risk": 0, "medium": 1, "high": 1, "not_screened": 1}
    _at(monkeypatch, march_2)
    request = screen(practitioner, child.person, "at_risk", reason="Settled")  # awaits approval
    assert counts(march_2)["high"] == 1  # still high until approved
    _at(monkeypatch, march_10)
    services.downgrade_approve(acting_user=approver, assessment=request)
    screen(practitioner, second, "no_current_risk", reason="Moved out of area")  # awaits approval, not approved
    assert counts(march_1) == before
    assert counts(march_9) == before  # the approval came on 10 March: the days between are unchanged
    after = counts(march_10)
    assert after["high"] == 0 and after["at_risk"] == 1 and after["medium"] == 1
    assert after["not_screened"] == 1
    assert counts(dt.date(2026, 2, 28)) == {
        "no_current_risk": 0,
        "at_risk": 0,
        "medium": 0,
        "high": 0,
        "not_screened": 3,
    }


def test_levels_are_counted_once_for_a_child_whose_records_were_merged(
    monkeypatch, make_user, practitioner, child: Child
) -> None:  # type: ignore[no-untyped-def]
    scrutineer = make_user(role=Role.PARTNERSHIP_MANAGER, agency_kind=AgencyKind.COUNCIL)
    duplicate = PersonFactory()
    screen(practitioner, duplicate, "medium", yes={"weapons": "Knife"})
    screen(practitioner, child.person, "high", yes={"disclosure": "Told her teacher"})
    merge(duplicate, into=child.person)
    report = selectors.levels_on(user=scrutineer, on=timezone.localdate())
    assert {lv.code: lv.children for lv in report.levels if lv.children} == {"high": 1}
    assert len(selectors.screenings_for_child(user=practitioner, person=child.person)) == 2


def test_levels_count_the_children_of_the_day_by_date_of_birth(make_user, practitioner) -> None:  # type: ignore[no-untyped-def]
    """A day's counts are of the children of that day: screened at 17, counted then and not after the 18th
    birthday; a girl of 16 a police system holds as an adult is counted (not screened)."""
    from safeguarding.people.models import PersonRole

    scrutineer = make_user(role=Role.PARTNERSHIP_MANAGER, agency_kind=AgencyKind.COUNCIL)
    today = timezone.localdate()
    seventeen = PersonFactory(date_of_birth=(today.replace(year=today.year - 18) + dt.timedelta(days=30)).isoformat())
    screen(practitioner, seventeen, "medium", yes={"weapons": "Knife"})
    held = PersonFactory(role=PersonRole.ADULT, date_of_birth=(today.replace(year=today.year - 16)).isoformat())
    PersonFactory(role=PersonRole.ADULT, date_of_birth="1980-01-01")

    def counts(on: dt.date) -> tuple[int, int]:
        report = selectors.levels_on(user=scrutineer, on=on)
        return next(lv.children for lv in report.levels if lv.code == "medium"), report.not_screened

    assert counts(today) == (1, 1)
    assert counts(today + dt.timedelta(days=31)) == (0, 1)
    assert held.child_or_adult() == PersonRole.CHILD


def test_levels_on_needs_the_aggregates_capability(practitioner) -> None:  # type: ignore[no-untyped-def]
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        selectors.levels_on(user=practitioner, on=timezone.localdate())


def test_only_the_person_who_started_a_draft_sees_it(make_user, practitioner, child: Child) -> None:  # type: ignore[no-untyped-def]
    services.screening_answers_save(acting_user=practitioner, child=child.person, answers=answers_for())
    other = make_user(role=Role.TRIAGE_WORKER, agency_kind=AgencyKind.COUNCIL)
    assert len(selectors.screenings_for_child(user=practitioner, person=child.person)) == 1
    assert selectors.screenings_for_child(user=other, person=child.person) == []
    draft = ScreeningAssessment.objects.get(status=ScreeningStatus.DRAFT)
    with pytest.raises(Http404):
        selectors.assessment_for_user_or_404(user=other, assessment_id=draft.pk)
    assert selectors.assessment_for_user_or_404(user=practitioner, assessment_id=draft.pk) == draft


# --- removing part of the tool -----------------------------------------------------------------


def _remove(admin: Any, part: Part, code: str, reason: str = "No longer used by the panel") -> ScreeningToolVersion:
    return services.tool_part_remove(
        acting_user=admin, based_on=selectors.tool_current().number, part=part, code=code, reason=reason
    )


def _tool_changes() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(event_type=AuditEventType.SCREENING_TOOL_CHANGED).order_by("pk"))


def test_removing_an_indicator_makes_a_new_audited_version_and_completed_screenings_keep_it(  # type: ignore[no-untyped-def]
    admin, practitioner, child: Child
) -> None:
    done = screen(practitioner, child.person, "at_risk", yes={"risky_places": "Seen at a takeaway after midnight"})
    assert done.score == 2

    version = _remove(admin, Part.INDICATOR, "risky_places", reason="Covered by the new places intelligence")
    assert version.number == 2 and version.tool.indicator("risky_places") is None
    assert len(version.tool.indicators) == len(ScreeningToolVersion.objects.get(number=1).tool.indicators) - 1
    old = ScreeningToolVersion.objects.get(number=1)
    assert old.tool.indicator("risky_places") is not None  # version 1 is never changed
    assert version.change_note == (
        "Removed the indicator 'Seen at hotels, takeaways, taxi firms, parties or other risky places': "
        "Covered by the new places intelligence"
    )
    (audit,) = _tool_changes()
    assert audit.actor == admin and audit.target_id == "2" and audit.reason == version.change_note
    assert audit.detail == {"from_version": 1, "changes": ["removed indicator risky_places"]}

    done.refresh_from_db()
    assert done.tool_version.number == 1 and done.score == 2
    assert done.answers.get(indicator="risky_places").answer == YES
    assert [c["indicator"] for c in done.explanation["contributions"]] == ["risky_places"]
    assert "risky_places" not in answers_for()  # new screenings are not asked it
    again = screen(practitioner, child.person, "at_risk")
    assert again.tool_version.number == 2 and not again.answers.filter(indicator="risky_places").exists()


def test_removing_an_exploitation_type_takes_its_indicators_with_it(admin, practitioner, child: Child) -> None:  # type: ignore[no-untyped-def]
    done = screen(practitioner, child.person, "high", yes={"online_grooming": "Images asked for on a game chat"})
    _change(admin, lambda c: c.update(overriding_rules=[r for r in c["overriding_rules"] if r["level"] != "high"]))

    version = _remove(admin, Part.EXPLOITATION_TYPE, "online")
    assert version.number == 3
    assert [t.code for t in version.tool.exploitation_types] == ["sexual", "criminal", "trafficking"]
    assert not any(i.type == "online" for i in version.tool.indicators)
    assert _tool_changes()[-1].detail["changes"] == [
        "removed indicator online_grooming",
        "removed indicator secretive_online",
        "removed exploitation type online",
    ]
    assert ScreeningToolVersion.objects.get(number=2).tool.type_label("online") == "Online exploitation"
    done.refresh_from_db()
    assert done.tool_version.number == 1 and done.tool_version.tool.indicator("online_grooming") is not None


def test_removing_a_level_keeps_it_for_the_children_at_it_and_in_past_counts(  # type: ignore[no-untyped-def]
    admin, practitioner, make_user, child: Child
) -> None:
    done = screen(practitioner, child.person, "at_risk", yes={"repeat_missing": "Missing three times"})
    version = _remove(admin, Part.LEVEL, "at_risk")
    assert [lv.code for lv in version.tool.levels] == ["no_current_risk", "medium", "high"]
    assert _tool_changes()[-1].detail["changes"] == ["removed level at_risk"]
    assert ScreeningToolVersion.objects.get(number=1).tool.level("at_risk") is not None

    done.refresh_from_db()
    assert done.judgement_level_name == "At risk" and done.computed_level_name == "At risk"
    in_force = selectors.level_in_force(child.person)
    assert in_force is not None and (in_force.level_code, in_force.level_name) == ("at_risk", "At risk")
    manager = make_user(role=Role.PARTNERSHIP_MANAGER, agency_kind=AgencyKind.COUNCIL)
    counts = {lv.name: lv.children for lv in selectors.levels_on(user=manager, on=timezone.localdate()).levels}
    assert counts == {"No current risk": 0, "Medium risk": 0, "High risk": 0, "At risk": 1}
    # A new screening with the same answers now scores below where At risk began.
    again = services.screening_answers_save(
        acting_user=practitioner, child=child.person, answers=answers_for({"repeat_missing": "Missing three times"})
    )
    assert again.tool_version == version and again.computed_level == "no_current_risk"


def test_a_refused_removal_says_why_and_changes_nothing(admin, practitioner) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ToolConfigError) as refused:
        _remove(admin, Part.INDICATOR, "disclosure")
    assert refused.value.problems == [
        "The overriding rule 'A disclosure makes the risk high at once' uses this indicator. Remove that rule "
        "first; you can add it again without this indicator."
    ]
    with pytest.raises(ToolConfigError, match="lowest level"):
        _remove(admin, Part.LEVEL, "no_current_risk")
    with pytest.raises(ServiceError, match="cannot change the screening tool"):
        _remove(practitioner, Part.INDICATOR, "risky_places")
    with pytest.raises(ServiceError, match="Say why you are removing this indicator"):
        _remove(admin, Part.INDICATOR, "risky_places", reason="  ")
    with pytest.raises(ServiceError, match="no exploitation type with the code radicalisation"):
        _remove(admin, Part.EXPLOITATION_TYPE, "radicalisation")
    with pytest.raises(ServiceError, match="Someone else saved"):
        services.tool_part_remove(
            acting_user=admin, based_on=0, part=Part.INDICATOR, code="risky_places", reason="stale page"
        )
    assert ScreeningToolVersion.objects.count() == 1 and _tool_changes() == []
    assert selectors.tool_current().tool.indicator("risky_places") is not None


def test_a_draft_keeps_its_version_until_saved_again_then_drops_a_removed_indicators_answer(  # type: ignore[no-untyped-def]
    admin, practitioner, child: Child
) -> None:
    yes = {"repeat_missing": "Missing three times", "risky_places": "Seen at a takeaway after midnight"}
    draft = services.screening_answers_save(acting_user=practitioner, child=child.person, answers=answers_for(yes))
    assert draft.score == 5
    stale_answers = answers_for(yes)
    _remove(admin, Part.INDICATOR, "risky_places")

    draft.refresh_from_db()
    assert draft.tool_version.number == 1 and draft.answers.filter(indicator="risky_places").exists()
    with pytest.raises(ServiceError, match="indicators the tool does not have"):
        services.screening_answers_save(acting_user=practitioner, child=child.person, answers=stale_answers)
    again = services.screening_answers_save(
        acting_user=practitioner, child=child.person, answers=answers_for({"repeat_missing": "Missing three times"})
    )
    assert again.pk == draft.pk and again.tool_version.number == 2 and again.score == 3
    assert not again.answers.filter(indicator="risky_places").exists()


def test_a_removed_level_cannot_be_put_in_force_by_an_older_draft_or_approval(  # type: ignore[no-untyped-def]
    admin, practitioner, coordinator, child: Child, make_user
) -> None:
    screen(practitioner, child.person, "high", yes={"disclosure": "Told her teacher"})
    lower = screen(practitioner, child.person, "at_risk", reason="Safety plan working")
    assert lower.status == ScreeningStatus.AWAITING_APPROVAL
    other = PersonFactory()
    draft = services.screening_answers_save(acting_user=practitioner, child=other, answers=answers_for())
    _remove(admin, Part.LEVEL, "at_risk")

    with pytest.raises(ServiceError, match="At risk has been removed from the screening tool") as refused:
        services.screening_complete(
            acting_user=practitioner, assessment=draft, judgement_level="at_risk", judgement_reasoning="x"
        )
    assert refused.value.field == "judgement_level"
    completed = services.screening_complete(
        acting_user=practitioner, assessment=draft, judgement_level="medium", judgement_reasoning="Seen with adults"
    )
    assert completed.tool_version.number == 1 and completed.status == ScreeningStatus.COMPLETED

    with pytest.raises(ServiceError, match=r"can no longer be put in force\. Refuse it"):
        services.downgrade_approve(acting_user=coordinator, assessment=lower, reason="ok")
    services.downgrade_refuse(acting_user=coordinator, assessment=lower, reason="At risk is no longer a level")
    assert selectors.level_in_force(child.person).level_code == "high"  # type: ignore[union-attr]


# --- a screening saved section by section --------------------------------------------------------


def _section(code: str, yes: dict[str, Any] | None = None) -> dict[str, services.AnswerInput]:
    """Every question of one section answered no, except those given (code -> evidence)."""
    return {k: v for k, v in answers_for(yes).items() if selectors.tool_current().tool.indicator(k).type == code}  # type: ignore[union-attr]


def _statuses(user: Any, person: Any) -> list[str]:
    return [str(s.status) for s in selectors.draft_progress(user=user, person=person).sections]


def test_each_section_is_saved_into_one_draft_and_audited(practitioner, child: Child) -> None:  # type: ignore[no-untyped-def]
    assert _statuses(practitioner, child.person) == ["Not yet started"] * 4
    draft = services.screening_section_save(
        acting_user=practitioner, child=child.person, section="online", answers=_section("online"), finished=True
    )
    assert _statuses(practitioner, child.person) == ["Not yet started", "Not yet started", "Completed", "Not yet started"]
    # Saved for later with one question answered: in progress, and the other sections keep their answers.
    services.screening_section_save(
        acting_user=practitioner,
        child=child.person,
        section="sexual",
        answers={"disclosure": services.AnswerInput(answer=YES, evidence="Told her teacher")},
        finished=False,
    )
    assert _statuses(practitioner, child.person) == ["In progress", "Not yet started", "Completed", "Not yet started"]
    assert ScreeningAssessment.objects.get() == draft
    draft.refresh_from_db()
    assert draft.status == ScreeningStatus.DRAFT and draft.score == 10 and draft.answers.count() == 3
    saved = AuditEvent.objects.filter(event_type=AuditEventType.SCREENING_STARTED).order_by("pk")
    assert [(e.detail["section"], e.detail["section_answered"]) for e in saved] == [("online", 2), ("sexual", 1)]
    assert {e.person_id for e in saved} == {child.person.pk}
    # A draft is not a screening in force: no level, not counted, not completed.
    assert selectors.level_in_force(child.person) is None
    assert RiskLevelChange.objects.count() == 0


def test_a_finished_section_needs_every_answer_and_evidence_for_yes(practitioner, child: Child) -> None:  # type: ignore[no-untyped-def]
    partial = _section("trafficking")
    del partial["forced_work"]
    with pytest.raises(ServiceError, match="Answer 'Made to work"):
        services.screening_section_save(
            acting_user=practitioner, child=child.person, section="trafficking", answers=partial, finished=True
        )
    no_evidence = _section("trafficking") | {"forced_work": services.AnswerInput(answer=YES)}
    with pytest.raises(ServiceError, match="Give the evidence for"):
        services.screening_section_save(
            acting_user=practitioner, child=child.person, section="trafficking", answers=no_evidence, finished=False
        )
    with pytest.raises(ServiceError, match="questions this section does not have"):
        services.screening_section_save(
            acting_user=practitioner, child=child.person, section="online", answers=_section("sexual"), finished=False
        )
    with pytest.raises(ServiceError, match="Answer at least one question"):
        services.screening_section_save(
            acting_user=practitioner, child=child.person, section="online", answers={}, finished=False
        )
    with pytest.raises(ServiceError, match="no such section"):
        services.screening_section_save(
            acting_user=practitioner, child=child.person, section="nope", answers={}, finished=False
        )
    restricted = _section("sexual") | {
        "repeat_missing": services.AnswerInput(answer=YES, event_ids=[child.restricted_intel.pk])
    }
    with pytest.raises(ServiceError, match="this child's records"):
        services.screening_section_save(
            acting_user=practitioner, child=child.person, section="sexual", answers=restricted, finished=True
        )
    assert ScreeningAssessment.objects.count() == 0
    assert not AuditEvent.objects.filter(event_type=AuditEventType.SCREENING_STARTED).exists()


def test_only_someone_who_screens_may_save_a_section(make_user, child: Child) -> None:  # type: ignore[no-untyped-def]
    for role in (Role.REFERRER, Role.SUPPORT_WORKER, Role.INTELLIGENCE_OFFICER, Role.PARTNERSHIP_MANAGER):
        with pytest.raises(ServiceError, match="You cannot screen children"):
            services.screening_section_save(
                acting_user=make_user(role=role, agency_kind=AgencyKind.COUNCIL),
                child=child.person,
                section="online",
                answers=_section("online"),
                finished=True,
            )
    assert ScreeningAssessment.objects.count() == 0


def test_a_draft_cannot_be_completed_until_every_section_is(practitioner, child: Child) -> None:  # type: ignore[no-untyped-def]
    for code in ("sexual", "criminal", "online"):
        draft = services.screening_section_save(
            acting_user=practitioner, child=child.person, section=code, answers=_section(code), finished=True
        )
    with pytest.raises(ServiceError, match="Complete every section"):
        services.screening_complete(
            acting_user=practitioner, assessment=draft, judgement_level="at_risk", judgement_reasoning="Seen at night"
        )
    assert selectors.level_in_force(child.person) is None
    services.screening_section_save(
        acting_user=practitioner, child=child.person, section="trafficking", answers=_section("trafficking"),
        finished=True,
    )
    done = services.screening_complete(
        acting_user=practitioner, assessment=draft, judgement_level="at_risk", judgement_reasoning="Seen at night"
    )
    assert done.status == ScreeningStatus.COMPLETED and selectors.level_in_force(child.person).level_code == "at_risk"  # type: ignore[union-attr]


def test_the_draft_belongs_to_the_child_through_a_merge_and_to_its_author(  # type: ignore[no-untyped-def]
    make_user, practitioner, child: Child
) -> None:
    services.screening_section_save(
        acting_user=practitioner, child=child.person, section="online", answers=_section("online"), finished=True
    )
    survivor = PersonFactory(given_name="Chloe", family_name="Barker-Smith")
    merge(child.person, into=survivor)
    assert _statuses(practitioner, survivor)[2] == "Completed"
    services.screening_section_save(
        acting_user=practitioner, child=survivor, section="criminal", answers=_section("criminal"), finished=True
    )
    assert ScreeningAssessment.objects.count() == 1 and _statuses(practitioner, survivor)[1:3] == ["Completed"] * 2
    # Another practitioner starts from nothing and cannot reach the first one's draft.
    colleague = make_user(role=Role.TRIAGE_WORKER, agency_kind=AgencyKind.COUNCIL)
    assert _statuses(colleague, survivor) == ["Not yet started"] * 4
    assert selectors.draft_progress(user=colleague, person=survivor).draft is None


def test_a_draft_moves_to_the_current_tool_dropping_removed_questions(admin, practitioner, child: Child) -> None:  # type: ignore[no-untyped-def]
    services.screening_section_save(
        acting_user=practitioner,
        child=child.person,
        section="sexual",
        answers=_section("sexual", {"risky_places": "Seen at a takeaway after midnight"}),
        finished=True,
    )
    _remove(admin, Part.INDICATOR, "risky_places")
    progress = selectors.draft_progress(user=practitioner, person=child.person)
    assert progress.on_older_tool and progress.sections[0].status == "Completed"
    draft = services.screening_draft_to_current_tool(acting_user=practitioner, child=child.person)
    assert draft.tool_version.number == 2 and not draft.answers.filter(indicator="risky_places").exists()
    assert draft.score == 0 and not selectors.draft_progress(user=practitioner, person=child.person).on_older_tool
    last = AuditEvent.objects.filter(event_type=AuditEventType.SCREENING_STARTED).latest("pk")
    assert last.detail["from_tool_version"] == 1 and last.detail["tool_version"] == 2


def test_the_panels_confirmed_level_still_needs_no_answers(practitioner, child: Child) -> None:  # type: ignore[no-untyped-def]
    done = services.level_confirm(
        acting_user=practitioner, child=child.person, level_code="medium", reasoning="Panel agreed",
        confirmed_at="Panel of 3 March",
    )
    assert done.status == ScreeningStatus.COMPLETED and done.answers.count() == 0
