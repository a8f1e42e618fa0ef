from django.apps import AppConfig


class JusticeConfig(AppConfig):
    name = "safeguarding.justice"
    label = "justice"
    verbose_name = "Justice: disruption, investigations and outcomes"
