"""The default argon2id parameters meet OWASP's minimum, and hashes made under the previous
defaults are upgraded the next time their password or answer is proved right."""

from __future__ import annotations

from recovery_soap.config import Settings
from recovery_soap.core.passwords import SlowHasher

#: OWASP Password Storage Cheat Sheet argon2id configurations (memory KiB, iterations), p=1.
OWASP = ((47104, 1), (19456, 2), (12288, 3), (9216, 4), (7168, 5))


def test_default_parameters_are_at_least_an_owasp_configuration() -> None:
    settings = Settings()
    memory, rounds = settings.argon2_memory_kib, settings.argon2_time_cost
    assert any(memory >= m and rounds >= t for m, t in OWASP)
    hashed = SlowHasher(memory, rounds).hash("Secret#1")
    assert hashed.startswith("$argon2id$") and f"m={memory},t={rounds},p=1" in hashed


def test_a_hash_under_the_previous_defaults_is_upgraded_on_success() -> None:
    previous = SlowHasher(memory_kib=19456, time_cost=2).hash("Secret#1")
    current = SlowHasher(Settings().argon2_memory_kib, Settings().argon2_time_cost)
    ok, upgraded = current.verify_and_update("Secret#1", previous)
    assert ok and upgraded is not None and "t=3" in upgraded
    assert current.verify_and_update("Wrong#1", previous) == (False, None)
    assert current.verify_and_update("Secret#1", upgraded) == (True, None)
