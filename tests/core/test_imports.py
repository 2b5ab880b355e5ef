"""Importing users (core/user_import.py Importer): idempotent by tenant and username, legacy digests
kept until a first right check upgrades them, the service's own passwords never overwritten."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from sqlalchemy import Engine

from recovery_soap.core import login
from recovery_soap.core.import_report import ImportReport
from recovery_soap.core.legacy_records import (
    ImportedAnswer,
    ImportRecord,
    LegacySecret,
    PlainSecret,
    Skipped,
)
from recovery_soap.core.model import SUPER_TENANT, Caller
from recovery_soap.core.passwords import is_bare_legacy, legacy_digest
from recovery_soap.core.services import Services
from recovery_soap.core.user_import import DUPLICATE, Importer
from tests.core.conftest import (
    EMAIL,
    NEW_PASSWORD,
    PASSWORD,
    Q1,
    SET1,
    audit_events,
    login_ok,
    stored_user,
)

LEGACY_PASSWORD = "Legacy#Pass123"


def imported(
    env: Services,
    batches: Sequence[Sequence[ImportRecord | Skipped]],
    *,
    dry_run: bool = False,
    delete_missing: bool = False,
) -> ImportReport:
    """One run; the clock then moves on (a run tells this run's users by their creation time)."""
    importer = Importer(env, workers=1, dry_run=dry_run, delete_missing=delete_missing)
    report = importer.run(batches, source="core-tests")
    env.clock.advance(minutes=1)  # type: ignore[attr-defined]
    return report


def plain_record(name: str, tenant: str = SUPER_TENANT, **claims: str) -> ImportRecord:
    return ImportRecord(
        tenant=tenant,
        username=name,
        password=PlainSecret(PASSWORD),
        claims={EMAIL: f"{name}@example.test", **claims},
    )


def legacy_record(name: str, password: str = LEGACY_PASSWORD) -> ImportRecord:
    return ImportRecord(
        tenant=SUPER_TENANT,
        username=name,
        password=LegacySecret(legacy_digest(password, "salt1"), "salt1"),
        answers=(ImportedAnswer(SET1, Q1, LegacySecret(legacy_digest("kandy"))),),
    )


def test_records_are_created_then_unchanged(env: Services, caller: Caller, engine: Engine) -> None:
    first = imported(env, [[plain_record("ava"), plain_record("ben")]])
    assert (first.read, first.created, first.unchanged) == (2, 2, 0)
    assert login_ok(env, caller, "ava", PASSWORD)
    again = imported(env, [[plain_record("ava"), plain_record("ben")]])
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    assert [e for e in audit_events(engine) if e[0] == "users_imported"]


def test_a_changed_claim_updates_the_user(env: Services, caller: Caller) -> None:
    imported(env, [[plain_record("ava")]])
    report = imported(env, [[plain_record("ava", **{EMAIL: "ava@new.test"})]])
    assert report.updated == 1
    with env.uow(readonly=True) as uow:
        user = stored_user(env, caller.tenant, "ava")
        assert uow.users.claims(user)[EMAIL] == "ava@new.test"


def test_legacy_digests_are_kept_and_upgraded_by_a_right_check(
    env: Services, caller: Caller
) -> None:
    imported(env, [[legacy_record("cai")]])
    assert is_bare_legacy(stored_user(env, caller.tenant, "cai").password_hash)
    assert not login_ok(env, caller, "cai", "Wrong#Pass123")
    login.log_in(env, caller, "cai", LEGACY_PASSWORD)  # commits the upgraded hash
    assert not is_bare_legacy(stored_user(env, caller.tenant, "cai").password_hash)
    assert login_ok(env, caller, "cai", LEGACY_PASSWORD)


def test_a_password_the_service_owns_is_never_overwritten(env: Services, caller: Caller) -> None:
    from recovery_soap.core import directory
    from recovery_soap.core.profiles import ProfileChange

    imported(env, [[legacy_record("cai")]])
    user = stored_user(env, caller.tenant, "cai")
    directory.replace(env, caller, user.id, lambda _: ProfileChange(password=NEW_PASSWORD))
    imported(env, [[legacy_record("cai", "Another#Pass1")]])
    assert login_ok(env, caller, "cai", NEW_PASSWORD)
    assert not login_ok(env, caller, "cai", "Another#Pass1")


def test_skips_are_counted_with_their_reason(env: Services, caller: Caller) -> None:
    weak = ImportRecord(tenant=SUPER_TENANT, username="weak", password=PlainSecret("short"))
    report = imported(
        env,
        [
            [
                plain_record("ava"),
                plain_record("ava"),
                weak,
                Skipped(SUPER_TENANT, "broken", "unreadable line"),
                plain_record(""),
            ]
        ],
    )
    assert report.created == 1 and report.read == 5
    assert report.skipped[DUPLICATE] == 1 and report.skipped["unreadable line"] == 1
    assert sum(report.skipped.values()) == 4
    with env.uow(readonly=True) as uow:
        assert uow.users.get(caller.tenant, "weak") is None


def test_a_new_tenant_is_created_with_its_users(env: Services) -> None:
    report = imported(env, [[plain_record("dan", "import.test")]])
    assert report.tenants_created == ["import.test"] and report.created == 1
    with env.uow(readonly=True) as uow:
        tenant = uow.tenants.by_domain("import.test")
        assert tenant is not None and uow.users.get(tenant, "dan") is not None
    bad = imported(env, [[plain_record("eve", "not a domain")]])
    assert bad.created == 0 and sum(bad.skipped.values()) == 1


def test_a_dry_run_writes_nothing(env: Services, caller: Caller) -> None:
    report = imported(env, [[plain_record("ava"), plain_record("fay", "dry.test")]], dry_run=True)
    assert report.created == 2 and report.missing is None
    with env.uow(readonly=True) as uow:
        assert uow.users.get(caller.tenant, "ava") is None
        assert uow.tenants.by_domain("dry.test") is None


@pytest.mark.parametrize("delete", [False, True])
def test_users_gone_from_the_source_are_reported_or_deleted(
    env: Services, caller: Caller, delete: bool
) -> None:
    imported(env, [[plain_record("ava"), plain_record("ben")]])
    report = imported(env, [[plain_record("ava")]], delete_missing=delete)
    assert report.missing == 1 and report.missing_examples == [f"ben@{SUPER_TENANT}"]
    with env.uow(readonly=True) as uow:
        assert (uow.users.get(caller.tenant, "ben") is None) is delete
