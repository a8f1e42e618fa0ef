from django.apps import AppConfig


class ClocksConfig(AppConfig):
    name = "safeguarding.clocks"
    label = "clocks"
    verbose_name = "Statutory clocks"
