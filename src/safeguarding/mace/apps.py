from django.apps import AppConfig


class MaceConfig(AppConfig):
    name = "safeguarding.mace"
    label = "mace"
    verbose_name = "Panel meetings, plans and actions (MACE)"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from safeguarding.mace.defaults import reinstall_after_flush

        post_migrate.connect(reinstall_after_flush, sender=self)
