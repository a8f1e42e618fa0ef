from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "safeguarding.accounts"
    label = "accounts"

    def ready(self) -> None:
        from axes.signals import user_locked_out

        from safeguarding.accounts.lockout import lockout_recorded

        user_locked_out.connect(lockout_recorded, dispatch_uid="safeguarding-lockout-audit")

        from django.core.checks import register

        from safeguarding.accounts.single_sign_on import configuration_problems

        register(configuration_problems)
