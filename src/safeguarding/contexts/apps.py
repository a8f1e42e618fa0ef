from django.apps import AppConfig


class ContextsConfig(AppConfig):
    name = "safeguarding.contexts"
    label = "contexts"
    verbose_name = "Contexts: entities, links, intelligence and networks"
