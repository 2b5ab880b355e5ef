"""The random source the service runs with: the system's CSPRNG, never the tests' counter."""

from __future__ import annotations

import re

from recovery_soap.app import build_services
from recovery_soap.config import Settings
from recovery_soap.core.code_secrets import SystemRandom
from tests.core.conftest import CODE


def test_the_built_environment_draws_from_the_system(settings: Settings, engine) -> None:
    source = build_services(settings, engine).random
    assert isinstance(source, SystemRandom)
    codes = {source.code() for _ in range(50)}
    assert len(codes) == 50 and all(CODE.fullmatch(c) for c in codes)
    secrets = {source.secret() for _ in range(50)}
    assert len(secrets) == 50 and all(re.fullmatch(r"[A-Za-z0-9_-]{43}", s) for s in secrets)


def test_issued_codes_come_from_the_environment(env, known, caller) -> None:
    from recovery_soap.core.captcha import new_captcha

    challenge = new_captcha(env, caller)
    assert challenge.secret_key == known.issued[-2]
