"""Install the default screening tool for England (screening/data/england.json) as version 1."""

from django.db import migrations


def install(apps, schema_editor):  # type: ignore[no-untyped-def]
    from safeguarding.screening.defaults import install_default

    install_default(apps.get_model("screening", "ScreeningToolVersion"))


class Migration(migrations.Migration):
    dependencies = [("screening", "0001_initial")]

    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
