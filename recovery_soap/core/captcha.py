"""Captchas: issued as an image plus a secret key, checked once, then gone.

Only a keyed hash of the key and of the answer is stored. A check removes the captcha whatever
its outcome, in its own transaction, so a wrong guess or a failing operation never leaves it
reusable.
"""

from __future__ import annotations

import secrets as _random
import string

from recovery_soap.core.errors import InvalidCaptcha
from recovery_soap.core.guard import address_of, admit
from recovery_soap.core.model import Caller, CaptchaChallenge, CaptchaInput, Limit
from recovery_soap.core.services import Services

#: Where legacy clients expect the image, relative to the server's base URL.
IMAGE_DIRECTORY = (
    "registry/resource/_system/config/repository/components/org.wso2.carbon.captcha-images"
)
KEY_LABEL = "captcha-key"
ANSWER_LABEL = "captcha-answer"
# No look-alikes (0/O, 1/I/L, 5/S, 2/Z, 8/B): the answer is compared case-insensitively.
ALPHABET = "".join(c for c in string.ascii_uppercase + string.digits if c not in "0O1IL5S2Z8B")


def random_text(length: int = 6) -> str:
    return "".join(_random.choice(ALPHABET) for _ in range(length))


def image_path(image_id: str) -> str:
    return f"{IMAGE_DIRECTORY}/{image_id}.jpg"


def new_captcha(env: Services, caller: Caller) -> CaptchaChallenge:
    """Render and store a captcha; expired ones are purged on the way. Each is kept for its
    lifetime, so they are limited per client address."""
    admit(env, (Limit.CAPTCHAS_PER_ADDRESS, address_of(caller)))
    text = env.captcha_text()
    image = env.render_captcha(text)
    key, image_id = env.random.code(), env.random.code()
    now = env.clock.now()
    with env.uow() as uow:
        uow.captchas.purge(now)
        uow.captchas.add(
            env.keyed.digest(KEY_LABEL, key),
            image_id,
            env.keyed.digest(ANSWER_LABEL, text),
            image,
            now,
            now + env.policy.captcha_ttl,
        )
        uow.commit()
    return CaptchaChallenge(image_path=image_path(image_id), secret_key=key)


def captcha_image(env: Services, image_id: str) -> bytes | None:
    with env.uow(readonly=True) as uow:
        return uow.captchas.image(image_id, env.clock.now())


def check_captcha(env: Services, captcha: CaptchaInput | None, message: str) -> None:
    """Raise InvalidCaptcha unless the answer is right; a no-op when verification is off."""
    if not env.policy.captcha_checked:
        return
    key = (captcha.secret_key or "").strip() if captcha else ""
    answer = (captcha.user_answer or "").strip() if captcha else ""
    if not key:
        raise InvalidCaptcha(message)
    now = env.clock.now()
    with env.uow() as uow:
        record = uow.captchas.take(env.keyed.digest(KEY_LABEL, key), now)
        uow.commit()
    if record is None or not answer or now >= record.expires_at:
        raise InvalidCaptcha(message)
    if not env.keyed.same(record.answer_hash, env.keyed.digest(ANSWER_LABEL, answer)):
        raise InvalidCaptcha(message)
