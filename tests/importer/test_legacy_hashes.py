"""Legacy WSO2 digests wrapped in argon2id: they verify, and the first success upgrades them."""

from __future__ import annotations

import base64
import hashlib

import pytest

from recovery_soap.core.passwords import (
    LEGACY_SCHEME,
    SlowHasher,
    is_legacy_digest,
    is_wrapped_legacy,
    legacy_digest,
    legacy_salt,
    normalise_answer,
)

HASHER = SlowHasher(memory_kib=1024, time_cost=1)
SALT = "uX9p917fNccf2tNwZurpHQ=="


def test_legacy_digest_is_base64_sha256_of_secret_and_salt() -> None:
    expected = base64.b64encode(hashlib.sha256(b"Secret#1" + SALT.encode()).digest()).decode()
    assert legacy_digest("Secret#1", SALT) == expected
    assert is_legacy_digest(expected)


@pytest.mark.parametrize(
    "value",
    [
        "",
        "plain-text-password",
        "A" * 44,
        "$argon2id$v=19$x",
        base64.b64encode(b"x" * 31).decode() + "=",
    ],
)
def test_other_values_are_not_legacy_digests(value: str) -> None:
    assert not is_legacy_digest(value)


@pytest.mark.parametrize("salt", ["", SALT, "odd $alt with spaces and ünïcode"])
def test_wrapped_digest_verifies_and_upgrades_on_first_success(salt: str) -> None:
    wrapped = HASHER.wrap_legacy(legacy_digest("Secret#1", salt), salt)
    assert wrapped.startswith(LEGACY_SCHEME) and is_wrapped_legacy(wrapped)
    assert legacy_digest("Secret#1", salt) not in wrapped
    assert legacy_salt(wrapped) == salt
    assert HASHER.recognises(wrapped)

    assert HASHER.verify_and_update("Secret#2", wrapped) == (False, None)
    ok, upgraded = HASHER.verify_and_update("Secret#1", wrapped)
    assert ok and upgraded is not None
    assert upgraded.startswith("$argon2id$") and not is_wrapped_legacy(upgraded)
    assert HASHER.verify_and_update("Secret#1", upgraded) == (True, None)
    assert HASHER.verify("Secret#1", wrapped) and not HASHER.verify("Secret#2", wrapped)


def test_wrapped_answer_digest_verifies_the_normalised_answer() -> None:
    wrapped = HASHER.wrap_legacy(legacy_digest(normalise_answer("  Colombo ")))
    assert HASHER.verify_and_update(normalise_answer("COLOMBO"), wrapped)[0]
    assert not HASHER.verify(normalise_answer("Kandy"), wrapped)


def test_holds_legacy_compares_digest_and_salt() -> None:
    digest = legacy_digest("Secret#1", SALT)
    wrapped = HASHER.wrap_legacy(digest, SALT)
    assert HASHER.holds_legacy(wrapped, digest, SALT)
    assert not HASHER.holds_legacy(wrapped, digest, "another salt")
    assert not HASHER.holds_legacy(wrapped, legacy_digest("Secret#2", SALT), SALT)
    assert not HASHER.holds_legacy(HASHER.hash(digest), digest, SALT)


def test_a_current_hash_with_other_parameters_is_upgraded() -> None:
    old = SlowHasher(memory_kib=2048, time_cost=1).hash("Secret#1")
    ok, upgraded = HASHER.verify_and_update("Secret#1", old)
    assert ok and upgraded is not None and "m=1024" in upgraded


def test_no_hash_never_verifies() -> None:
    assert HASHER.verify_and_update("Secret#1", None) == (False, None)
    assert HASHER.verify_and_update("Secret#1", "") == (False, None)


@pytest.mark.parametrize(
    "hashed, known",
    [
        (HASHER.hash("x"), True),
        (HASHER.wrap_legacy(legacy_digest("x")), True),
        ("$2b$12$abcdefghijklmnopqrstuv", False),
        ("$argon2id$garbage", False),
        (f"{LEGACY_SCHEME}no-separator", False),
        ("plain", False),
    ],
)
def test_recognises_only_what_it_can_verify(hashed: str, known: bool) -> None:
    assert HASHER.recognises(hashed) is known


@pytest.mark.parametrize("salt", ["", SALT, "odd $alt with spaces and ünïcode"])
def test_bare_imported_digest_verifies_upgrades_and_rewraps(salt: str) -> None:
    """The import copies the digest as it is, marked with its scheme; it verifies and upgrades
    like a wrapped one, and `rehash` turns it into the argon2id wrap."""
    from recovery_soap.core.passwords import BARE_SCHEME, bare_legacy, is_bare_legacy

    digest = legacy_digest("Secret#1", salt)
    bare = bare_legacy(digest, salt)
    assert bare.startswith(BARE_SCHEME) and is_bare_legacy(bare) and is_wrapped_legacy(bare)
    assert legacy_salt(bare) == salt and HASHER.recognises(bare)
    assert HASHER.holds_legacy(bare, digest, salt)
    assert not HASHER.holds_legacy(bare, digest, "another salt")
    assert HASHER.verify_and_update("Secret#2", bare) == (False, None)
    ok, upgraded = HASHER.verify_and_update("Secret#1", bare)
    assert ok and upgraded is not None and upgraded.startswith("$argon2id$")

    wrapped = HASHER.rewrap(bare)
    assert wrapped is not None and wrapped.startswith(LEGACY_SCHEME) and digest not in wrapped
    assert not is_bare_legacy(wrapped) and HASHER.holds_legacy(wrapped, digest, salt)
    assert HASHER.verify("Secret#1", wrapped)
    assert HASHER.rewrap(wrapped) is None and HASHER.rewrap(upgraded) is None
    assert not HASHER.recognises(f"{BARE_SCHEME}{salt}$not-a-digest")
