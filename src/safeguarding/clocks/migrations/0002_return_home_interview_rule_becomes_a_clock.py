"""The early-warning rule "Return home interview not held within 72 hours" becomes the return home
interview clock (issue 13): the rule is switched off with a new version saying why, so it raises no
more alerts; its alerts and versions are kept. A statutory duty not met is for the agencies to chase,
not evidence about the child (DOMAIN.md)."""

from django.db import migrations
from django.utils import timezone

CODE = "no-return-home-interview"
NOTE = (
    "Switched off: return home interviews are now statutory clocks (Clocks on the child's record, the work lists, "
    "escalation), so the alerts queue holds risk and the clocks hold compliance. Its alerts are kept."
)


def forwards(apps, schema_editor):
    Rule = apps.get_model("earlywarning", "Rule")
    RuleVersion = apps.get_model("earlywarning", "RuleVersion")
    rule = Rule.objects.filter(code=CODE, enabled=True).first()
    if rule is None:
        return
    rule.enabled = False
    rule.version += 1
    rule.save(update_fields=["enabled", "version"])
    RuleVersion.objects.create(
        rule=rule,
        version=rule.version,
        snapshot={"name": rule.name, "description": rule.description, "kind": rule.kind,
                  "params": rule.params, "level": rule.level, "enabled": False},
        change_note=NOTE,
        changed_at=timezone.now(),
    )


class Migration(migrations.Migration):
    dependencies = [
        ("clocks", "0001_initial"),
        ("earlywarning", "0005_rule_tests_in_background"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
