"""How strong a password must be: zxcvbn's estimate of how many guesses it would take, beside
Django's length, common-password, all-numbers and likeness checks (settings.AUTH_PASSWORD_VALIDATORS)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from zxcvbn import zxcvbn

# zxcvbn looks at no more than this (it refuses, by default, anything over 72: a longer password crashed the
# page); a longer password is long enough to be strong anyway.
_LONGEST_CHECKED = 100


def _words_of(user: Any) -> list[str]:
    """What an attacker would try first: the person's names and username, the partnership and the hub."""
    words = [settings.PARTNERSHIP_NAME, "safeguarding", "hub", *settings.PARTNERSHIP_NAME.split()]
    if user is not None:
        for field in ("username", "first_name", "last_name", "email", "job_title"):
            value = str(getattr(user, field, "") or "")
            words.extend([value, *value.replace(".", " ").replace("@", " ").split()])
    return [w for w in words if w]


class MaximumLengthValidator:
    """Refuses a password longer than the sign-in form accepts, wherever it is set (a page, or
    ``safeguarding users add``), so that no one is given a password they could never type in."""

    def __init__(self, max_length: int = 200) -> None:
        self.max_length = max_length

    def validate(self, password: str, user: Any = None) -> None:
        if len(password) > self.max_length:
            raise ValidationError(f"Enter a password of {self.max_length} characters or fewer",
                                  code="password_too_long")

    def get_help_text(self) -> str:
        return f"Your password must be {self.max_length} characters or fewer."


class StrengthValidator:
    """Refuses a password zxcvbn scores below ``min_score`` (0 to 4; 3 means about 10^8 guesses or
    more), with wording in the GOV.UK style and zxcvbn's reason when it gives one."""

    def __init__(self, min_score: int = 3) -> None:
        self.min_score = min_score

    def validate(self, password: str, user: Any = None) -> None:
        result = zxcvbn(password[:_LONGEST_CHECKED], user_inputs=_words_of(user), max_length=_LONGEST_CHECKED)
        if result["score"] >= self.min_score:
            return
        warning = (result.get("feedback") or {}).get("warning") or ""
        message = "Enter a password that is harder to guess"
        if warning:
            message += f": {warning[0].lower()}{warning[1:].rstrip('.')}"
        raise ValidationError(
            f"{message}. Use 3 or more unrelated words, for example 'kettle-orbit-lantern'.",
            code="password_too_guessable",
        )

    def get_help_text(self) -> str:
        return "Your password must be hard to guess: 3 or more unrelated words work well."
