"""Police intelligence held on another person's record (an adult's) that names a child counts for that
child in "Signs of exploitation adding up" (the weighing rule's new setting ``for_named_children``).

A new database gets it from ``data/default_rules.json`` (migration 0002 reads it). Here, a database set
up before: the rule, if still exactly as it shipped (its name, settings and level, switched on), gets a
new version with the setting and the reason, as migration 0009 did; a rule the partnership has changed is
left as the partnership made it (its administrator can add the setting on the rule's page)."""

from __future__ import annotations

from typing import Any

from django.db import migrations
from django.utils import timezone

CODE = "exploitation-evidence"
# The rule as it shipped before this change (a frozen copy: migrations do not import code that may change).
AS_SHIPPED = ("Signs of exploitation adding up", "medium", {
    "weights": {"absent_from_school": 1, "disclosure": 10, "drug_debt": 4, "found_with_adult": 2, "gifts_or_money": 3,
                "intelligence": 3, "missing_episode": 1, "multiple_phones": 3, "online_grooming": 4, "police_stop": 1,
                "pregnancy": 2, "school_exclusion": 1, "seen_in_vehicle": 3, "self_harm": 1,
                "sexual_health_attendance": 2, "substance_misuse": 2, "termination": 2, "travel_out_of_area": 3},
    "threshold": 6, "window_days": 180, "repeats": 1, "adult_points": 4, "vehicle_points": 2, "high_threshold": 10,
})
NAMED = ["intelligence"]
NOTE = ("Police intelligence on another person's record (an adult's) that names a child now counts for that child "
        "(6 December 2026)")
DESCRIPTION_BEFORE = "police intelligence, sexual health and substance misuse."
DESCRIPTION_AFTER = ("police intelligence (also intelligence held on another person's record, such as an adult's, "
                     "when it names the child), sexual health and substance misuse.")


def _snapshot(rule: Any) -> dict[str, Any]:
    return {"name": rule.name, "description": rule.description, "kind": rule.kind, "params": rule.params,
            "level": rule.level, "enabled": rule.enabled}


def forwards(apps: Any, schema_editor: Any) -> None:
    Rule = apps.get_model("earlywarning", "Rule")
    RuleVersion = apps.get_model("earlywarning", "RuleVersion")
    rule = Rule.objects.filter(code=CODE).first()
    if rule is None or not rule.enabled or (rule.name, rule.level, rule.params) != AS_SHIPPED:
        return  # none, switched off or changed by the partnership (or a new database: 0002 installed it with it)
    rule.params = {**rule.params, "for_named_children": NAMED}
    rule.description = rule.description.replace(DESCRIPTION_BEFORE, DESCRIPTION_AFTER)
    rule.version += 1
    rule.save()
    RuleVersion.objects.create(rule=rule, version=rule.version, snapshot=_snapshot(rule), change_note=NOTE,
                               changed_at=timezone.now())


class Migration(migrations.Migration):
    dependencies = [("earlywarning", "0012_new_link_alerts_withheld_from_subject_access")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
