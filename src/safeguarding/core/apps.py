from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "safeguarding.core"
    label = "core"
