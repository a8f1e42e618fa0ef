from django.apps import AppConfig


class AccountSecurityConfig(AppConfig):
    name = "safeguarding.accounts.security"
    label = "account_security"
    verbose_name = "Account security"
