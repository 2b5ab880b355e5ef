"""What any caller may read: the question catalogue, the supported claims, captchas."""

from __future__ import annotations

import uuid

import pytest
import requests

from tests.conftest import LiveServer, unique

DIALECT = "http://wso2.org/claims"
SET1 = f"{DIALECT}/challengeQuestion1"
SET2 = f"{DIALECT}/challengeQuestion2"
DEFAULT_QUESTIONS = [
    (SET1, "City where you were born ?"),
    (SET1, "Father's middle name ?"),
    (SET1, "Favorite food ?"),
    (SET1, "Favorite vacation location ?"),
    (SET2, "Model of your first car ?"),
    (SET2, "Name of the hospital where you were born ?"),
    (SET2, "Name of your first pet ?"),
    (SET2, "Favorite sport ?"),
]
#: Supported by default and not read-only, in the legacy dialect (BEHAVIOUR.md).
SUPPORTED = {
    "givenname",
    "lastname",
    "emailaddress",
    "organization",
    "streetaddress",
    "country",
    "telephone",
    "mobile",
    "im",
    "url",
}
IMAGE_DIRECTORY = (
    "registry/resource/_system/config/repository/components/org.wso2.carbon.captcha-images/"
)


@pytest.fixture(params=[False, True], ids=["soap11", "soap12"])
def service(request: pytest.FixtureRequest, live: LiveServer):
    return live.client(soap12=request.param)


def test_all_challenge_questions_are_the_default_sets(service) -> None:
    questions = service.getAllChallengeQuestions()
    assert sorted((q.questionSetId, q.question) for q in questions) == sorted(DEFAULT_QUESTIONS)
    # As the legacy service: promoteQuestion and order are forced.
    assert {(q.promoteQuestion, q.order) for q in questions} == {(False, 0)}


def test_supported_claims_are_the_writable_default_ones(service) -> None:
    claims = service.getUserIdentitySupportedClaims(dialect=DIALECT)
    by_uri = {c.claimUri: c for c in claims}
    assert len(by_uri) == len(claims)
    assert set(by_uri) == {f"{DIALECT}/{suffix}" for suffix in SUPPORTED}
    required = {(c.claimUri, c.displayName) for c in claims if c.required}
    assert required == {
        (f"{DIALECT}/emailaddress", "Email"),
        (f"{DIALECT}/givenname", "First Name"),
        (f"{DIALECT}/lastname", "Last Name"),
    }
    assert all(c.claimValue is None for c in claims)


def test_supported_claims_never_include_roles_challenges_or_account_state(service) -> None:
    uris = {c.claimUri for c in service.getUserIdentitySupportedClaims(dialect=DIALECT)}
    assert f"{DIALECT}/role" not in uris
    assert not {u for u in uris if "/identity/" in u or "challenge" in u.lower()}


@pytest.mark.parametrize(
    "dialect",
    ["http://schemas.xmlsoap.org/ws/2005/05/identity", "", "http://wso2.org/claims/extra", None],
)
def test_unknown_dialect_has_no_claims(live: LiveServer, dialect) -> None:
    assert not live.client().getUserIdentitySupportedClaims(dialect=dialect)


def test_captcha_image_is_served_without_credentials(live: LiveServer, service) -> None:
    bean = service.getCaptcha()
    assert bean.imagePath.startswith(IMAGE_DIRECTORY) and bean.imagePath.endswith(".jpg")
    assert bean.secretKey and bean.userAnswer is None
    response = requests.get(f"{live.url}/{bean.imagePath}", timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "image/jpeg"
    assert response.content.startswith(b"\xff\xd8\xff")
    assert bean.secretKey not in bean.imagePath  # the image names nothing that solves it


def test_each_captcha_is_new(live: LiveServer) -> None:
    service = live.client()
    first, second = service.getCaptcha(), service.getCaptcha()
    assert first.secretKey != second.secretKey
    assert first.imagePath != second.imagePath


@pytest.mark.parametrize(
    "image",
    [str(uuid.uuid4()), "..%2F..%2Fetc%2Fpasswd", "x y"],
    ids=["unknown", "traversal", "odd"],
)
def test_unknown_captcha_image_is_not_found(live: LiveServer, image) -> None:
    response = requests.get(f"{live.url}/{IMAGE_DIRECTORY}{image}.jpg", timeout=10)
    assert response.status_code == 404


def test_captcha_image_is_gone_once_the_captcha_is_used(live: LiveServer) -> None:
    service = live.client()
    captcha = live.solve_captcha(service)
    service.verifyUser(username=unique("ghost"), captcha=captcha)
    response = requests.get(f"{live.url}/{captcha['imagePath']}", timeout=10)
    assert response.status_code == 404


def ghost_check(live: LiveServer, service, captcha) -> str:
    """verifyUser for nobody: 18003 says the captcha passed, 18004 that it did not."""
    ghost = unique("ghost")
    return str(service.verifyUser(username=ghost, captcha=captcha).error)[:5]


def test_captcha_is_accepted_within_its_lifetime(live: LiveServer) -> None:
    service = live.client()
    captcha = live.solve_captcha(service)
    live.clock.advance(minutes=19)
    assert requests.get(f"{live.url}/{captcha['imagePath']}", timeout=10).status_code == 200
    assert ghost_check(live, service, captcha) == "18003"


def test_captcha_expires_after_its_lifetime(live: LiveServer) -> None:
    service = live.client()
    captcha = live.solve_captcha(service)
    live.clock.advance(minutes=21)
    assert requests.get(f"{live.url}/{captcha['imagePath']}", timeout=10).status_code == 404
    assert ghost_check(live, service, captcha) == "18004"


def test_captcha_lifetime_is_configurable(serve) -> None:
    live = serve(captcha_minutes=2)
    service = live.client()
    captcha = live.solve_captcha(service)
    live.clock.advance(minutes=3)
    assert ghost_check(live, service, captcha) == "18004"


def test_captcha_answer_ignores_case_and_surrounding_space(live: LiveServer) -> None:
    service = live.client()
    captcha = live.solve_captcha(service)
    captcha["userAnswer"] = f"  {captcha['userAnswer'].lower()} "
    assert ghost_check(live, service, captcha) == "18003"


@pytest.mark.parametrize(
    "change",
    [
        {"userAnswer": ""},
        {"userAnswer": None},
        {"secretKey": ""},
        {"secretKey": "00000000-0000-0000-0000-000000000000"},
    ],
    ids=["no-answer", "nil-answer", "no-key", "unknown-key"],
)
def test_incomplete_captcha_is_refused(live: LiveServer, change) -> None:
    service = live.client()
    captcha = {**live.solve_captcha(service), **change}
    assert ghost_check(live, service, captcha) == "18004"


def test_captcha_is_not_checked_when_verification_is_off(external: LiveServer) -> None:
    service = external.client()
    assert ghost_check(external, service, None) == "18003"
    assert ghost_check(external, service, {"secretKey": "x", "userAnswer": "wrong"}) == "18003"
