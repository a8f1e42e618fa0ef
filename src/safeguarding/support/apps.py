from django.apps import AppConfig


class SupportConfig(AppConfig):
    name = "safeguarding.support"
    label = "support"
    verbose_name = "Survivor support (plans that continue past 18, the survivor's voice)"
