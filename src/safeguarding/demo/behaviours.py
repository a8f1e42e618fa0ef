"""Named partnerships built from the generator's behavioural knobs, so that rules are measured on
areas they were not tuned on, not only on the default one.

Each variant changes what the children do, never how agencies write it down (that is
``agencies``/``writer``'s part). The default generator is the first; the others are the ways a
real area differs from it that make an early warning fail (issue 15): many children who go missing
or miss school for reasons other than exploitation, and exploited children who are rarely reported
missing, whose signs surface in health, in police stops and in who they are with, and whom
professionals name late. ``county`` is the last at the prevalence of a county (about one child in
four hundred exploited).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from safeguarding.demo.households import Everyday
from safeguarding.demo.networks import ExploitedChildren


@dataclass(frozen=True)
class Behaviour:
    name: str
    about: str
    everyday: Everyday = field(default_factory=Everyday)
    exploited: ExploitedChildren = field(default_factory=ExploitedChildren)


# Children who go missing or miss school for other reasons: about 1.2% of children aged 10-17 in
# care placements they run from, 3% in conflict at home, 3% young carers, 3% anxious; teenagers
# using sexual health services a little more, and from 13.
OTHER_REASONS = Everyday(
    in_care=0.012, family_conflict=0.03, young_carers=0.03, anxious=0.03,
    teen_sexual_health=0.08, sexual_health_from_age=13.0,
)
# Exploited children most of whom are never reported missing; their signs are in health, in police
# stops with adults, and who they are found with; named later than in the default area.
RARELY_MISSING = ExploitedChildren(
    never_missing=0.6, missing=0.3, health_signs=1.5, stops_with_adults=1.0,
)

BEHAVIOURS: dict[str, Behaviour] = {
    b.name: b
    for b in (
        Behaviour("default", "the generator as it always was"),
        Behaviour("other-reasons", "many children go missing or miss school for reasons other than exploitation",
                  everyday=OTHER_REASONS),
        Behaviour("rarely-missing", "exploited children rarely reported missing; signs in health, stops, company",
                  exploited=RARELY_MISSING),
        Behaviour(
            "independent-style",
            "both, and professionals name exploitation later (the kind of area the hub was not tuned on)",
            everyday=OTHER_REASONS,
            exploited=ExploitedChildren(never_missing=0.6, missing=0.3, health_signs=1.5, stops_with_adults=1.0,
                                        concern_delay=1.8),
        ),
        Behaviour(
            "county",
            "independent-style at a county's prevalence: a network for every 4,000 children, 0.06% exploited alone",
            everyday=OTHER_REASONS,
            exploited=ExploitedChildren(never_missing=0.6, missing=0.3, health_signs=1.5, stops_with_adults=1.0,
                                        concern_delay=1.8, network_every=4000, lone_share=0.0006),
        ),
    )
}
