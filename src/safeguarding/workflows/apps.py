from django.apps import AppConfig


class WorkflowsConfig(AppConfig):
    name = "safeguarding.workflows"
    label = "workflows"
    verbose_name = "Workflows that cross rooms"

    def ready(self) -> None:
        """Wire the rooms together from above: early warning asks which children are under a plan
        and when each was first referred, and the rooms that know (the front door, the panel) stand
        above it, so they are introduced to it here rather than imported by it."""
        from safeguarding.earlywarning.sources import register_plan_source, register_referral_source
        from safeguarding.frontdoor.selectors import concern_moments
        from safeguarding.panel.selectors import children_under_active_plan, referral_moments

        register_plan_source("panel", children_under_active_plan)
        register_referral_source("frontdoor", concern_moments)
        register_referral_source("panel", referral_moments)
