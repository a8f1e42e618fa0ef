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
        from safeguarding.earlywarning.sources import register_plan_source, register_referral_source
        from safeguarding.frontdoor.selectors import concern_moments
        from safeguarding.linkage.sources import register_worked_with_source
        from safeguarding.panel.selectors import children_under_active_plan, referral_moments
        from safeguarding.workflows import subject_access, worked_with

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
        # Record linkage puts first in its review queue the pairs touching a child the partnership works with.
        register_worked_with_source("alerts", "an alert", worked_with.children_alerted)
        register_worked_with_source("concerns", "a concern", worked_with.children_with_concerns)
        register_worked_with_source("plans", "a plan", worked_with.children_under_plan)
        register_worked_with_source("panel", "a panel referral", worked_with.children_referred)
