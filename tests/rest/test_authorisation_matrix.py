"""The authorisation matrix: account rights × every operation of every face, over real HTTP
against the served app.

Each service account holds one set of rights (none, each right alone, all of them). Every
operation needs one right of the core (``core/authorisation.py``), and a REST operation also the
scope that opens its face; the test asserts that each face lets the operation through exactly
when the account holds what it needs: SOAP (each of the 16 operations), OAuth (each grant), SCIM
(each endpoint and method) and the subscriber API (each call). A refusal is the face's own:
a SOAP fault naming the missing authorisation, an OAuth error, a 403, or no token at all.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests
import waitress
import zeep
from waitress import wasyncore

from recovery_soap.app import create_app
from recovery_soap.config import Settings
from recovery_soap.core import admin, callers
from recovery_soap.core.authorisation import FULL_SET
from recovery_soap.core.claims import EMAIL
from recovery_soap.core.model import Permission as R
from tests.conftest import ACCOUNT, FAST_HASH, LiveServer, unique
from tests.rest.support import PASSWORD, SUBSCRIBER, active_user, bearer
from tests.support import CaptchaTexts, MovableClock, SmtpServer, wait_until_up

SCIM_JSON = {"Content-Type": "application/scim+json"}
PATCH = {
    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
    "Operations": [{"op": "replace", "path": "nickName", "value": "matrix"}],
}

#: The rights sets under test: none, each right alone, every right.
PROFILES: dict[str, frozenset[R]] = {
    "none": frozenset(),
    **{right.value: frozenset({right}) for right in R},
    "full": FULL_SET,
}


@pytest.fixture(scope="module")
def server(database_url: str, smtp: SmtpServer) -> Iterator[LiveServer]:
    """One served app for the whole matrix (captcha and rate limits off: only rights count)."""
    settings = Settings(
        database_url=database_url,
        smtp_host="127.0.0.1",
        smtp_port=smtp.port,
        mail_from="recovery@example.test",
        bootstrap_account=f"{ACCOUNT[0]}:{ACCOUNT[1]}",
        captcha_verification="off",
        rate_limits="off",
        **FAST_HASH,
    )
    clock, captcha = MovableClock(), CaptchaTexts()
    app = create_app(settings, clock=clock, captcha_text=captcha)
    served = waitress.create_server(app, host="127.0.0.1", port=0, threads=4)
    stop = threading.Event()

    def run() -> None:
        while not stop.is_set():
            wasyncore.loop(timeout=0.05, map=served._map, count=1)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{served.effective_port}"
    try:
        wait_until_up(url)
        yield LiveServer(url=url, app=app, clock=clock, captcha=captcha, smtp=smtp)
    finally:
        stop.set()
        thread.join(timeout=5)
        served.task_dispatcher.shutdown()
        wasyncore.close_all(served._map)
        app.engine.dispose()


@dataclass
class Account:
    """A service account of one profile, with what it could obtain (tokens, a SOAP client)."""

    auth: tuple[str, str]
    server: LiveServer
    _soap: Any = None

    def soap(self) -> Any:
        if self._soap is None:
            self._soap = self.server.client(auth=self.auth)
        return self._soap

    def token(self, form: dict[str, str]) -> str | None:
        answer = requests.post(
            self.server.url + "/oauth2/token", data=form, auth=self.auth, timeout=30
        )
        return str(answer.json()["access_token"]) if answer.status_code == 200 else None

    def service_token(self) -> str | None:
        return self.token({"grant_type": "client_credentials"})

    def user_token(self, name: str) -> str | None:
        return self.token({"grant_type": "password", "username": name, "password": PASSWORD})


_ACCOUNTS: dict[str, Account] = {}


@pytest.fixture
def account(server: LiveServer, request: pytest.FixtureRequest) -> Account:
    profile = request.node.callspec.params["profile"]
    if profile not in _ACCOUNTS:
        auth = (unique(f"matrix-{profile}"), f"secret-{unique()}")
        env = server.app.env
        with env.uow() as uow:
            tenant = admin.tenant(uow, "carbon.super")
            callers.put_account(env, uow, *auth, tenant, PROFILES[profile])
            uow.commit()
        _ACCOUNTS[profile] = Account(auth, server)
    return _ACCOUNTS[profile]


# --- the faces' operations: each answers whether it was let through -------------------------

Probe = Callable[[Account], bool]


def soap(operation: str, **arguments: Any) -> Probe:
    def probe(account: Account) -> bool:
        try:
            getattr(account.soap(), operation)(**arguments)
        except zeep.exceptions.Fault as fault:
            return "not authorized" not in str(fault.message)
        return True

    return probe


def grant(kind: str) -> Probe:
    def probe(account: Account) -> bool:
        if kind == "client_credentials":
            return account.service_token() is not None
        return account.user_token(active_user(account.server)) is not None

    return probe


def _user_id(account: Account, name: str) -> int:
    with account.server.app.env.uow(readonly=True) as uow:
        user = uow.users.get(uow.tenants.by_domain("carbon.super"), name)
    assert user is not None
    return user.id


def scim(method: str, path: str, body: Any = None, *, own: bool = False) -> Probe:
    """A SCIM call; ``{id}`` is a fresh user's id; ``own`` uses that user's token (/Me)."""

    def probe(account: Account) -> bool:
        name = active_user(account.server)
        token = account.user_token(name) if own else account.service_token()
        if token is None:
            return False
        url = account.server.url + "/scim2" + path.replace("{id}", str(_user_id(account, name)))
        if body == "new-user":
            sent: Any = {
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                "userName": unique(),
                "emails": [{"value": "new@example.test", "primary": True}],
            }
        elif body == "replacement":
            sent = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": name}
        else:
            sent = body
        answer = requests.request(
            method, url, json=sent, headers={**bearer(token), **SCIM_JSON}, timeout=30
        )
        assert answer.status_code < 500, answer.text
        return answer.status_code != 403

    return probe


def subscriber(action: str, body: Callable[[str], dict[str, str]]) -> Probe:
    def probe(account: Account) -> bool:
        token = account.service_token()
        if token is None:
            return False
        name = active_user(account.server)
        answer = requests.post(
            f"{account.server.url}{SUBSCRIBER}/{action}",
            json=body(name),
            headers=bearer(token),
            timeout=30,
        )
        assert answer.status_code < 500, answer.text
        return answer.status_code != 403

    return probe


CLAIMS = [{"claimUri": EMAIL, "claimValue": "x@example.test"}]

#: (face, operation) -> (the rights it needs, the probe).
OPERATIONS: dict[str, tuple[frozenset[R], Probe]] = {
    "soap:getCaptcha": (frozenset(), soap("getCaptcha")),
    "soap:getAllChallengeQuestions": (frozenset(), soap("getAllChallengeQuestions")),
    "soap:getUserIdentitySupportedClaims": (
        frozenset(),
        soap("getUserIdentitySupportedClaims", dialect="http://wso2.org/claims"),
    ),
    "soap:verifyUser": ({R.RECOVER}, soap("verifyUser", username="nobody")),
    "soap:sendRecoveryNotification": (
        {R.RECOVER},
        soap("sendRecoveryNotification", username="nobody", key="k", notificationType="EMAIL"),
    ),
    "soap:verifyConfirmationCode": (
        {R.RECOVER},
        soap("verifyConfirmationCode", username="nobody", code="c"),
    ),
    "soap:updatePassword": (
        {R.RECOVER},
        soap("updatePassword", username="nobody", confirmationCode="c", newPassword="P#ss1234"),
    ),
    "soap:verifyUserChallengeAnswer": (
        {R.RECOVER},
        soap("verifyUserChallengeAnswer", userName="nobody", confirmation="c", questionId="q"),
    ),
    "soap:verifyUserChallengeAnswers": (
        {R.RECOVER},
        soap("verifyUserChallengeAnswers", userName="nobody", confirmation="c"),
    ),
    "soap:verifyAccount": ({R.RECOVER}, soap("verifyAccount", claims=CLAIMS)),
    "soap:getUserChallengeQuestionIds": (
        {R.VIEW},
        soap("getUserChallengeQuestionIds", username="nobody", confirmation="c"),
    ),
    "soap:getUserChallengeQuestion": (
        {R.VIEW},
        soap("getUserChallengeQuestion", userName="nobody", confirmation="c", questionId="q"),
    ),
    "soap:getUserChallengeQuestions": (
        {R.VIEW},
        soap("getUserChallengeQuestions", userName="nobody", confirmation="c"),
    ),
    "soap:registerUser": (
        {R.REGISTER},
        soap("registerUser", userName="", password="P#ss1234", claims=CLAIMS),
    ),
    "soap:resendSignUpConfiramtionCode": (
        {R.REGISTER},
        soap("resendSignUpConfiramtionCode", userName="nobody", code="c"),
    ),
    "soap:confirmUserSelfRegistration": (
        {R.REGISTER},
        soap("confirmUserSelfRegistration", username="nobody", code="c"),
    ),
    "oauth:client_credentials": (None, grant("client_credentials")),  # any right a scope names
    "oauth:password": ({R.LOGIN}, grant("password")),
    "scim:GET /Users": ({R.USERS_LIST}, scim("GET", "/Users")),
    "scim:POST /Users/.search": ({R.USERS_LIST}, scim("POST", "/Users/.search", {})),
    "scim:POST /.search": ({R.USERS_LIST}, scim("POST", "/.search", {})),
    "scim:POST /Users": ({R.USERS_CREATE}, scim("POST", "/Users", "new-user")),
    "scim:GET /Users/id": ({R.USERS_VIEW}, scim("GET", "/Users/{id}")),
    "scim:PUT /Users/id": ({R.USERS_UPDATE}, scim("PUT", "/Users/{id}", "replacement")),
    "scim:PATCH /Users/id": ({R.USERS_UPDATE}, scim("PATCH", "/Users/{id}", PATCH)),
    "scim:DELETE /Users/id": ({R.USERS_DELETE}, scim("DELETE", "/Users/{id}")),
    "scim:GET /Me": ({R.LOGIN}, scim("GET", "/Me", own=True)),
    "scim:PUT /Me": ({R.LOGIN}, scim("PUT", "/Me", "replacement", own=True)),
    "scim:PATCH /Me": ({R.LOGIN}, scim("PATCH", "/Me", PATCH, own=True)),
    "subscriber:authenticate": (
        {R.SUBSCRIBE, R.LOGIN},
        subscriber("authenticate", lambda name: {"username": name, "password": PASSWORD}),
    ),
    "subscriber:invite": (
        {R.SUBSCRIBE, R.REGISTER},
        subscriber("", lambda name: {"username": f"{unique()}@example.test"}),
    ),
    "subscriber:confirm-invitee": (
        {R.SUBSCRIBE, R.REGISTER},
        subscriber("confirm-invitee", lambda name: {"confirmationKey": "no-such-key"}),
    ),
    "subscriber:addUser": (
        {R.SUBSCRIBE, R.REGISTER},
        subscriber("addUser", lambda name: {"confirmationKey": "k", "password": "P#ss1234"}),
    ),
    "subscriber:reset-password/initiate": (
        {R.SUBSCRIBE, R.RECOVER},
        subscriber("reset-password/initiate", lambda name: {"email": name}),
    ),
    "subscriber:reset-password/verify": (
        {R.SUBSCRIBE, R.RECOVER},
        subscriber("reset-password/verify", lambda name: {"email": name, "code": "x"}),
    ),
    "subscriber:reset-password/confirm": (
        {R.SUBSCRIBE, R.RECOVER},
        subscriber(
            "reset-password/confirm",
            lambda name: {"email": name, "confirmationKey": "k", "newPassword": "P#ss1234"},
        ),
    ),
    "subscriber:statistics": (
        {R.SUBSCRIBE},
        subscriber("statistics", lambda name: {"statisticsType": "logins"}),
    ),
}

#: Rights an OAuth scope spells: a client-credentials token needs one of them.
SCOPED = frozenset(
    {R.LOGIN, R.SUBSCRIBE, R.USERS_LIST, R.USERS_VIEW, R.USERS_CREATE, R.USERS_UPDATE}
    | {R.USERS_DELETE}
)


def expected(rights: frozenset[R], needed: frozenset[R] | set[R] | None) -> bool:
    if needed is None:
        return bool(rights & SCOPED)
    return frozenset(needed) <= rights


@pytest.mark.parametrize("operation", list(OPERATIONS))
@pytest.mark.parametrize("profile", list(PROFILES))
def test_each_face_lets_through_exactly_what_the_rights_allow(
    account: Account, profile: str, operation: str
) -> None:
    needed, probe = OPERATIONS[operation]
    assert probe(account) is expected(PROFILES[profile], needed)
