"""The default early-warning rules (data/default_rules.json), installed at setup.

The data migration installs them on a new database. Django's ``flush`` (between transactional
tests, or an administrator resetting a database) empties the tables but keeps the migration
history, so ``post_migrate``, which runs after both, puts them back when there are no rules.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from safeguarding.earlywarning.rules import clean_rule, default_rules

DEFAULT_CHANGE_NOTE = "Default rule shipped with the hub"


def install_default_rules(rule_model: Any, version_model: Any) -> int:
    """Write the default rules if the partnership has none; returns how many. The models are the
    live ones or the migration's historical ones. A broken data file fails loudly here."""
    if rule_model.objects.exists():
        return 0
    now = timezone.now()
    for item in default_rules():
        spec = clean_rule(
            code=item["code"], name=item["name"], kind=item["kind"], level=item["level"], params=item["params"]
        )
        enabled = bool(item.get("enabled", True))
        snapshot = {
            "name": spec.name,
            "description": item.get("description", ""),
            "kind": spec.kind,
            "params": spec.params,
            "level": spec.level,
            "enabled": enabled,
        }
        rule = rule_model.objects.create(
            code=spec.code,
            name=spec.name,
            description=snapshot["description"],
            kind=spec.kind,
            params=spec.params,
            level=spec.level,
            enabled=enabled,
            version=1,
        )
        note = f"{DEFAULT_CHANGE_NOTE}. {item['note']}" if item.get("note") else DEFAULT_CHANGE_NOTE
        version_model.objects.create(rule=rule, version=1, snapshot=snapshot, change_note=note, changed_at=now)
    return len(default_rules())


def reinstall_after_flush(sender: Any, using: str = "default", **kwargs: Any) -> None:
    from django.db import connections

    from safeguarding.earlywarning.models import Rule, RuleVersion

    if Rule._meta.db_table not in connections[using].introspection.table_names():
        return  # migrating backwards, or the table is not there yet
    install_default_rules(Rule.objects.db_manager(using).model, RuleVersion)
