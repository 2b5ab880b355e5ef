"""Password and challenge-answer hashing (argon2id) and the password policy."""

from __future__ import annotations

import re
from dataclasses import dataclass

from passlib.context import CryptContext


@dataclass(frozen=True)
class PasswordPolicy:
    """NIST SP 800-63B style: a length window, plus an optional regular expression."""

    min_length: int = 8
    max_length: int = 64
    regex: str = ""
    regex_message: str = ""

    def problem(self, password: str | None) -> str | None:
        """Why the password is refused, or None when it is acceptable."""
        if not password or not password.strip():
            return "The password must not be empty."
        if not self.min_length <= len(password) <= self.max_length:
            return (
                f"The password must be {self.min_length} to {self.max_length} characters long."
            )
        if self.regex and re.fullmatch(self.regex, password) is None:
            return self.regex_message or "The password does not match the password policy."
        return None


class SlowHasher:
    """argon2id through passlib, for human-chosen secrets: passwords and challenge answers."""

    def __init__(self, memory_kib: int = 19456, time_cost: int = 2, parallelism: int = 1) -> None:
        self._context = CryptContext(
            schemes=["argon2"],
            argon2__type="ID",
            argon2__memory_cost=memory_kib,
            argon2__rounds=time_cost,
            argon2__parallelism=parallelism,
        )
        # A hash of nothing in particular, verified when there is no user, so that an unknown
        # user costs the same time as a known one.
        self._decoy = self._context.hash("decoy-password-for-timing")

    def hash(self, secret: str) -> str:
        return self._context.hash(secret)

    def verify(self, secret: str, hashed: str | None) -> bool:
        if not hashed:
            self._context.verify(secret, self._decoy)
            return False
        return bool(self._context.verify(secret, hashed))


def normalise_answer(answer: str) -> str:
    """Answers match after trimming and lower-casing, as the legacy server compared them."""
    return answer.strip().lower()
