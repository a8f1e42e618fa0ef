from django.apps import AppConfig


class PanelConfig(AppConfig):
    name = "safeguarding.panel"
    label = "panel"
    verbose_name = "Exploitation panel (MACE)"
