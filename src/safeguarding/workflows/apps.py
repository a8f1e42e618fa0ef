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
        from safeguarding.contexts.selectors import intelligence_shared
        from safeguarding.dataprotection.selectors import persons_hidden_by_seals, sealed_person_ids
        from safeguarding.dataprotection.sources import register_sar_source, register_sharing_source
        from safeguarding.earlywarning.sources import (
            register_panel_referral_source,
            register_plan_source,
            register_referral_source,
        )
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
        register_sar_source("clocks", subject_access.casework)
        register_sar_source("mace", subject_access.panel_work)
        # The data protection officer's record of sharing holds police intelligence shared too.
        register_sharing_source("contexts", intelligence_shared)
        # Retention counts an adult's years from their last record in any room.
        from safeguarding.contexts.selectors import last_links_about
        from safeguarding.dataprotection.sources import register_last_record_source
        from safeguarding.justice.selectors import last_records_about

        register_last_record_source("contexts", last_links_about)
        register_last_record_source("justice", last_records_about)
        # The audit trail and subject access keep the police's looking at the adults they suspect with the police.
        from safeguarding.contexts.selectors import police_suspects_here as suspects_in_links
        from safeguarding.dataprotection.sources import register_suspect_source
        from safeguarding.justice.selectors import police_suspects_here as suspects_in_justice

        register_suspect_source("contexts", suspects_in_links)
        register_suspect_source("justice", suspects_in_justice)
        # Sealed records: every read through the access policy leaves out who is sealed from whom.
        register_hidden_persons("dataprotection", persons_hidden_by_seals, sealed_person_ids)
        # A notice a seal keeps from everyone who had to hear it goes to the seal's keeper instead.
        from safeguarding.dataprotection.sealing import tell_the_seals_keeper
        from safeguarding.notifications.services import register_withheld_notice

        register_withheld_notice(tell_the_seals_keeper)
        # A seal stops naming no one who holds open work for the person.
        from safeguarding.dataprotection.sources import register_open_work_source
        from safeguarding.mace.selectors import open_work_for

        register_open_work_source("mace", open_work_for)
        register_referral_source("frontdoor", concern_moments)
        register_referral_source("panel", referral_moments)

        # The clocks ask the panel's meetings for review clocks, and the roles and responsibilities
        # matrix which agency answers for each kind of clock; early warning asks the plans too.
        from safeguarding.clocks.sources import register_changed_since, register_clock_source, register_responsibility
        from safeguarding.mace.raci import CLOCK_STEPS
        from safeguarding.mace.selectors import children_reviewed_since, children_with_open_plan, panel_review_facts
        from safeguarding.mace.services import responsible_agency_for

        def clock_agency(kind: str) -> int | None:
            agency = responsible_agency_for(CLOCK_STEPS.get(kind, "panel"))
            return agency.pk if agency is not None else None

        register_clock_source("panel_review", panel_review_facts)
        register_changed_since("panel_review", children_reviewed_since)
        register_responsibility(clock_agency)
        register_plan_source("mace", children_with_open_plan)


        # The missed-opportunity report reviews every child referred to the panel.
        register_panel_referral_source("panel", referral_moments)


        # A network's links follow the marking of the events they were built from when an import changes it,
        # and the police's relationships between two people when the police name one a suspect.
        from safeguarding.contexts.services import links_follow_police_suspects, links_follow_reclassified_events
        from safeguarding.exchange.hooks import register_reclassified_hook, register_suspects_hook

        register_reclassified_hook("contexts", links_follow_reclassified_events)
        register_suspects_hook("contexts", links_follow_police_suspects)

        # Record linkage puts first in its review queue the pairs touching a child the partnership works with.
        register_worked_with_source("alerts", "an alert", worked_with.children_alerted)
        register_worked_with_source("concerns", "a concern", worked_with.children_with_concerns)
        register_worked_with_source("plans", "a plan", worked_with.children_under_plan)
        register_worked_with_source("panel", "a panel referral", worked_with.children_referred)
