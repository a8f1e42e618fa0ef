"""Find a person and names written another way: of the demo generator's transliterations (each group one
name), how many a search for one spelling finds when a record holds another, by the start of the key and
the sound alone (before close spellings) and with them; and what the close spellings cost: the other
names of the project's lists (given names, family names) a search now also finds.

    .venv/bin/python bench/bench_search_spellings.py

The rule is the selector's (people.selectors): a given name is a close spelling within the family name
typed (Jaro-Winkler >= GIVEN_SPELLING_SIMILAR), a family name among the families that begin with its
letter (>= FAMILY_SPELLING_SIMILAR), each no more than SPELLING_EDITS letters changed, added, dropped or
swapped. The groups are the generator's own, so the figures are indicative.
"""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from django_setup import django_ready

django_ready()

import jellyfish  # noqa: E402

from safeguarding.core import normalise  # noqa: E402
from safeguarding.demo import names  # noqa: E402
from safeguarding.people import selectors  # noqa: E402


def found_before(typed: str, held: str) -> bool:
    return held.startswith(typed) or normalise.name_sound(typed) == normalise.name_sound(held) != ""


def close(typed: str, held: str, *, family: bool) -> bool:
    if len(typed) < selectors._SPELLING_FROM or typed == held:
        return False
    if family and held[:1] != typed[:1]:
        return False
    mark = selectors.FAMILY_SPELLING_SIMILAR if family else selectors.GIVEN_SPELLING_SIMILAR
    return (jellyfish.jaro_winkler_similarity(typed, held) >= mark
            and jellyfish.damerau_levenshtein_distance(typed, held) <= selectors.SPELLING_EDITS)


def main() -> None:
    surnames = {normalise.name_key(n) for n in names.ALL_SURNAMES}
    given_names = {normalise.name_key(n) for n in names.ALL_FIRST_NAMES}
    groups = [[normalise.name_key(n) for n in g] for g in names.TRANSLITERATION_GROUPS]
    same = {k: set(g) for g in groups for k in g}
    print("| names | ordered pairs | found by start or sound | with close spellings | still missed |")
    print("| --- | --- | --- | --- | --- |")
    for label, family in (("given", False), ("family", True)):
        pairs = [(a, b) for g in groups if (any(k in surnames for k in g) == family)
                 for a, b in itertools.permutations(dict.fromkeys(g), 2)]
        before = sum(found_before(a, b) for a, b in pairs)
        after = sum(found_before(a, b) or close(a, b, family=family) for a, b in pairs)
        missed = sorted({(a, b) for a, b in pairs if not (found_before(a, b) or close(a, b, family=family))})
        print(f"| {label} | {len(pairs)} | {before} | {after} | {len(missed)}: "
              f"{', '.join(f'{a}/{b}' for a, b in missed[:12])} |")
    print()
    print("| names | names in the lists | typed names that find another name they did not | "
          "other names found, all typed names together | median per typed name (of those that do) |")
    print("| --- | --- | --- | --- | --- |")
    examples = []
    for label, pool, family in (("given", given_names, False), ("family", surnames, True)):
        extra = {}
        for typed in sorted(pool):
            others = [h for h in pool if h not in same.get(typed, {typed}) and not found_before(typed, h)
                      and close(typed, h, family=family)]
            if others:
                extra[typed] = others
        counts = sorted(len(v) for v in extra.values())
        median = counts[len(counts) // 2] if counts else 0
        print(f"| {label} | {len(pool)} | {len(extra)} | {sum(counts)} | {median} |")
        examples += [f"- {label}, {typed}: {', '.join(sorted(others)[:10])}"
                     for typed, others in sorted(extra.items(), key=lambda kv: -len(kv[1]))[:4]]
    print("\nThe typed names that find the most others:")
    print("\n".join(examples))


if __name__ == "__main__":
    main()
