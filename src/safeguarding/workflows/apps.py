from django.apps import AppConfig


class WorkflowsConfig(AppConfig):
    name = "safeguarding.workflows"
    label = "workflows"
    verbose_name = "Workflows that cross rooms"

    def ready(self) -> None:
        """Wire the rooms together from above: early warning asks which children are under a plan
        and when each was first referred, and the rooms that know (the front door, the panel) stand
        above it, so they are introduced to it here rather than imported by it."""
        from safeguarding.accounts.access import register_hidden_persons
        from safeguarding.dataprotection.selectors import persons_hidden_by_seals
        from safeguarding.dataprotection.sources import register_sar_source
        from safeguarding.earlywarning.sources import (
            register_panel_referral_source,
            register_plan_source,
            register_referral_source,
        )
        from safeguarding.frontdoor.selectors import concern_moments
        from safeguarding.panel.selectors import children_under_active_plan, referral_moments
        from safeguarding.workflows import subject_access

        register_plan_source("panel", children_under_active_plan)
        # Subject access requests read the rooms beside and above data protection through these.
        register_sar_source("frontdoor", subject_access.concerns)
        register_sar_source("earlywarning", subject_access.alerts)
        register_sar_source("screening", subject_access.screenings)
        register_sar_source("panel", subject_access.referrals)
        # Sealed records: every read through the access policy leaves out who is sealed from whom.
        register_hidden_persons("dataprotection", persons_hidden_by_seals)
        register_referral_source("frontdoor", concern_moments)
        register_referral_source("panel", referral_moments)
        # The missed-opportunity report reviews every child referred to the panel.
        register_panel_referral_source("panel", referral_moments)
