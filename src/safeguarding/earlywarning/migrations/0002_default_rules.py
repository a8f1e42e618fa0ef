"""Load the default early-warning rules (data/default_rules.json) into a new database."""

from django.db import migrations


def load_default_rules(apps, schema_editor):  # type: ignore[no-untyped-def]
    from safeguarding.earlywarning.defaults import install_default_rules

    install_default_rules(apps.get_model("earlywarning", "Rule"), apps.get_model("earlywarning", "RuleVersion"))


class Migration(migrations.Migration):
    dependencies = [("earlywarning", "0001_initial")]

    operations = [migrations.RunPython(load_default_rules, migrations.RunPython.noop)]
