"""The partnership's roles and responsibilities (RACI) as data: for each step of the work, which kind
of agency is Responsible, Accountable, Consulted or Informed. Checked here and refused with every
problem listed; each change is saved as a new version (``services.raci_change``)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from typing import Any

from safeguarding.accounts.models import AgencyKind

LETTERS = {"R": "Responsible", "A": "Accountable", "C": "Consulted", "I": "Informed"}


class RaciError(ValueError):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Step:
    code: str
    name: str
    action: bool  # a kind of action on a plan (suggests an owner), not a step of the process
    roles: dict[str, str]  # agency kind -> letter ("" for none)

    def kinds_with(self, letter: str) -> list[str]:
        return [kind for kind in AgencyKind.values if self.roles.get(kind) == letter]


def default_matrix() -> dict[str, Any]:
    text = resources.files("safeguarding.mace").joinpath("data/raci.json").read_text("utf-8")
    matrix: dict[str, Any] = json.loads(text)
    return matrix


def parse(matrix: dict[str, Any]) -> list[Step]:
    """The matrix's steps, or RaciError naming every problem."""
    problems: list[str] = []
    steps: list[Step] = []
    seen: set[str] = set()
    raw = matrix.get("steps") if isinstance(matrix, dict) else None
    if not isinstance(raw, list) or not raw:
        raise RaciError(["The matrix needs at least one step"])
    for number, item in enumerate(raw, start=1):
        code = str(item.get("code", "")).strip()
        name = str(item.get("name", "")).strip()
        roles = item.get("roles") or {}
        label = name or code or f"step {number}"
        if not code or not name:
            problems.append(f"Step {number} needs a code and a name")
        if code in seen:
            problems.append(f"'{code}' is used for two steps")
        seen.add(code)
        unknown = set(roles) - set(AgencyKind.values)
        if unknown:
            problems.append(f"{label}: '{sorted(unknown)[0]}' is not a kind of agency")
        bad = {v for v in roles.values() if v not in LETTERS and v != ""}
        if bad:
            problems.append(f"{label}: '{sorted(bad)[0]}' is not one of R, A, C or I")
        letters = [roles.get(kind, "") for kind in AgencyKind.values]
        if letters.count("A") != 1:
            problems.append(f"{label}: exactly one kind of agency must be accountable (A)")
        if "R" not in letters and "A" not in letters:
            problems.append(f"{label}: some kind of agency must be responsible (R)")
        steps.append(Step(code=code, name=name, action=bool(item.get("action")),
                          roles={kind: roles.get(kind, "") for kind in AgencyKind.values}))
    if problems:
        raise RaciError(problems)
    return steps


def as_json(steps: list[Step]) -> dict[str, Any]:
    return {"steps": [{"code": s.code, "name": s.name, "action": s.action, "roles": s.roles} for s in steps]}


def with_letter(steps: list[Step], code: str, kind: str, letter: str) -> dict[str, Any]:
    """A copy of the matrix with one cell changed (to be checked with ``parse``)."""
    data = as_json(steps)
    for step in data["steps"]:
        if step["code"] == code:
            step["roles"][kind] = letter
    return data


# Which step of the matrix answers for each kind of statutory clock.
CLOCK_STEPS = {
    "return_home_interview": "return_home_interview",
    "initial_child_protection_conference": "strategy_discussion",
    "assessment": "assessment",
    "nrm_reasonable_grounds": "nrm",
    "nrm_conclusive_grounds": "nrm",
    "panel_review": "panel",
    "core_group": "strategy_discussion",
    "review_child_protection_conference": "strategy_discussion",
}
