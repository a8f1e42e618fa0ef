"""Pages for screening: answer a screening and record the judgement, read one, approve or refuse a
lower level, count children at each level on a date, and (administrators) change the tool."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from safeguarding.accounts.access import Capability, current_user, has, persons_shown, require
from safeguarding.accounts.models import User
from safeguarding.core.errors import ServiceError
from safeguarding.core.forms import add_service_error
from safeguarding.people.models import Person
from safeguarding.people.selectors import person_for_user_or_404
from safeguarding.screening import selectors, services
from safeguarding.screening.forms import (
    ApprovalForm,
    ExploitationTypeForm,
    IndicatorForm,
    JudgementForm,
    LevelsForm,
    LevelsOnForm,
    RemovalForm,
    RuleAddForm,
    RuleRemoveForm,
    SectionForm,
    SettingsForm,
)
from safeguarding.screening.models import ApprovalStatus, ModelOfExploitation, ScreeningStatus, ScreeningToolVersion
from safeguarding.screening.tool import YES, Part, ToolConfigError, all_completed, removal

# --- screening a child -------------------------------------------------------------------------


def _child_to_screen(request: HttpRequest, person_id: int) -> tuple[User, Person]:
    """The signed-in user, who must be allowed to screen, and the child they may open (else 403
    for the role, 404 for the child, as every page does)."""
    user = current_user(request)
    require(user, Capability.SCREEN)
    person = person_for_user_or_404(user, person_id, purpose="screening for risk of exploitation")
    return user, person


def _merged(person: Person) -> bool:
    return person.root_id is not None and person.root_id != person.pk


@require_http_methods(["GET", "POST"])
def screening_start(request: HttpRequest, person_id: int) -> HttpResponse:
    """The task list: one task per section of the tool (an exploitation type), each with its
    status in this user's draft, then *check your answers* once every section is completed.
    POST moves a draft saved against an older version of the tool to the current one."""
    user, person = _child_to_screen(request, person_id)
    if _merged(person):
        return redirect("screening:start", person_id=person.root_id)
    if request.method == "POST":
        try:
            services.screening_draft_to_current_tool(acting_user=user, child=person)
        except ServiceError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, "Your draft now uses the current version of the screening tool")
        return redirect("screening:start", person_id=person.pk)
    progress = selectors.draft_progress(user=user, person=person)
    return render(request, "screening/task_list.html", {"person": person, "progress": progress})


@require_http_methods(["GET", "POST"])
def screening_section(request: HttpRequest, person_id: int, section: str) -> HttpResponse:
    """One section's questions. Indicators that agencies' records already show are suggested, with
    those records ticked, for the practitioner to confirm. "Save and continue" needs every
    question answered; "Save and come back later" keeps what is answered."""
    user, person = _child_to_screen(request, person_id)
    if _merged(person):
        return redirect("screening:section", person_id=person.root_id, section=section)
    progress = selectors.draft_progress(user=user, person=person)
    part = progress.section(section)
    if part is None:
        raise Http404
    indicators = list(part.indicators)
    tool = progress.version.tool
    evidence = selectors.evidence_for_child(user=user, person=person, tool=tool)
    saved = {}
    if progress.draft is not None:
        saved = {
            a.indicator: a
            for a in progress.draft.answers.filter(indicator__in=[i.code for i in indicators]).prefetch_related(
                "supporting_events"
            )
        }
    initial: dict[str, Any] = {}
    for ind in indicators:
        answer = saved.get(ind.code)
        if answer is not None:
            initial[f"answer__{ind.code}"] = answer.answer
            initial[f"evidence__{ind.code}"] = answer.evidence
            initial[f"events__{ind.code}"] = [e.pk for e in answer.supporting_events.all()]
        elif evidence[ind.code].suggested:
            initial[f"answer__{ind.code}"] = YES
            initial[f"events__{ind.code}"] = [e.pk for e in evidence[ind.code].suggested]
    finished = request.POST.get("action") != "later"
    form = SectionForm(
        request.POST or None, indicators=indicators, evidence=evidence, finished=finished, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        answers = {
            ind.code: services.AnswerInput(
                answer=data[f"answer__{ind.code}"],
                evidence=data[f"evidence__{ind.code}"],
                event_ids=list(data.get(f"events__{ind.code}") or []),
                suggested=bool(evidence[ind.code].suggested),
            )
            for ind in indicators
            if data.get(f"answer__{ind.code}")
        }
        try:
            services.screening_section_save(
                acting_user=user, child=person, section=part.code, answers=answers, finished=finished
            )
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, f"{part.type.label}: {'saved' if finished else 'saved for later'}")
            return redirect("screening:start", person_id=person.pk)
    return render(
        request,
        "screening/section.html",
        {"person": person, "form": form, "section": part, "progress": progress},
    )


def screening_check(request: HttpRequest, person_id: int) -> HttpResponse:
    """Check your answers: every answer of the draft, section by section, each with a link back to
    change it. It cannot start until every section is completed."""
    user, person = _child_to_screen(request, person_id)
    if _merged(person):
        return redirect("screening:check", person_id=person.root_id)
    progress = selectors.draft_progress(user=user, person=person)
    if progress.draft is None or not progress.all_completed:
        messages.info(request, "Complete every section before you check your answers")
        return redirect("screening:start", person_id=person.pk)
    draft = progress.draft
    answers = {a.indicator: a for a in draft.answers.all()}
    events = selectors.supporting_events_visible(user=user, assessments=[draft])
    sections = [
        (part, [(ind, answers[ind.code], events.get(answers[ind.code].pk, [])) for ind in part.indicators])
        for part in progress.sections
    ]
    return render(
        request,
        "screening/check.html",
        {"person": person, "progress": progress, "draft": draft, "sections": sections,
         "police_may_hold": selectors.police_may_hold(user)},
    )


@require_http_methods(["GET", "POST"])
def screening_judgement(request: HttpRequest, assessment_id: int) -> HttpResponse:
    """Step 2: the computed level and how it was reached, and the practitioner's judgement."""
    user = current_user(request)
    require(user, Capability.SCREEN)
    assessment = selectors.assessment_for_user_or_404(user=user, assessment_id=assessment_id)
    if assessment.status != ScreeningStatus.DRAFT:
        return redirect("screening:detail", assessment_id=assessment.pk)
    tool = assessment.tool_version.tool
    if not all_completed(tool, assessment.answers.values_list("indicator", flat=True)):
        messages.info(request, "Complete every section before you record your judgement")
        return redirect("screening:start", person_id=assessment.child_id)
    current = selectors.level_in_force(assessment.child)
    current_name = tool.level_name(current.level_code, current.level_name) if current else None
    form = JudgementForm(
        request.POST or None,
        tool=tool,
        current_name=current_name,
        needs_approval=selectors.downgrade_needs_approval(assessment.tool_version),
        computed_name=assessment.computed_level_name,
        initial={"judgement_level": assessment.computed_level},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            done = services.screening_complete(
                acting_user=user,
                assessment=assessment,
                judgement_level=data["judgement_level"],
                judgement_reasoning=data["judgement_reasoning"],
                models_of_exploitation=data["models_of_exploitation"],
                downgrade_reason=data.get("downgrade_reason", ""),
            )
        except ServiceError as exc:
            # A reason about one field goes beside it, so the error summary links to it.
            add_service_error(form, exc)
        else:
            if done.status == ScreeningStatus.AWAITING_APPROVAL:
                messages.info(
                    request,
                    f"Screening {done.reference} completed. The lower level needs a second person's approval: "
                    f"until then, {done.level_held_name} is in force.",
                )
            else:
                messages.success(request, f"Screening {done.reference} completed")
            return redirect("screening:detail", assessment_id=done.pk)
    return render(
        request,
        "screening/judgement.html",
        {
            "assessment": assessment,
            "form": form,
            "current": current,
            "current_name": current_name,
            "tool": tool,
            "tool_now": selectors.tool_current(),
        },
    )


@require_http_methods(["GET", "POST"])
def assessment_detail(request: HttpRequest, assessment_id: int) -> HttpResponse:
    """A screening as it was completed, with the version it was scored with. A MACE coordinator
    other than the practitioner approves or refuses a lower level here."""
    user = current_user(request)
    assessment = selectors.assessment_for_user_or_404(user=user, assessment_id=assessment_id)
    if assessment.status == ScreeningStatus.DRAFT:  # only its author gets this far: a draft is not a screening
        return redirect("screening:start", person_id=assessment.child_id)
    can_decide = (
        assessment.approval == ApprovalStatus.AWAITING
        and has(user, Capability.APPROVE_DOWNGRADE)
        and user.pk not in (assessment.completed_by_id, assessment.started_by_id)
    )
    form = ApprovalForm(request.POST or None) if can_decide else None
    if request.method == "POST":
        if form is None:
            raise Http404
        if form.is_valid():
            try:
                if form.cleaned_data["decision"] == "approve":
                    services.downgrade_approve(
                        acting_user=user, assessment=assessment, reason=form.cleaned_data["reason"]
                    )
                    messages.success(request, f"Lower level approved for screening {assessment.reference}")
                else:
                    services.downgrade_refuse(
                        acting_user=user, assessment=assessment, reason=form.cleaned_data["reason"]
                    )
                    messages.success(request, f"Lower level refused for screening {assessment.reference}")
            except ServiceError as exc:
                add_service_error(form, exc)
            else:
                return redirect("screening:approvals")
    tool = assessment.tool_version.tool
    answers = {a.indicator: a for a in assessment.answers.all()}
    events = selectors.supporting_events_visible(user=user, assessments=[assessment])
    sections = [
        (
            kind.label,
            [
                (ind, answers.get(ind.code), events.get(getattr(answers.get(ind.code), "pk", 0), []))
                for ind in indicators
            ],
        )
        for kind, indicators in tool.indicators_by_type()
        if indicators
    ]
    models_labels = dict(ModelOfExploitation.choices)
    return render(
        request,
        "screening/detail.html",
        {
            "assessment": assessment,
            "tool": tool,
            "sections": sections,
            "police_may_hold": selectors.police_may_hold(user),
            "form": form,
            "is_current_version": assessment.tool_version_id == selectors.tool_current().pk,
            "models": [models_labels.get(m, m) for m in assessment.models_of_exploitation],
        },
    )


def approvals(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    waiting = list(selectors.approvals_queue(user=user))
    persons_shown(user=user, page="risk level approvals", person_ids=[a.child.root_id for a in waiting])
    return render(request, "screening/approvals.html", {"waiting": waiting})


def levels_report(request: HttpRequest) -> HttpResponse:
    """How many children were at each level on a date: counts only, no child named."""
    user = current_user(request)
    require(user, Capability.VIEW_AGGREGATES)
    form = LevelsOnForm(request.GET or None)
    report = None
    if request.GET and form.is_valid():
        report = selectors.levels_on(user=user, on=form.cleaned_data["on"])
    elif not request.GET:
        report = selectors.levels_on(user=user, on=timezone.localdate())
    return render(request, "screening/levels.html", {"form": form, "report": report})


# --- administrators: the tool ------------------------------------------------------------------


def tool_overview(request: HttpRequest, number: int | None = None) -> HttpResponse:
    user = current_user(request)
    require(user, Capability.CONFIGURE_TOOLS)
    current = selectors.tool_current()
    version = current if number is None else selectors.tool_version_for_admin_or_404(user=user, number=number)
    return render(
        request,
        "screening/tool.html",
        {"version": version, "tool": version.tool, "is_current": version.pk == current.pk},
    )


def tool_versions(request: HttpRequest) -> HttpResponse:
    versions = list(selectors.tool_versions(user=current_user(request)))
    return render(request, "screening/tool_versions.html", {"versions": versions})


def _save_tool(
    request: HttpRequest, form: forms.Form, save: Callable[[User, dict[str, Any]], ScreeningToolVersion]
) -> HttpResponse | None:
    """Save the form's change through its service (``save(user, cleaned_data)``); on a refusal put
    every reason on the form (nothing is saved) and return None."""
    if not form.is_valid():
        return None
    data = form.cleaned_data
    return _saved_or_refused(request, form, lambda: save(current_user(request), data))


def _saved_or_refused(
    request: HttpRequest, form: forms.Form, save: Callable[[], ScreeningToolVersion]
) -> HttpResponse | None:
    try:
        version = save()
    except ToolConfigError as exc:
        for problem in exc.problems:
            form.add_error(None, problem)
        return None
    except ServiceError as exc:
        add_service_error(form, exc)
        return None
    messages.success(request, f"Saved as version {version.number} of the screening tool")
    return redirect("screening:tool")


@require_http_methods(["GET", "POST"])
def tool_part_remove(request: HttpRequest, part: str, code: str) -> HttpResponse:
    """Are you sure? What removing an indicator, exploitation type or level means, or why it cannot
    be removed; on POST, the removal as a new version."""
    user = current_user(request)
    require(user, Capability.CONFIGURE_TOOLS)
    kind = Part(part)
    current = selectors.tool_current()
    planned = removal(current.tool, kind, code)
    if planned is None:
        raise Http404
    form: forms.Form = RemovalForm(request.POST or None, noun=kind.noun, initial={"based_on": current.number})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        done = _saved_or_refused(
            request,
            form,
            lambda: services.tool_part_remove(
                acting_user=user,
                based_on=data["based_on"],
                part=kind,
                code=code,
                reason=data["change_note"],
            ),
        )
        if done:
            return done
    elif request.method == "POST" and planned.problems:
        # The page offers no form when the removal is refused, so a post came from a page shown
        # before the tool changed (or was made by hand): say why it is refused, not what it lacks.
        form = forms.Form({})
        form.is_valid()
        for problem in planned.problems:
            form.add_error(None, problem)
    return render(
        request,
        "screening/remove.html",
        {"form": form, "removal": planned, "noun": kind.noun, "version": current},
    )


@require_http_methods(["GET", "POST"])
def indicator_edit(request: HttpRequest, code: str | None = None) -> HttpResponse:
    require(request.user, Capability.CONFIGURE_TOOLS)
    current = selectors.tool_current()
    tool = current.tool
    indicator = tool.indicator(code) if code else None
    if code and indicator is None:
        raise Http404
    initial: dict[str, Any] = {"based_on": current.number}
    if indicator is not None:
        initial |= {
            "type": indicator.type,
            "label": indicator.label,
            "guidance": indicator.guidance,
            "weight": indicator.weight,
            "evidence_event_types": list(indicator.evidence_event_types),
            "lookback_days": indicator.lookback_days,
        }
    else:
        initial |= {"weight": 1, "lookback_days": 180}
    form = IndicatorForm(request.POST or None, tool=tool, new=indicator is None, initial=initial)

    def change(user: User, data: dict[str, Any]) -> ScreeningToolVersion:
        return services.tool_indicator_save(
            acting_user=user, based_on=data["based_on"], code=data["code"] if indicator is None else indicator.code,
            values=data, new=indicator is None, change_note=data["change_note"],
        )

    if request.method == "POST" and (done := _save_tool(request, form, change)):
        return done
    return render(
        request,
        "screening/tool_form.html",
        {
            "form": form,
            "title": f"Change the indicator '{indicator.label}'" if indicator else "Add an indicator",
            "button": "Save as a new version",
        },
    )


@require_http_methods(["GET", "POST"])
def exploitation_type_new(request: HttpRequest) -> HttpResponse:
    require(request.user, Capability.CONFIGURE_TOOLS)
    form = ExploitationTypeForm(request.POST or None, initial={"based_on": selectors.tool_current().number})

    def change(user: User, data: dict[str, Any]) -> ScreeningToolVersion:
        return services.tool_exploitation_type_add(
            acting_user=user, based_on=data["based_on"], code=data["code"], label=data["label"],
            change_note=data["change_note"],
        )

    if request.method == "POST" and (done := _save_tool(request, form, change)):
        return done
    return render(
        request,
        "screening/tool_form.html",
        {
            "form": form,
            "title": "Add an exploitation type",
            "button": "Save as a new version",
            "hint": "Then add its indicators.",
        },
    )


@require_http_methods(["GET", "POST"])
def levels_edit(request: HttpRequest) -> HttpResponse:
    require(request.user, Capability.CONFIGURE_TOOLS)
    current = selectors.tool_current()
    form = LevelsForm(request.POST or None, tool=current.tool, initial={"based_on": current.number})

    def change(user: User, data: dict[str, Any]) -> ScreeningToolVersion:
        count = len(current.tool.levels)
        wants_new = bool(data["new_code"] or data["new_name"] or data["new_min_score"] is not None)
        return services.tool_levels_save(
            acting_user=user, based_on=data["based_on"],
            names=[data[f"name_{n}"] for n in range(count)], min_scores=[data[f"min_score_{n}"] for n in range(count)],
            new={"code": data["new_code"], "name": data["new_name"], "min_score": data["new_min_score"]}
            if wants_new else None,
            change_note=data["change_note"],
        )

    if request.method == "POST" and (done := _save_tool(request, form, change)):
        return done
    return render(
        request,
        "screening/tool_form.html",
        {
            "form": form,
            "title": "Change the levels of risk",
            "button": "Save as a new version",
            "hint": "Lowest level first. A child's score reaches a level when it is at least that level's lowest score; "
            "the lowest level starts at 0. Each level's code stays the same, so history still counts under it.",
        },
    )


@require_http_methods(["GET", "POST"])
def rules_edit(request: HttpRequest) -> HttpResponse:
    require(request.user, Capability.CONFIGURE_TOOLS)
    current = selectors.tool_current()
    tool = current.tool
    action = request.POST.get("action") if request.method == "POST" else None
    initial = {"based_on": current.number, "minimum": 1}
    add = RuleAddForm(request.POST if action == "add" else None, tool=tool, prefix="add", initial=initial)
    remove = RuleRemoveForm(request.POST if action == "remove" else None, tool=tool, prefix="remove", initial=initial)

    def add_rule(user: User, data: dict[str, Any]) -> ScreeningToolVersion:
        return services.tool_overriding_rule_add(
            acting_user=user, based_on=data["based_on"], rule=data, change_note=data["change_note"]
        )

    def remove_rule(user: User, data: dict[str, Any]) -> ScreeningToolVersion:
        return services.tool_overriding_rule_remove(
            acting_user=user, based_on=data["based_on"], code=data["rule"], change_note=data["change_note"]
        )

    if action == "add" and (done := _save_tool(request, add, add_rule)):
        return done
    if action == "remove" and (done := _save_tool(request, remove, remove_rule)):
        return done
    return render(request, "screening/rules.html", {"tool": tool, "add": add, "remove": remove})


@require_http_methods(["GET", "POST"])
def settings_edit(request: HttpRequest) -> HttpResponse:
    require(request.user, Capability.CONFIGURE_TOOLS)
    current = selectors.tool_current()
    initial = {
        "based_on": current.number,
        "downgrade_needs_approval": "yes" if current.tool.downgrade_needs_approval else "no",
    }
    form = SettingsForm(request.POST or None, initial=initial)

    def change(user: User, data: dict[str, Any]) -> ScreeningToolVersion:
        return services.tool_downgrade_approval_save(
            acting_user=user, based_on=data["based_on"], needed=data["downgrade_needs_approval"] == "yes",
            change_note=data["change_note"],
        )

    if request.method == "POST" and (done := _save_tool(request, form, change)):
        return done
    return render(
        request,
        "screening/tool_form.html",
        {
            "form": form,
            "title": "Approval of lower levels",
            "button": "Save as a new version",
        },
    )
