"""The core importer on the run's store: races with the live service, duplicates, bad tenants."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from recovery_soap.app import build_services, prepare_database
from recovery_soap.config import Settings
from recovery_soap.core import admin
from recovery_soap.core.credentials import check_password
from recovery_soap.core.legacy_records import ImportRecord, LegacySecret, PlainSecret
from recovery_soap.core.model import User
from recovery_soap.core.passwords import is_wrapped_legacy, legacy_digest
from recovery_soap.core.services import Services
from recovery_soap.core.user_import import CHANGED_MEANWHILE, Importer
from tests.conftest import unique


@pytest.fixture
def env(base_settings: Settings) -> Iterator[Services]:
    engine = prepare_database(base_settings)
    yield build_services(base_settings, engine)
    engine.dispose()


def legacy(tenant: str, username: str, password: str, salt: str) -> ImportRecord:
    return ImportRecord(
        tenant=tenant, username=username, password=LegacySecret(legacy_digest(password, salt), salt)
    )


def test_a_user_the_service_changes_during_the_import_is_left_alone(
    env: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    tenant, name = f"{unique('race')}.test", unique("race")
    Importer(env).run([[legacy(tenant, name, "Old#Legacy1", "salt-1")]])
    service_hash = env.slow.hash("Recovered#Meanwhile1")
    planned = Importer._plan

    def plan_then_recover(self: Importer, *args: Any) -> Any:
        result = planned(self, *args)
        with env.uow() as uow:  # a password recovery finishing between read and write
            user = admin.find_user(uow, tenant, name)
            uow.users.set_password(user, service_hash, env.clock.now())
            uow.commit()
        return result

    monkeypatch.setattr(Importer, "_plan", plan_then_recover)
    report = Importer(env).run([[legacy(tenant, name, "New#Legacy2", "salt-2")]])
    assert report.skipped == {CHANGED_MEANWHILE: 1} and report.updated == 0
    with env.uow() as uow:
        assert admin.find_user(uow, tenant, name).password_hash == service_hash


def test_duplicates_and_unusable_tenants_are_skipped_with_reasons(env: Services) -> None:
    tenant, name = f"{unique('dup')}.test", unique("dup")
    report = Importer(env).run(
        [
            [legacy(tenant, name, "Pass#Word1", "s")],
            [
                legacy(tenant.upper(), name, "Pass#Word1", "s"),
                legacy("bad tenant", unique("x"), "Pass#Word1", "s"),
                ImportRecord(tenant=tenant, username=" ", password=PlainSecret("Pass#Word1")),
            ],
        ]
    )
    assert (report.read, report.created) == (4, 1)
    assert report.skipped == {
        "the same user appears twice in the source": 1,
        "invalid tenant: Not a tenant domain: 'bad tenant'": 1,
        "username empty or longer than 255 characters": 1,
    }


def test_progress_is_reported_after_every_batch(env: Services) -> None:
    tenant = f"{unique('progress')}.test"
    seen: list[int] = []
    batches = [[legacy(tenant, unique("p"), "Pass#Word1", "s") for _ in range(3)] for _ in range(2)]
    Importer(env, progress=seen.append, workers=2).run(batches)
    assert seen == [3, 6]


def test_check_password_upgrades_an_imported_password_with_the_unit_of_work(env: Services) -> None:
    tenant, name = f"{unique('login')}.test", unique("login")
    Importer(env).run([[legacy(tenant, name, "Old#Legacy1", "salt-1")]])

    def stored() -> User:
        with env.uow() as uow:
            return admin.find_user(uow, tenant, name)

    imported = stored()
    assert is_wrapped_legacy(imported.password_hash)
    with env.uow() as uow:
        assert not check_password(env, uow, imported, "Wrong#Legacy1")
        assert not check_password(env, uow, None, "Old#Legacy1")
        uow.commit()
    assert stored() == imported
    with env.uow() as uow:  # right, but rolled back: the wrap stays
        assert check_password(env, uow, imported, "Old#Legacy1")
    assert stored() == imported
    with env.uow() as uow:
        assert check_password(env, uow, imported, "Old#Legacy1")
        uow.commit()
    upgraded = stored()
    assert upgraded.password_hash.startswith("$argon2id$")
    assert env.slow.verify_and_update("Old#Legacy1", upgraded.password_hash) == (True, None)
    assert upgraded.password_changed_at == imported.password_changed_at  # a rehash, no change
