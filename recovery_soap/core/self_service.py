"""Questions the self-service pages ask before they act, without spending anything.

A mailed link is opened by mail scanners and link previews as well as by its owner, so opening
it only checks its code (counted like any other check); the code is spent by the form it leads to.
"""

from __future__ import annotations

from collections.abc import Sequence

from recovery_soap.core import codes, guard, opening, registration
from recovery_soap.core.captcha import check_captcha
from recovery_soap.core.errors import InvalidCode, InvalidTenant
from recovery_soap.core.model import Caller, CaptchaInput, Permission, Step, Verification
from recovery_soap.core.services import Services, require
from recovery_soap.core.tenants import find_user, qualify

#: The name audit records give the pages as their caller.
PAGES_CALLER = "self-service-pages"
#: A person at the pages may do what the legacy account-recovery web app let them do.
PAGES_PERMISSIONS = frozenset({Permission.REGISTER, Permission.RECOVER, Permission.VIEW})


def page_caller(env: Services, tenant_domain: str, client_address: str) -> Caller | None:
    """The caller the pages act as for one tenant (None for an unknown tenant): that tenant
    only, never another, with the same limits per client address as any caller."""
    with env.uow(readonly=True) as uow:
        tenant = uow.tenants.by_domain(tenant_domain)
    if tenant is None:
        return None
    return Caller(
        account=PAGES_CALLER,
        tenant=tenant,
        permissions=PAGES_PERMISSIONS,
        all_tenants=False,
        client_address=client_address,
    )


def check_signup_link(
    env: Services, caller: Caller, username: str | None, code: str | None, tenant_domain: str | None
) -> None:
    """Raise InvalidCode or ExpiredCode unless ``code`` is the live sign-up code of the user."""
    opening.admit(env, caller, Permission.REGISTER)
    with guard.watch(env, caller, "signup_link_checked") as seen, env.uow() as uow:
        name = qualify(
            env,
            uow,
            caller,
            username,
            tenant_domain,
            lambda: InvalidTenant("Trying to confirm users in unauthorized tenant space"),
        )
        user = uow.users.get(name.tenant, name.name)
        seen.user, seen.username = user, name.as_given
        invalid = f"Error while validating confirmation code for user : {name.as_given}"
        if user is None or not user.pending_confirmation:
            raise InvalidCode(invalid)
        codes.find(env, uow, user, code, {Step.SIGNUP_MAILED}, invalid)


def check_recovery_link(
    env: Services, caller: Caller, username: str | None, code: str | None
) -> None:
    """Raise InvalidCode or ExpiredCode unless ``code`` is the live mailed recovery code."""
    opening.admit(env, caller, Permission.RECOVER)
    # Not opening.on_named_user: failures count for a user only, never for a name presented.
    with guard.watch(env, caller, "recovery_link_checked") as seen, env.uow() as uow:
        user, given = find_user(env, uow, caller, username)
        seen.user, seen.username = user, given
        guard.ensure_unlocked(env, uow, user, given)
        invalid = f"Error verifying confirmation code for user : {given}"
        codes.find(env, uow, user, code, {Step.CODE_MAILED}, invalid)


def question_sets(
    env: Services, caller: Caller, username: str | None, key: str | None
) -> list[str]:
    """The question sets a user holding a live verifyUser key could answer instead of waiting
    for mail; none when hide_user_existence is on, since offering them would tell the user
    exists (everyone then gets the mail path)."""
    require(caller, Permission.RECOVER)
    if env.policy.hide_user_existence:
        return []
    with env.uow(readonly=True) as uow:
        user, given = find_user(env, uow, caller, username)
        invalid = f"Invalid confirmation code for user : {given}"
        codes.find(env, uow, user, key, {Step.USER_VERIFIED}, invalid)
        assert user is not None
        return sorted(answer.set_id for answer in uow.users.answers(user))


def register_with_captcha(
    env: Services,
    caller: Caller,
    captcha: CaptchaInput | None,
    username: str | None,
    password: str | None,
    claims: Sequence[tuple[str | None, str | None]],
) -> Verification:
    """Self sign-up from a public page: the captcha first (when the service checks captchas,
    counted like any failed check), then registerUser's rules unchanged."""
    require(caller, Permission.REGISTER)
    with guard.watch(env, caller, "registered") as seen:
        seen.username = (username or "").strip()
        check_captcha(env, captcha, "Error while validating captcha")
    return registration.register_user(
        env, caller, username, password, claims, None, caller.tenant.domain
    )
