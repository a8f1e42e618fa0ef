from django.apps import AppConfig


class EarlyWarningConfig(AppConfig):
    name = "safeguarding.earlywarning"
    label = "earlywarning"
    verbose_name = "Early warning"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from safeguarding.earlywarning.defaults import reinstall_after_flush

        post_migrate.connect(reinstall_after_flush, sender=self)
