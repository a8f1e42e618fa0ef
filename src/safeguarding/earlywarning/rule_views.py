"""Administrators' pages for the early-warning rules: list, add, change, switch off, and test a
draft against history before saving it."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from safeguarding.accounts.access import Capability, current_user, require
from safeguarding.core.errors import ServiceError
from safeguarding.core.forms import add_service_error
from safeguarding.earlywarning import services
from safeguarding.earlywarning.models import Rule, RuleKind
from safeguarding.earlywarning.rule_forms import RuleForm, RuleKindForm
from safeguarding.earlywarning.rules import RuleError, clean_rule, describe, rule_spec


def rule_list(request: HttpRequest) -> HttpResponse:
    require(current_user(request), Capability.CONFIGURE_TOOLS)
    rules = []
    for rule in Rule.objects.all():
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
    if kind not in RuleKind.values:
        raise Http404
    return _rule_form(request, kind=kind, rule=None)


def rule_edit(request: HttpRequest, code: str) -> HttpResponse:
    rule = Rule.objects.filter(code=code).first()
    require(current_user(request), Capability.CONFIGURE_TOOLS)
    if rule is None:
        raise Http404
    return _rule_form(request, kind=rule.kind, rule=rule)


def _rule_form(request: HttpRequest, *, kind: str, rule: Rule | None) -> HttpResponse:
    user = current_user(request)
    require(user, Capability.CONFIGURE_TOOLS)
    form = RuleForm(request.POST or None, kind=kind, rule=rule)
    context: dict[str, object] = {
        "form": form,
        "rule": rule,
        "kind_label": RuleKind(kind).label,
        "versions": rule.versions.select_related("changed_by")[:20] if rule else [],
    }
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        code = rule.code if rule else data.get("code", "")
        try:
            if request.POST.get("action") == "test":
                spec = clean_rule(code=code or "draft", name=data["name"] or "Draft rule", kind=kind,
                                  level=data["level"], params=form.params())
                current = rule_spec(rule) if rule is not None else None
                context["backtest"], context["current_backtest"] = services.rule_backtest(
                    acting_user=user, spec=spec, current=current, request=request
                )
                context["draft_words"] = describe(spec)
                if current is not None:
                    context["current_words"] = describe(current)
            else:
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
                    request=request,
                )
                state = "switched on" if saved.enabled else "switched off"
                messages.success(request, f"Rule '{saved.name}' saved as version {saved.version} ({state}).")
                return redirect("rules:list")
        except RuleError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        except ServiceError as error:
            add_service_error(form, error)
    return render(request, "rules/form.html", context)
