from django.apps import AppConfig


class DataProtectionConfig(AppConfig):
    name = "safeguarding.dataprotection"
    label = "dataprotection"
    verbose_name = "Data protection (the audit trail for the data protection officer)"
