"""Administrators' pages for the early-warning rules: list, add, change, switch off, and test a
draft against history before saving it."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from safeguarding.accounts.access import Capability, current_user, require
from safeguarding.accounts.models import User
from safeguarding.core.errors import ServiceError
from safeguarding.core.forms import add_service_error, number_or_zero
from safeguarding.earlywarning import selectors, services
from safeguarding.earlywarning.backtest import Backtest
from safeguarding.earlywarning.models import RAISED_ELSEWHERE, Rule, RuleKind, RuleTest, RuleTestStatus
from safeguarding.earlywarning.rule_forms import RuleForm, RuleKindForm
from safeguarding.earlywarning.rules import RuleError, RuleSpec, clean_rule, describe, rule_spec


def rule_list(request: HttpRequest) -> HttpResponse:
    rules = []
    for rule in selectors.rules_for_admin(user=current_user(request)):
        try:
            words = describe(rule_spec(rule))
        except RuleError as error:
            words = f"Cannot be evaluated: {error.message}"
        rules.append((rule, words))
    return render(request, "rules/list.html", {"rules": rules})


def rule_new(request: HttpRequest) -> HttpResponse:
    require(current_user(request), Capability.CONFIGURE_TOOLS)
    form = RuleKindForm(request.GET or None)
    if request.GET and form.is_valid():
        return redirect("rules:new-kind", kind=form.cleaned_data["kind"])
    return render(request, "rules/kind.html", {"form": form})


def rule_new_kind(request: HttpRequest, kind: str) -> HttpResponse:
    require(current_user(request), Capability.CONFIGURE_TOOLS)
    if kind not in RuleKind.values or kind in RAISED_ELSEWHERE:
        raise Http404
    return _rule_form(request, kind=kind, rule=None)


def rule_edit(request: HttpRequest, code: str) -> HttpResponse:
    rule = selectors.rule_for_admin_or_404(user=current_user(request), code=code)
    return _rule_form(request, kind=rule.kind, rule=rule)


def _rule_form(request: HttpRequest, *, kind: str, rule: Rule | None) -> HttpResponse:
    user = current_user(request)
    require(user, Capability.CONFIGURE_TOOLS)
    test = _rule_test(user, request.GET.get("test"), kind=kind, rule=rule) if request.method == "GET" else None
    initial = {"initial": test.form_data} if test is not None else {}
    form = RuleForm(request.POST or None, kind=kind, rule=rule, **initial)
    context: dict[str, object] = {
        "form": form,
        "rule": rule,
        "kind_label": RuleKind(kind).label,
        # A rule raised when links are built is not a pattern in the agencies' events: a back-test replays
        # the events and cannot rebuild the links, so it would say such a rule flags no one.
        "testable": kind not in RAISED_ELSEWHERE,
        "versions": rule.versions.select_related("changed_by")[:20] if rule else [],
    }
    if test is not None:
        context.update(_test_context(test))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        code = rule.code if rule else data.get("code", "")
        try:
            if request.POST.get("action") == "test" and kind not in RAISED_ELSEWHERE:
                spec = clean_rule(code=code or "draft", name=data["name"] or "Draft rule", kind=kind,
                                  level=data["level"], params=form.params())
                started = services.rule_test_start(
                    acting_user=user, spec=spec, rule=rule, form_data=_typed(form)
                )
                return redirect(f"{request.path}?test={started.pk}#backtest")
            saved = services.rule_save(
                acting_user=user,
                rule=rule,
                code=code,
                name=data["name"],
                description=data["description"],
                kind=kind,
                level=data["level"],
                params=form.params(),
                enabled=data["enabled"],
                change_note=data["change_note"],
            )
            state = "switched on" if saved.enabled else "switched off"
            messages.success(request, f"Rule '{saved.name}' saved as version {saved.version} ({state}).")
            return redirect("rules:list")
        except RuleError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        except ServiceError as error:
            add_service_error(form, error)
    return render(request, "rules/form.html", context)


def rule_test_status(request: HttpRequest, test_id: int) -> HttpResponse:
    """Where a test against history has got to: the part of the rule's page that updates itself
    while the test runs (status 286 tells htmx to stop asking once it is done)."""
    test = selectors.rule_test_for_admin_or_404(user=current_user(request), test_id=test_id)
    response = render(request, "rules/_test_status.html", _test_context(test))
    if test.is_done:
        response.status_code = 286
    return response


def _rule_test(user: User, number: str | None, *, kind: str, rule: Rule | None) -> RuleTest | None:
    """The test named in the page's address, if it is a test of this rule (or of a new rule of this kind)."""
    test_id = number_or_zero(number)
    if not test_id:
        return None
    return selectors.rule_test_for_admin_or_404(user=user, test_id=test_id, kind=kind, rule=rule, of_rule=True)


def _test_context(test: RuleTest) -> dict[str, object]:
    context: dict[str, object] = {"rule_test": test, "draft_words": describe(RuleSpec(**test.draft))}
    if test.status == RuleTestStatus.FINISHED and test.results:
        context["backtest"] = Backtest.from_json(test.results[0])
        if len(test.results) > 1 and test.current:
            context["current_backtest"] = Backtest.from_json(test.results[1])
            context["current_words"] = describe(RuleSpec(**test.current))
    return context


def _typed(form: RuleForm) -> dict[str, object]:
    """The form as the administrator filled it in, to show again with the test's progress."""
    return {name: value for name, value in form.cleaned_data.items() if isinstance(value, str | bool)}
