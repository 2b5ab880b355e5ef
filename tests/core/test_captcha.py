"""Captchas: one image and key, checked once, gone after any check, expiring."""

from __future__ import annotations

import pytest

from recovery_soap.core import captcha
from recovery_soap.core.errors import InvalidCaptcha
from recovery_soap.core.model import Caller, CaptchaInput
from recovery_soap.core.services import Services
from tests.core.conftest import CaptchaTexts, FixedClock, KnownRandom, with_policy


def test_a_right_answer_passes_once(
    env: Services, caller: Caller, captcha_texts: CaptchaTexts
) -> None:
    challenge = captcha.new_captcha(env, caller)
    answer = CaptchaInput(challenge.secret_key, captcha_texts.last)
    captcha.check_captcha(env, answer, "bad")
    with pytest.raises(InvalidCaptcha):
        captcha.check_captcha(env, answer, "bad")


def test_the_answer_is_not_case_sensitive(
    env: Services, caller: Caller, captcha_texts: CaptchaTexts
) -> None:
    challenge = captcha.new_captcha(env, caller)
    captcha.check_captcha(env, CaptchaInput(challenge.secret_key, captcha_texts.last.lower()), "x")


def test_a_wrong_answer_spends_the_captcha(
    env: Services, caller: Caller, captcha_texts: CaptchaTexts
) -> None:
    challenge = captcha.new_captcha(env, caller)
    with pytest.raises(InvalidCaptcha, match="bad captcha"):
        captcha.check_captcha(env, CaptchaInput(challenge.secret_key, "WRONG"), "bad captcha")
    with pytest.raises(InvalidCaptcha):
        captcha.check_captcha(env, CaptchaInput(challenge.secret_key, captcha_texts.last), "x")


def test_a_captcha_expires(
    env: Services, caller: Caller, captcha_texts: CaptchaTexts, clock: FixedClock
) -> None:
    challenge = captcha.new_captcha(env, caller)
    clock.advance(seconds=env.policy.captcha_ttl.total_seconds())
    with pytest.raises(InvalidCaptcha):
        captcha.check_captcha(env, CaptchaInput(challenge.secret_key, captcha_texts.last), "x")


def test_missing_key_or_answer_fails(env: Services, caller: Caller) -> None:
    challenge = captcha.new_captcha(env, caller)
    for given in (None, CaptchaInput(None, "A"), CaptchaInput(challenge.secret_key, "")):
        with pytest.raises(InvalidCaptcha):
            captcha.check_captcha(env, given, "x")


def test_checking_off_accepts_anything(env: Services) -> None:
    captcha.check_captcha(with_policy(env, captcha_checked=False), None, "x")


def test_the_image_is_served_until_it_expires(
    env: Services, caller: Caller, clock: FixedClock
) -> None:
    challenge = captcha.new_captcha(env, caller)
    image_id = challenge.image_path.rsplit("/", 1)[1].removesuffix(".jpg")
    assert challenge.image_path.startswith(captcha.IMAGE_DIRECTORY)
    image = captcha.captcha_image(env, image_id)
    assert image is not None and image[:2] == b"\xff\xd8"  # a JPEG
    clock.advance(seconds=env.policy.captcha_ttl.total_seconds())
    assert captcha.captcha_image(env, image_id) is None


def test_keys_come_from_the_injected_random_source(
    env: Services, caller: Caller, known: KnownRandom
) -> None:
    challenge = captcha.new_captcha(env, caller)
    assert challenge.secret_key in known.issued
