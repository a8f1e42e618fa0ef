from django.apps import AppConfig


class InsightConfig(AppConfig):
    name = "safeguarding.insight"
    label = "insight"
    verbose_name = "Reports for the partnership and its board"
