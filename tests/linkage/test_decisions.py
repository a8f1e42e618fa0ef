"""What a reviewer is told of the model's evidence on a pair. The decisions themselves are tested on the
linked demo (test_on_the_linked_demo.py)."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("weight, words", [
    (7.2, "Strong evidence for a match"),
    (-3.4, "Moderate evidence against a match"),
    (1.0, "Some evidence for a match"),
    (-0.4, "Slight evidence against a match"),
    (0.01, "No evidence either way"),
])
def test_match_evidence_is_said_in_words_not_bits(weight: float, words: str) -> None:
    from safeguarding.linkage.selectors import evidence_in_words

    assert evidence_in_words(weight) == words
