"""Profiles and claims: the directory's create, read, search, replace and delete, and which
claims exist and may be set."""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import Engine

from recovery_soap.core import claims, directory
from recovery_soap.core.errors import InvalidUser
from recovery_soap.core.model import Caller, Match, MessageKind, UserCondition, UserField
from recovery_soap.core.profiles import (
    ClaimNotSettable,
    InvalidClaimValue,
    PasswordRefused,
    Profile,
    ProfileChange,
    UsernameTaken,
    VersionMismatch,
)
from recovery_soap.core.services import Services
from tests.core.conftest import (
    EMAIL,
    GIVEN,
    NEW_PASSWORD,
    PASSWORD,
    SET1,
    KnownRandom,
    Mail,
    audit_events,
    login_ok,
)


def made(env: Services, caller: Caller, name: str, **extra: str) -> Profile:
    return directory.create(env, caller, name, PASSWORD, {EMAIL: f"{name}@example.test", **extra})


def test_create_and_read(env: Services, caller: Caller, engine: Engine) -> None:
    created = made(env, caller, "vic", **{GIVEN: "Victor"})
    assert created.active and created.claims == {EMAIL: "vic@example.test", GIVEN: "Victor"}
    assert directory.read(env, caller, created.id) == created
    assert ("user_created", "success", "vic") in audit_events(engine)
    with pytest.raises(UsernameTaken):
        made(env, caller, "vic")


def test_create_refuses_bad_claims_names_and_passwords(env: Services, caller: Caller) -> None:
    with pytest.raises(ClaimNotSettable):
        directory.create(env, caller, "vic", PASSWORD, {SET1: "q!a"})
    with pytest.raises(InvalidClaimValue):
        directory.create(env, caller, "vic", PASSWORD, {EMAIL: "not an address"})
    with pytest.raises(InvalidClaimValue):
        directory.create(env, caller, "vic", PASSWORD, {GIVEN: "x" * 1025})
    with pytest.raises(InvalidClaimValue):
        directory.create(env, caller, "a b", PASSWORD, {})
    with pytest.raises(PasswordRefused):
        directory.create(env, caller, "vic", "short", {})
    with env.uow(readonly=True) as uow:
        assert uow.users.get(caller.tenant, "vic") is None


def test_a_user_created_without_password_gets_an_unknown_one(
    env: Services, caller: Caller, known: KnownRandom
) -> None:
    created = directory.create(env, caller, "vic", None, {EMAIL: "vic@example.test"})
    assert created.active
    assert not login_ok(env, caller, "vic", known.issued[-2] + known.issued[-1] + "x")
    assert login_ok(env, caller, "vic", known.issued[-2] + known.issued[-1])


def test_search_pages_by_id(env: Services, caller: Caller) -> None:
    for name in ("amy", "ann", "bob"):
        made(env, caller, name)
    starts = UserCondition(UserField.USERNAME, Match.STARTS_WITH, "a")
    page = directory.search(env, caller, [starts], start_index=2, count=5)
    assert page.total == 2 and [p.username for p in page.profiles] == ["ann"]
    by_mail = UserCondition(UserField.EMAIL, Match.EQUALS, "BOB@example.test")
    assert [p.username for p in directory.search(env, caller, [by_mail]).profiles] == ["bob"]
    assert directory.search(env, caller, [], start_index=0, count=0).profiles == []


def test_replace_sets_and_clears_claims_and_checks_the_version(
    env: Services, caller: Caller
) -> None:
    created = made(env, caller, "vic", **{GIVEN: "Victor"})
    changed = directory.replace(
        env, caller, created.id, lambda _: ProfileChange(claims={GIVEN: None}), created.version
    )
    assert GIVEN not in changed.claims and changed.version != created.version
    with pytest.raises(VersionMismatch):
        directory.replace(
            env, caller, created.id, lambda _: ProfileChange(claims={GIVEN: "V"}), created.version
        )


def test_replace_renames_deactivates_and_changes_the_password(
    env: Services, caller: Caller, mail: Mail
) -> None:
    created = made(env, caller, "vic")
    made(env, caller, "taken")
    with pytest.raises(UsernameTaken):
        directory.replace(env, caller, created.id, lambda _: ProfileChange(username="taken"))
    changed = directory.replace(
        env,
        caller,
        created.id,
        lambda _: ProfileChange(username="victor", password=NEW_PASSWORD, active=False),
    )
    assert changed.username == "victor" and not changed.active
    assert mail.kinds("vic@example.test") == [MessageKind.PASSWORD_CHANGED.value]
    directory.replace(env, caller, created.id, lambda _: ProfileChange(active=True))
    assert login_ok(env, caller, "victor", NEW_PASSWORD)


def test_a_user_may_not_change_its_name_or_state(env: Services, caller: Caller) -> None:
    created = made(env, caller, "vic")
    me = dataclasses.replace(caller, user_id=created.id)
    assert directory.read(env, me, created.id).username == "vic"
    with pytest.raises(ClaimNotSettable):
        directory.replace(env, me, created.id, lambda _: ProfileChange(username="other"))
    with pytest.raises(ClaimNotSettable):
        directory.replace(env, me, created.id, lambda _: ProfileChange(active=False))
    changed = directory.replace(env, me, created.id, lambda _: ProfileChange(claims={GIVEN: "V"}))
    assert changed.claims[GIVEN] == "V"


def test_delete(env: Services, caller: Caller, engine: Engine) -> None:
    created = made(env, caller, "vic")
    with pytest.raises(VersionMismatch):
        directory.delete(env, caller, created.id, "stale")
    directory.delete(env, caller, created.id, created.version)
    with pytest.raises(InvalidUser):
        directory.read(env, caller, created.id)
    assert ("user_deleted", "success", "vic") in audit_events(engine)


def test_the_claim_dialect() -> None:
    listed = claims.supported_claims(claims.DIALECT + "/")
    assert [c.uri for c in listed][:3] == [GIVEN, f"{claims.DIALECT}/lastname", EMAIL]
    assert claims.supported_claims("urn:other") == []
    assert claims.is_challenge_set(SET1) and not claims.is_challenge_set(claims.CHALLENGE_URIS)
    assert claims.settable_profile_claim(EMAIL)
    assert not claims.settable_profile_claim("urn:not:a:claim")
