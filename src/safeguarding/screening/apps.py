from django.apps import AppConfig


class ScreeningConfig(AppConfig):
    name = "safeguarding.screening"
    label = "screening"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from safeguarding.screening.defaults import reinstall_after_flush

        post_migrate.connect(reinstall_after_flush, sender=self)
