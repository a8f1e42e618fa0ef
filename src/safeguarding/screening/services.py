"""Every change in screening, each audited in the same transaction: a new version of the tool
(including one without a removed indicator, exploitation type or level), saving a screening's
answers, completing it with the practitioner's judgement, and approving or refusing a lower level."""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from safeguarding.accounts.access import Capability, has, roles_with
from safeguarding.accounts.models import User
from safeguarding.audit.models import AuditEventType
from safeguarding.audit.services import audit_record
from safeguarding.core.errors import ServiceError
from safeguarding.notifications.models import NotificationKind
from safeguarding.notifications.services import names_of, notify
from safeguarding.people import identity
from safeguarding.people.models import Event, Person, PersonRole
from safeguarding.people.selectors import events_visible_to
from safeguarding.screening.models import (
    ApprovalStatus,
    ModelOfExploitation,
    RiskLevelChange,
    ScreeningAnswer,
    ScreeningAssessment,
    ScreeningStatus,
    ScreeningToolVersion,
)
from safeguarding.screening.selectors import downgrade_needs_approval, level_in_force, tool_current
from safeguarding.screening.tool import (
    ANSWERS,
    YES,
    Indicator,
    Part,
    ToolConfig,
    ToolConfigError,
    all_completed,
    config_as_json,
    parse_config,
    removal,
    score,
    with_downgrade_approval,
    with_exploitation_type,
    with_indicator,
    with_levels,
    with_overriding_rule,
    without_overriding_rule,
)

STALE_TOOL = (
    "Someone else saved a new version of the tool while you were editing. Your change was not saved: look at the "
    "current version and make it again."
)

# --- the tool ----------------------------------------------------------------------------------


def tool_change(
    *,
    acting_user: User,
    based_on: int,
    config: dict[str, Any],
    change_note: str,
) -> ScreeningToolVersion:
    """Save a changed tool as a new version. ``based_on`` is the version the administrator edited:
    if someone saved another version meanwhile, this is refused rather than silently undoing it.
    An invalid configuration raises ``ToolConfigError`` listing every problem; nothing is saved."""
    if not has(acting_user, Capability.CONFIGURE_TOOLS):
        raise ServiceError("You cannot change the screening tool")
    if not change_note.strip():
        raise ServiceError("Say what you changed and why (the change note)")
    tool = parse_config(config)
    canonical = config_as_json(tool)
    with transaction.atomic():
        current = ScreeningToolVersion.objects.select_for_update().order_by("-number").first()
        if current is None or current.number != based_on:
            raise ServiceError(STALE_TOOL)
        if canonical == current.config:
            raise ServiceError("Nothing has changed, so no new version was saved")
        try:
            version = ScreeningToolVersion.objects.create(
                number=current.number + 1,
                config=canonical,
                created_by=acting_user,
                created_at=timezone.now(),
                change_note=change_note.strip(),
            )
        except IntegrityError as exc:  # two saves raced past the lock (SQLite has no row locks)
            raise ServiceError("Someone else saved a new version of the tool at the same moment: try again") from exc
        audit_record(
            event_type=AuditEventType.SCREENING_TOOL_CHANGED,
            actor=acting_user,
            target_kind="screening_tool_version",
            target_id=version.number,
            reason=version.change_note,
            detail={"from_version": current.number, "changes": _describe_changes(current.tool, tool)},
        )
        weakened = safeguards_weakened(current.tool, tool)
        if weakened:
            _tell_of_weakened_safeguards(version, weakened)
    return version


def safeguards_weakened(before: ToolConfig, after: ToolConfig) -> list[str]:
    """What a new version takes away of the tool's protection against quiet downgrades: the second
    person's approval of a lower level switched off; an overriding rule (a disclosure, or strong
    indicators together, making the risk high at once) removed, or made to lift the level less high
    or to need more indicators."""
    found = []
    if before.downgrade_needs_approval and not after.downgrade_needs_approval:
        found.append("a lower risk level no longer needs a second person's approval")
    rules_after = {r.code: r for r in after.overriding_rules}
    for rule in before.overriding_rules:
        now = rules_after.get(rule.code)
        if now is None:
            found.append(f"the overriding rule '{rule.description}' is removed")
        elif (after.rank(now.level) or 0) < (before.rank(rule.level) or 0) or now.minimum > rule.minimum:
            found.append(f"the overriding rule '{rule.description}' now lifts the level less, or needs more to apply")
    return found


def _tell_of_weakened_safeguards(version: ScreeningToolVersion, weakened: list[str]) -> None:
    """One administrator can take a safeguard away, but never quietly: the strategic group and those
    who run the panel hear of it at once (DOMAIN.md: records cannot be silently downgraded). The notice
    says all there is to say: the tool's pages are the administrators'."""
    by = version.created_by.display_name if version.created_by else "An administrator"
    notify(
        recipients=User.objects.filter(role__in=[*roles_with(Capability.STRATEGIC_GROUP), *roles_with(Capability.RUN_PANEL)],
                                       is_active=True),
        kind=NotificationKind.TOOL_SAFEGUARD_REMOVED,
        subject=f"A safeguard was taken out of the screening tool (version {version.number})",
        body=f"{by} saved version {version.number} of the screening tool on "
             f"{timezone.localtime(version.created_at):%-d %B %Y at %H:%M}: " + "; ".join(weakened)
             + f". Their note: {version.change_note}",
    )


def tool_part_remove(
    *,
    acting_user: User,
    based_on: int,
    part: Part,
    code: str,
    reason: str,
) -> ScreeningToolVersion:
    """Remove an indicator, an exploitation type (with its indicators) or a level by saving a new
    version without it; earlier versions, and the screenings scored with them, keep it. A removal
    that would leave the tool unusable raises ``ToolConfigError`` with every reason (see
    ``tool.removal``); nothing is saved. The change note says what was removed and why."""
    if not has(acting_user, Capability.CONFIGURE_TOOLS):
        raise ServiceError("You cannot change the screening tool")
    if not reason.strip():
        raise ServiceError(f"Say why you are removing this {part.noun}", field="change_note")
    current = tool_current()
    if current.number != based_on:
        raise ServiceError(STALE_TOOL)
    planned = removal(current.tool, part, code)
    if planned is None:
        raise ServiceError(f"The screening tool has no {part.noun} with the code {code}")
    if planned.problems:
        raise ToolConfigError(list(planned.problems))
    return tool_change(
        acting_user=acting_user,
        based_on=based_on,
        config=planned.config,
        change_note=f"Removed the {part.noun} '{planned.name}': {reason.strip()}",
    )


def _compare(noun: str, before: tuple[Any, ...], after: tuple[Any, ...]) -> list[str]:
    """Added, changed and removed parts, by code, in the order the tool lists them."""
    old = {x.code: x for x in before}
    new = {x.code: x for x in after}
    changes = []
    for x in after:
        if x.code not in old:
            changes.append(f"added {noun} {x.code}")
        elif x != old[x.code]:
            changes.append(f"changed {noun} {x.code}")
    changes += [f"removed {noun} {x.code}" for x in before if x.code not in new]
    return changes


def _describe_changes(before: ToolConfig, after: ToolConfig) -> list[str]:
    """A short list of what differs, for the audit trail: each part added, changed or removed."""
    changes = _compare("indicator", before.indicators, after.indicators)
    changes += _compare("exploitation type", before.exploitation_types, after.exploitation_types)
    changes += _compare("level", before.levels, after.levels)
    changes += _compare("overriding rule", before.overriding_rules, after.overriding_rules)
    if before.downgrade_needs_approval != after.downgrade_needs_approval:
        changes.append(
            "lowering a level now needs a second person's approval"
            if after.downgrade_needs_approval
            else "lowering a level no longer needs a second person's approval"
        )
    return changes


def config_copy(version: ScreeningToolVersion) -> dict[str, Any]:
    """A copy of a version's configuration to edit (the version itself is never changed)."""
    return copy.deepcopy(version.config)


def _tool_edit(
    *, acting_user: User, based_on: int, change_note: str, edit: Callable[[dict[str, Any]], dict[str, Any]]
) -> ScreeningToolVersion:
    """Apply an edit (``tool.with_*``) to the current configuration and save the result as a new
    version (``tool_change`` refuses it if someone saved another version meanwhile, or if the tool
    left would be invalid)."""
    if not has(acting_user, Capability.CONFIGURE_TOOLS):
        raise ServiceError("You cannot change the screening tool")
    return tool_change(
        acting_user=acting_user, based_on=based_on, config=edit(tool_current().config), change_note=change_note
    )


def tool_indicator_save(
    *, acting_user: User, based_on: int, code: str, values: dict[str, Any], new: bool, change_note: str
) -> ScreeningToolVersion:
    """Add an indicator, or change one (its question, guidance, weight, evidence and look-back)."""
    return _tool_edit(acting_user=acting_user, based_on=based_on, change_note=change_note,
                      edit=lambda config: with_indicator(config, code=code, values=values, new=new))


def tool_exploitation_type_add(
    *, acting_user: User, based_on: int, code: str, label: str, change_note: str
) -> ScreeningToolVersion:
    return _tool_edit(acting_user=acting_user, based_on=based_on, change_note=change_note,
                      edit=lambda config: with_exploitation_type(config, code=code, label=label))


def tool_levels_save(
    *, acting_user: User, based_on: int, names: list[str], min_scores: list[int], new: dict[str, Any] | None,
    change_note: str,
) -> ScreeningToolVersion:
    """Rename levels, move their thresholds, and perhaps add one."""
    return _tool_edit(acting_user=acting_user, based_on=based_on, change_note=change_note,
                      edit=lambda config: with_levels(config, names=names, min_scores=min_scores, new=new))


def tool_overriding_rule_add(
    *, acting_user: User, based_on: int, rule: dict[str, Any], change_note: str
) -> ScreeningToolVersion:
    return _tool_edit(acting_user=acting_user, based_on=based_on, change_note=change_note,
                      edit=lambda config: with_overriding_rule(config, rule=rule))


def tool_overriding_rule_remove(
    *, acting_user: User, based_on: int, code: str, change_note: str
) -> ScreeningToolVersion:
    return _tool_edit(acting_user=acting_user, based_on=based_on, change_note=change_note,
                      edit=lambda config: without_overriding_rule(config, code=code))


def tool_downgrade_approval_save(
    *, acting_user: User, based_on: int, needed: bool, change_note: str
) -> ScreeningToolVersion:
    """Whether lowering a child's level needs a second person's approval."""
    return _tool_edit(acting_user=acting_user, based_on=based_on, change_note=change_note,
                      edit=lambda config: with_downgrade_approval(config, needed=needed))


# --- answering a screening ---------------------------------------------------------------------


@dataclass
class AnswerInput:
    answer: str
    evidence: str = ""
    event_ids: list[int] = field(default_factory=list)
    suggested: bool = False


def screening_answers_save(
    *,
    acting_user: User,
    child: Person,
    answers: dict[str, AnswerInput],
) -> ScreeningAssessment:
    """Save (or replace) this user's draft screening of the child against the current tool, and
    score it. Every indicator needs an answer; "yes" needs evidence: words, or an agency's event.
    Supporting events must be the child's and ones this user may see."""
    if not has(acting_user, Capability.SCREEN) or not has(acting_user, Capability.VIEW_PERSON):
        raise ServiceError("You cannot screen children")
    if child.child_or_adult() == PersonRole.ADULT:
        raise ServiceError("The screening tool is for children")
    version = tool_current()
    tool = version.tool
    problems = []
    unknown = set(answers) - {i.code for i in tool.indicators}
    if unknown:
        problems.append("Some answers are for indicators the tool does not have: start the screening again")
    problems += _answer_problems(tool.indicators, answers, every_question=True)
    if problems:
        raise ServiceError("; ".join(problems))
    _check_supporting_events(acting_user, child, answers)
    result = score(tool, {code: a.answer for code, a in answers.items()})
    now = timezone.now()
    with transaction.atomic():
        assessment = _lock_own_draft(acting_user, child)
        if assessment is None:
            assessment = ScreeningAssessment(child=child, started_by=acting_user, started_at=now)
        assessment.tool_version = version
        assessment.score = result.score
        assessment.computed_level = result.level
        assessment.explanation = result.explanation(tool)
        if assessment.pk is None:
            assessment.save(force_insert=True)
        else:
            assessment.save(update_fields=["tool_version", "score", "computed_level", "explanation"])
        # A draft's answers are replaced as a whole; a completed screening's are never touched.
        assessment.answers.all().delete()
        _write_answers(assessment, tool.indicators, answers)
        audit_record(
            event_type=AuditEventType.SCREENING_STARTED,
            actor=acting_user,
            target_kind="screening",
            target_id=assessment.pk,
            person_id=child.pk,
            detail={"tool_version": version.number, "score": result.score, "computed_level": result.level},
        )
    return assessment


def _answer_problems(indicators: Sequence[Indicator], answers: dict[str, AnswerInput], *,
                     every_question: bool) -> list[str]:
    """What is wrong with the answers to these questions: a question unanswered (when every one
    needs an answer), an answer the tool does not offer, a "yes" without evidence (words, or an
    agency's event)."""
    problems = []
    valid_answers = {code for code, _ in ANSWERS}
    for ind in indicators:
        given = answers.get(ind.code)
        if given is None:
            if every_question:
                problems.append(f"Answer '{ind.label}'")
        elif given.answer not in valid_answers:
            problems.append(f"Answer '{ind.label}'")
        elif given.answer == YES and not (given.evidence.strip() or given.event_ids):
            problems.append(f"Give the evidence for '{ind.label}': describe it, or choose an agency's record")
    return problems


def _check_supporting_events(acting_user: User, child: Person, answers: dict[str, AnswerInput]) -> None:
    """Supporting events must be the child's, and ones this user may see."""
    wanted = {pk for a in answers.values() for pk in a.event_ids}
    allowed = set(
        Event.objects.filter(
            events_visible_to(acting_user), identity.same_person("source_record__person", child), pk__in=wanted
        ).values_list("pk", flat=True)
    )
    if wanted - allowed:
        raise ServiceError("Choose supporting records from this child's records")


def _write_answers(assessment: ScreeningAssessment, indicators: Sequence[Indicator],
                   answers: dict[str, AnswerInput]) -> list[ScreeningAnswer]:
    """The answers given to these questions, with their supporting events, written to the draft."""
    rows = ScreeningAnswer.objects.bulk_create(
        [
            ScreeningAnswer(
                assessment=assessment,
                indicator=ind.code,
                answer=answers[ind.code].answer,
                evidence=answers[ind.code].evidence.strip(),
                suggested=answers[ind.code].suggested,
            )
            for ind in indicators
            if ind.code in answers
        ]
    )
    through = ScreeningAnswer.supporting_events.through
    through.objects.bulk_create(
        [
            through(screeninganswer_id=row.pk, event_id=event_id)
            for row in rows
            for event_id in dict.fromkeys(answers[row.indicator].event_ids)
        ]
    )
    return rows


def _lock_own_draft(acting_user: User, child: Person) -> ScreeningAssessment | None:
    """This user's draft screening of the child (under any id the child has had), locked."""
    return (
        ScreeningAssessment.objects.select_for_update()
        .filter(identity.same_person("child", child), status=ScreeningStatus.DRAFT, started_by=acting_user)
        .order_by("-started_at")
        .first()
    )


def _rescore(assessment: ScreeningAssessment, version: ScreeningToolVersion) -> None:
    """Move a draft to ``version``: answers to questions it no longer asks are dropped, and the
    draft is scored again from the answers it keeps."""
    tool = version.tool
    assessment.answers.exclude(indicator__in=[i.code for i in tool.indicators]).delete()
    result = score(tool, dict(assessment.answers.values_list("indicator", "answer")))
    assessment.tool_version = version
    assessment.score = result.score
    assessment.computed_level = result.level
    assessment.explanation = result.explanation(tool)
    assessment.save(update_fields=["tool_version", "score", "computed_level", "explanation"])


def screening_section_save(
    *,
    acting_user: User,
    child: Person,
    section: str,
    answers: dict[str, AnswerInput],
    finished: bool,
) -> ScreeningAssessment:
    """Save one section (an exploitation type) of this user's draft screening of the child, against
    the current tool, and score the draft again; the other sections' answers stay as they were.

    ``finished``: the practitioner says the section is done, so every question in it needs an
    answer. Otherwise (saved to come back to later) only the questions answered are kept. Either
    way "yes" needs evidence (words, or an agency's event), and supporting events must be the
    child's and ones this user may see. A draft saved against an older version of the tool moves
    to the current one, dropping answers to questions it no longer asks."""
    if not has(acting_user, Capability.SCREEN) or not has(acting_user, Capability.VIEW_PERSON):
        raise ServiceError("You cannot screen children")
    if child.child_or_adult() == PersonRole.ADULT:
        raise ServiceError("The screening tool is for children")
    version = tool_current()
    tool = version.tool
    indicators = [i for i in tool.indicators if i.type == section]
    if not indicators:
        raise ServiceError("The screening tool has no such section: go back to the list of sections")
    problems = []
    if set(answers) - {i.code for i in indicators}:
        problems.append("Some answers are for questions this section does not have: start the section again")
    problems += _answer_problems(indicators, answers, every_question=finished)
    if problems:
        raise ServiceError("; ".join(problems))
    _check_supporting_events(acting_user, child, answers)
    with transaction.atomic():
        assessment = _lock_own_draft(acting_user, child)
        if assessment is None and not answers:
            raise ServiceError("Answer at least one question before you save this section")
        if assessment is None:
            assessment = ScreeningAssessment.objects.create(
                child=child, started_by=acting_user, started_at=timezone.now(), tool_version=version,
                computed_level=tool.levels[0].code,
            )
        assessment.answers.filter(indicator__in=[i.code for i in indicators]).delete()
        rows = _write_answers(assessment, indicators, answers)
        from_version = assessment.tool_version.number
        _rescore(assessment, version)
        audit_record(
            event_type=AuditEventType.SCREENING_STARTED,
            actor=acting_user,
            target_kind="screening",
            target_id=assessment.pk,
            person_id=child.pk,
            detail={
                "tool_version": version.number,
                "from_tool_version": from_version,
                "section": section,
                "section_answered": len(rows),
                "section_questions": len(indicators),
                "score": assessment.score,
                "computed_level": assessment.computed_level,
            },
        )
    return assessment


def screening_draft_to_current_tool(*, acting_user: User, child: Person) -> ScreeningAssessment:
    """Move this user's draft screening of the child to the current version of the tool: answers
    to questions it no longer asks are dropped, new questions are left to answer, and the draft
    is scored again."""
    if not has(acting_user, Capability.SCREEN) or not has(acting_user, Capability.VIEW_PERSON):
        raise ServiceError("You cannot screen children")
    version = tool_current()
    with transaction.atomic():
        assessment = _lock_own_draft(acting_user, child)
        if assessment is None:
            raise ServiceError("You have no draft screening of this child")
        from_version = assessment.tool_version.number
        if from_version == version.number:
            return assessment
        _rescore(assessment, version)
        audit_record(
            event_type=AuditEventType.SCREENING_STARTED,
            actor=acting_user,
            target_kind="screening",
            target_id=assessment.pk,
            person_id=child.pk,
            detail={
                "tool_version": version.number,
                "from_tool_version": from_version,
                "score": assessment.score,
                "computed_level": assessment.computed_level,
            },
        )
    return assessment


# --- completing it -----------------------------------------------------------------------------


def _rank_of(tool: ToolConfig, change: RiskLevelChange) -> int:
    """Where a level in force sits in this tool's order (as recorded, if the tool dropped it)."""
    rank = tool.rank(change.level_code)
    return change.level_rank if rank is None else rank


def _removed_since(version: ScreeningToolVersion, level_code: str) -> bool:
    """True if the partnership has removed this level from the tool since ``version``. A screening
    scored with an older version keeps that version, but cannot put a child at a level the
    partnership no longer uses."""
    current = tool_current()
    return current.pk != version.pk and current.tool.level(level_code) is None


def _lock_child(child_id: int) -> None:
    """Serialise changes to one child's level (a row lock on PostgreSQL; SQLite's IMMEDIATE
    transactions already hold the database's write lock)."""
    list(Person.objects.select_for_update().filter(pk=child_id).values_list("pk", flat=True))


TOOL_LEVEL_HOLDS = ("The level the screening worked out, in force until a second person agrees to the lower level of "
                    "the practitioner's judgement")


def screening_complete(
    *,
    acting_user: User,
    assessment: ScreeningAssessment,
    judgement_level: str,
    judgement_reasoning: str,
    models_of_exploitation: list[str] | None = None,
    downgrade_reason: str = "",
) -> ScreeningAssessment:
    """Complete a draft with the practitioner's professional judgement, which is the level put in
    force (it may differ from the computed level; the reasoning says why).

    A level lower than the child's level in force, or than the level the answers computed, needs a
    written reason, and, where the tool says so, waits for a second person's approval: until then,
    and if it is refused, the higher of the old level and the level the answers computed is in force."""
    if not has(acting_user, Capability.SCREEN):
        raise ServiceError("You cannot screen children")
    tool = assessment.tool_version.tool
    level = tool.level(judgement_level)
    if level is None:
        raise ServiceError("Choose the level of risk in your professional judgement")
    if _removed_since(assessment.tool_version, level.code):
        raise ServiceError(
            f"{level.name} has been removed from the screening tool since these answers were saved, so no child can "
            "be put at it now. Choose another level, or answer the screening again against the current tool.",
            field="judgement_level",
        )
    if not judgement_reasoning.strip():
        raise ServiceError("Give the reasons for your professional judgement")
    chosen_models = list(dict.fromkeys(models_of_exploitation or []))
    if not set(chosen_models) <= set(ModelOfExploitation.values):
        raise ServiceError("Choose models of exploitation from the list")
    with transaction.atomic():
        _lock_child(assessment.child_id)
        locked = ScreeningAssessment.objects.select_for_update().select_related("child").get(pk=assessment.pk)
        if locked.status != ScreeningStatus.DRAFT or locked.started_by_id != acting_user.pk:
            raise ServiceError("This screening has already been completed")
        # A level the panel confirmed (``level_confirm``) has no answers; a screening needs them all.
        if "confirmed_at" not in locked.explanation and not all_completed(
            tool, locked.answers.values_list("indicator", flat=True)
        ):
            raise ServiceError("Complete every section of the screening before you record your judgement")
        before = level_in_force(locked.child)
        rank = tool.rank(level.code) or 0
        below_before = before is not None and rank < _rank_of(tool, before)
        # A disclosure, or strong indicators together, make the computed level high at once
        # (DOMAIN.md): a judgement below what the tool computed lowers the risk just as a judgement
        # below the level in force does, with a reason and, where the tool says so, a second person.
        computed = tool.level(locked.computed_level)
        below_computed = computed is not None and rank < (tool.rank(computed.code) or 0)
        is_downgrade = below_before or below_computed
        if is_downgrade and not downgrade_reason.strip():
            lowered_from = before.level_name if below_before and before is not None else (
                f"the computed level, {computed.name}," if computed is not None else "")
            raise ServiceError(
                f"Give the reason for lowering the level from {lowered_from} to {level.name}",
                field="downgrade_reason",
            )
        now = timezone.now()
        locked.completed_by = acting_user
        locked.completed_at = now
        locked.judgement_level = level.code
        locked.judgement_reasoning = judgement_reasoning.strip()
        locked.models_of_exploitation = chosen_models
        locked.level_before = before
        locked.is_downgrade = is_downgrade
        locked.downgrade_reason = downgrade_reason.strip() if is_downgrade else ""
        if is_downgrade and downgrade_needs_approval(locked.tool_version):
            locked.status = ScreeningStatus.AWAITING_APPROVAL
            locked.approval = ApprovalStatus.AWAITING
            if below_computed and computed is not None and (
                before is None or (tool.rank(computed.code) or 0) > _rank_of(tool, before)
            ):
                # Lower than the tool's level, not yet agreed: the tool's level holds meanwhile (and if
                # refused), where it is above the level before. A child screened for the first time is
                # not left "not screened" while a second person decides.
                _level_change(locked, changed_by=acting_user, at=now, reason=TOOL_LEVEL_HOLDS,
                              level_code=computed.code)
        else:
            locked.status = ScreeningStatus.COMPLETED
            locked.approval = ApprovalStatus.NOT_NEEDED
            if before is None or before.level_code != level.code:
                _level_change(locked, changed_by=acting_user, at=now, reason=locked.downgrade_reason)
        locked.save(
            update_fields=[
                "completed_by",
                "completed_at",
                "judgement_level",
                "judgement_reasoning",
                "models_of_exploitation",
                "level_before",
                "is_downgrade",
                "downgrade_reason",
                "status",
                "approval",
            ]
        )
        audit_record(
            event_type=AuditEventType.SCREENING_COMPLETED,
            actor=acting_user,
            target_kind="screening",
            target_id=locked.pk,
            person_id=locked.child_id,
            reason=locked.downgrade_reason,
            detail={
                "tool_version": locked.tool_version.number,
                "score": locked.score,
                "computed_level": locked.computed_level,
                "judgement_level": locked.judgement_level,
                "level_before": before.level_code if before else None,
                "downgrade": is_downgrade,
                "awaiting_approval": locked.approval == ApprovalStatus.AWAITING,
            },
        )
    return locked


def _level_change(
    assessment: ScreeningAssessment, *, changed_by: User, at: Any, reason: str, approved_by: User | None = None,
    level_code: str = "",
) -> RiskLevelChange:
    """Put a level in force: the judgement's, or ``level_code``."""
    tool = assessment.tool_version.tool
    level = tool.level(level_code or assessment.judgement_level)
    assert level is not None
    return RiskLevelChange.objects.create(
        child_id=assessment.child_id,
        level_code=level.code,
        level_name=level.name,
        level_rank=tool.rank(level.code) or 0,
        effective_at=at,
        assessment=assessment,
        changed_by=changed_by,
        approved_by=approved_by,
        reason=reason,
    )


# --- the second person -------------------------------------------------------------------------


def _check_approver(acting_user: User, assessment: ScreeningAssessment) -> None:
    if not has(acting_user, Capability.APPROVE_DOWNGRADE):
        raise ServiceError("You cannot approve a lower level of risk")
    if acting_user.pk in (assessment.completed_by_id, assessment.started_by_id):
        raise ServiceError("A different person must approve lowering the level: you completed this screening")
    if assessment.status != ScreeningStatus.AWAITING_APPROVAL:
        raise ServiceError("This screening is not awaiting approval")


def downgrade_approve(
    *, acting_user: User, assessment: ScreeningAssessment, reason: str = ""
) -> ScreeningAssessment:
    """Approve a lower level: it comes into force now (not when it was asked for), so the counts
    for the days in between stay as they were."""
    with transaction.atomic():
        _lock_child(assessment.child_id)
        locked = (
            ScreeningAssessment.objects.select_for_update()
            .select_related("child", "tool_version")
            .get(pk=assessment.pk)
        )
        _check_approver(acting_user, locked)
        current = level_in_force(locked.child)
        later = (
            ScreeningAssessment.objects.filter(
                identity.same_person("child", locked.child),
                status__in=[ScreeningStatus.COMPLETED, ScreeningStatus.AWAITING_APPROVAL],
                completed_at__gt=locked.completed_at,
            )
            .exclude(pk=locked.pk)
            .exists()
        )
        held_meanwhile = current is not None and current.assessment_id == locked.pk  # the tool's level
        if later or (not held_meanwhile and (current.pk if current else None) != locked.level_before_id):
            raise ServiceError(
                "The child has been screened again since, so this lower level can no longer be approved. Refuse it, "
                "giving that reason."
            )
        if _removed_since(locked.tool_version, locked.judgement_level):
            raise ServiceError(
                f"{locked.judgement_level_name} has been removed from the screening tool since this screening was "
                "completed, so it can no longer be put in force. Refuse it, giving that reason."
            )
        now = timezone.now()
        locked.status = ScreeningStatus.COMPLETED
        locked.approval = ApprovalStatus.APPROVED
        locked.approval_by = acting_user
        locked.approval_at = now
        locked.approval_reason = reason.strip()
        locked.save(update_fields=["status", "approval", "approval_by", "approval_at", "approval_reason"])
        change = _level_change(
            locked,
            changed_by=locked.completed_by or acting_user,
            at=now,
            reason=locked.downgrade_reason,
            approved_by=acting_user,
        )
        audit_record(
            event_type=AuditEventType.SCREENING_DOWNGRADE_APPROVED,
            actor=acting_user,
            target_kind="screening",
            target_id=locked.pk,
            person_id=locked.child_id,
            reason=reason.strip() or locked.downgrade_reason,
            detail={"from": current.level_code if current else None, "to": change.level_code},
        )
        _tell_about_decision(locked, approved=True)
    return locked


def downgrade_refuse(
    *, acting_user: User, assessment: ScreeningAssessment, reason: str
) -> ScreeningAssessment:
    """Refuse a lower level: the child's level in force does not change (the higher of the level before
    and the tool's, ``screening_complete``)."""
    if not reason.strip():
        raise ServiceError("Give the reason for refusing")
    with transaction.atomic():
        locked = ScreeningAssessment.objects.select_for_update().get(pk=assessment.pk)
        _check_approver(acting_user, locked)
        locked.status = ScreeningStatus.REFUSED
        locked.approval = ApprovalStatus.REFUSED
        locked.approval_by = acting_user
        locked.approval_at = timezone.now()
        locked.approval_reason = reason.strip()
        locked.save(update_fields=["status", "approval", "approval_by", "approval_at", "approval_reason"])
        audit_record(
            event_type=AuditEventType.SCREENING_DOWNGRADE_REFUSED,
            actor=acting_user,
            target_kind="screening",
            target_id=locked.pk,
            person_id=locked.child_id,
            reason=locked.approval_reason,
        )
        _tell_about_decision(locked, approved=False)
    return locked


def _tell_about_decision(assessment: ScreeningAssessment, *, approved: bool) -> None:
    """The practitioner who asked for a lower level hears the decision (no name: a reference)."""
    child = assessment.child
    notify(
        recipients=[u for u in (assessment.completed_by,) if u is not None],
        kind=NotificationKind.LEVEL_DECISION,
        subject=f"Lower risk level {'approved' if approved else 'refused'} ({assessment.reference})",
        body=(f"The lower level you asked for in screening {assessment.reference} was "
              f"{'approved: it is now in force' if approved else 'refused: the level in force has not changed'}."),
        link=reverse("screening:detail", args=[assessment.pk]),
        keep_out=names_of(child),
        about=assessment.child_id,
    )


# --- a level confirmed elsewhere (the exploitation panel) ---------------------------------------


def level_confirm(
    *,
    acting_user: User,
    child: Person,
    level_code: str,
    reasoning: str,
    confirmed_at: str,
    downgrade_reason: str = "",
) -> ScreeningAssessment:
    """A level confirmed by the panel (``confirmed_at`` names the meeting), put in force exactly as a
    screening's judgement is: recorded as a screening without answers, so a lower level needs its
    reason and, where the tool says so, a second person's approval, and the level history is the
    one history. The same level as in force changes nothing but is kept as confirmed."""
    if not has(acting_user, Capability.SCREEN):
        raise ServiceError("You cannot confirm a child's level of risk")
    version = tool_current()
    level = version.tool.level(level_code)
    if level is None:
        raise ServiceError("Choose the level of risk the panel confirmed", field="confirmed_level")
    child = identity.current(child)
    with transaction.atomic():
        _lock_child(child.pk)
        current = level_in_force(child)
        draft = ScreeningAssessment.objects.create(
            child=child,
            tool_version=version,
            started_by=acting_user,
            started_at=timezone.now(),
            score=0,
            computed_level=current.level_code if current and version.tool.level(current.level_code) else level.code,
            explanation={"confirmed_at": confirmed_at, "contributions": [], "rules_applied": []},
        )
        return screening_complete(
            acting_user=acting_user,
            assessment=draft,
            judgement_level=level.code,
            judgement_reasoning=reasoning,
            downgrade_reason=downgrade_reason,
        )
