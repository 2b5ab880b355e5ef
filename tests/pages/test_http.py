"""The pages over plain HTTP: security headers, the CSRF defence, legacy links, the same rules
as the SOAP face (limits, hidden user existence), tenants, branding, languages, the off switch."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
import requests

from recovery_soap.core import admin
from recovery_soap.core.challenges import set_answers
from recovery_soap.core.claims import EMAIL, GIVEN_NAME
from tests.conftest import LiveServer, unique
from tests.pages.support import (
    OLD_PASSWORD,
    form_token,
    outcome_of,
    page_url,
    post_form,
)
from tests.soap.accounts import new_tenant
from tests.soap.flows import Q1, SET1

PAGES = (
    "register.do",
    "confirmregistration.do",
    "resendconfirmation.do",
    "recoverpassword.do",
    "confirmrecovery.do",
    "recoverusername.do",
)


def _signup(name: str) -> dict[str, str]:
    return {
        "username": name,
        "password": OLD_PASSWORD,
        "confirm_password": OLD_PASSWORD,
        "email": f"{name}@example.test",
        "first_name": "Alex",
        "last_name": "Doe",
    }


def _user_exists(server: LiveServer, name: str, tenant: str = "carbon.super") -> bool:
    with server.app.env.uow(readonly=True) as uow:
        where = uow.tenants.by_domain(tenant)
        assert where is not None
        return uow.users.get(where, name) is not None


@pytest.mark.parametrize("page", PAGES)
def test_every_page_is_sent_with_the_security_headers(pages_server: LiveServer, page: str) -> None:
    answer = requests.get(page_url(pages_server, page), timeout=30)
    assert answer.status_code == 200
    policy = answer.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "frame-ancestors 'none'" in policy
    assert "script-src" not in policy and "unsafe-inline" not in policy
    assert answer.headers["Referrer-Policy"] == "no-referrer"
    assert answer.headers["Cache-Control"] == "no-store"
    cookie = answer.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Secure" not in cookie
    assert "<script" not in answer.text and "style=" not in answer.text


def test_the_form_cookie_is_secure_behind_https(serve: Callable[..., LiveServer]) -> None:
    """Through a trusted proxy (the app called directly: the test server drops X-Forwarded-*)."""
    from werkzeug.test import Client

    server = serve(trust_proxy=True)
    answer = Client(server.app).get(
        "/accountrecoveryendpoint/register.do",
        headers={"X-Forwarded-Proto": "https"},
        environ_overrides={"REMOTE_ADDR": "127.0.0.1"},  # the proxy, on the same host
    )
    assert "Secure" in answer.headers["Set-Cookie"]


def test_a_post_without_its_form_token_is_refused_and_changes_nothing(
    serve: Callable[..., LiveServer],
) -> None:
    server = serve(captcha_verification="off")
    url = page_url(server, "register.do")
    bare = requests.post(url, data=_signup(name := unique("forged")), timeout=30)
    session = requests.Session()
    shown = session.get(url, timeout=30)
    no_token = session.post(url, data=_signup(name), timeout=30)
    other = requests.Session()
    foreign = other.post(url, data={"csrf_token": form_token(shown.text), **_signup(name)})
    wrong_page = session.post(
        page_url(server, "recoverusername.do"),
        data={"csrf_token": form_token(shown.text), "email": "x@example.test"},
        timeout=30,
    )
    assert [bare.status_code, no_token.status_code, foreign.status_code] == [403, 403, 403]
    assert wrong_page.status_code == 403
    assert not _user_exists(server, name)
    accepted = session.post(
        url, data={"csrf_token": form_token(shown.text), **_signup(name)}, timeout=30
    )
    assert accepted.status_code == 200 and outcome_of(accepted.text) == "success"
    assert _user_exists(server, name)


@pytest.mark.parametrize("page", ["confirmregistration.do", "confirmrecovery.do"])
@pytest.mark.parametrize(
    "query",
    [
        "confirmation={code}&userstoredomain=PRIMARY&username=alex&tenantdomain=carbon.super",
        "confirmation={code}&username=nobody-{code}",
        "username=alex",
        "",
    ],
)
def test_legacy_links_with_unknown_codes_land_on_start_again(
    pages_server: LiveServer, page: str, query: str
) -> None:
    url = page_url(pages_server, page) + "?" + query.format(code=uuid.uuid4())
    answer = requests.get(url, timeout=30)
    assert answer.status_code == 200
    assert outcome_of(answer.text) == "error"
    assert 'href="' in answer.text.split('id="outcome"')[1]  # the way to start again


def test_pages_can_be_turned_off(serve: Callable[..., LiveServer]) -> None:
    server = serve(pages=False)
    for page in PAGES:
        assert requests.get(page_url(server, page), timeout=30).status_code == 404


def test_hidden_user_existence_gives_the_same_page(serve: Callable[..., LiveServer]) -> None:
    server = serve(hide_user_existence=True, captcha_verification="off")
    known = unique("known")
    env = server.app.env
    with env.uow() as uow:
        user = admin.add_user(
            env, uow, "carbon.super", known, OLD_PASSWORD, {EMAIL: f"{known}@example.test"}
        )
        set_answers(env, uow, user, [(SET1, Q1, "Colombo")])
        uow.commit()
    answers = [
        post_form(server, "recoverpassword.do", {"username": name}).text
        for name in (known, unique("unknown"))
    ]
    main = [text.split("<main", 1)[1] for text in answers]
    assert main[0] == main[1] and outcome_of(answers[0]) == "success"


def test_the_soap_limits_apply_to_the_pages(serve: Callable[..., LiveServer]) -> None:
    server = serve(captcha_verification="off", limit_mail_per_address="2/hour")
    results = [
        post_form(server, "recoverusername.do", {"email": f"{unique()}@example.test"}).text
        for _ in range(3)
    ]
    assert "Too many attempts" not in results[1]
    assert "Too many attempts" in results[2]


def test_a_tenant_signs_up_at_its_own_path(serve: Callable[..., LiveServer]) -> None:
    server = serve(captcha_verification="off")
    tenant = new_tenant(server)
    name = unique("tenant")
    session = requests.Session()
    url = page_url(server, "register.do", tenant)
    shown = session.get(url, timeout=30)
    answer = session.post(url, data={"csrf_token": form_token(shown.text), **_signup(name)})
    assert outcome_of(answer.text) == "success"
    assert _user_exists(server, name, tenant) and not _user_exists(server, name)
    legacy = requests.get(page_url(server, "register.do") + f"?tenantdomain={tenant}")
    assert "tenantdomain=" in legacy.text  # its links keep the tenant


def test_an_unknown_tenant_is_not_found(pages_server: LiveServer) -> None:
    answer = requests.get(page_url(pages_server, "register.do", "no-such.test"), timeout=30)
    assert answer.status_code == 404 and outcome_of(answer.text) == "error"


def test_the_tenant_brand_is_shown(serve: Callable[..., LiveServer], tmp_path: Path) -> None:
    server = serve(templates_dir=str(tmp_path))
    tenant = new_tenant(server)
    (tmp_path / tenant).mkdir()
    (tmp_path / tenant / "tenant.toml").write_text(
        'product_name = "Acme Accounts"\nprimary_color = "#7a1f5c"\n'
        'logo_url = "https://cdn.acme.test/logo.png"\n'
    )
    page = requests.get(page_url(server, "register.do", tenant), timeout=30)
    assert "Acme Accounts" in page.text and "https://cdn.acme.test/logo.png" in page.text
    assert "img-src 'self' https://cdn.acme.test" in page.headers["Content-Security-Policy"]
    css = requests.get(page_url(server, "brand.css", tenant), timeout=30)
    assert "#7a1f5c" in css.text


@pytest.mark.parametrize(
    ("header", "lang", "heading"),
    [
        ("de-DE,de;q=0.9,en;q=0.5", "de", "Konto anlegen"),
        ("fr-CA,en;q=0.5", "fr", "Créer un compte"),
        ("es-ES,es;q=0.9", "en", "Create an account"),
        ("", "en", "Create an account"),
    ],
)
def test_the_language_follows_accept_language(
    pages_server: LiveServer, header: str, lang: str, heading: str
) -> None:
    answer = requests.get(
        page_url(pages_server, "register.do"), headers={"Accept-Language": header}, timeout=30
    )
    assert f'<html lang="{lang}">' in answer.text and f"<h1>{heading}</h1>" in answer.text
    assert answer.headers["Content-Language"] == lang


def test_a_soap_only_worker_never_imports_the_pages(database_url: str) -> None:
    script = (
        "import sys, json, io\n"
        "from recovery_soap.app import create_app\n"
        "from recovery_soap.config import Settings\n"
        f"app = create_app(Settings(database_url={database_url!r}, argon2_memory_kib=1024,"
        " argon2_time_cost=1))\n"
        "def call(path):\n"
        "    out = []\n"
        "    env = {'REQUEST_METHOD': 'GET', 'PATH_INFO': path, 'QUERY_STRING': '',"
        " 'SERVER_NAME': 'x', 'SERVER_PORT': '80', 'wsgi.input': io.BytesIO(b''),"
        " 'wsgi.url_scheme': 'http'}\n"
        "    b''.join(app(env, lambda s, h, e=None: out.append(s)))\n"
        "    return out[0]\n"
        "call('/healthz')\n"
        "pages = ('babel', 'recovery_soap.pages.edge')\n"
        "before = sorted(m for m in pages if m in sys.modules)\n"
        "status = call('/accountrecoveryendpoint/recoverpassword.do')\n"
        "after = sorted(m for m in pages if m in sys.modules)\n"
        "print(json.dumps([before, after, status]))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True
    )
    before, after, status = json.loads(result.stdout.strip().splitlines()[-1])
    assert before == [] and set(after) == {"babel", "recovery_soap.pages.edge"}
    assert status.startswith("200")


def test_no_page_answers_a_method_it_does_not_know(pages_server: LiveServer) -> None:
    answer = requests.put(page_url(pages_server, "register.do"), timeout=30)
    assert answer.status_code == 405


def test_an_unknown_page_is_not_found(pages_server: LiveServer) -> None:
    answer = requests.get(page_url(pages_server, "nothing.do"), timeout=30)
    assert answer.status_code == 404


def test_given_name_claim_is_what_first_name_sets(serve: Callable[..., LiveServer]) -> None:
    server = serve(captcha_verification="off", lock_on_creation=False)
    name = unique("claims")
    answer = post_form(server, "register.do", _signup(name))
    assert outcome_of(answer.text) == "success"
    with server.app.env.uow(readonly=True) as uow:
        where = uow.tenants.by_domain("carbon.super")
        assert where is not None
        user = uow.users.get(where, name)
        assert user is not None
        claims = uow.users.claims(user)
    assert claims[GIVEN_NAME] == "Alex" and claims[EMAIL] == f"{name}@example.test"
