from django.apps import AppConfig


class MaceConfig(AppConfig):
    name = "safeguarding.mace"
    label = "mace"
    verbose_name = "Panel meetings, plans and actions (MACE)"
