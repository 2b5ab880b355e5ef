"""What the REST faces take from a request: JSON strings that UTF-8 can carry (a lone surrogate
is a 400 in the face's own error shape, never a 500 with a trace), and credentials only from a
body, never from the query string."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
import requests

from recovery_soap.core import scopes as S
from tests.conftest import LiveServer
from tests.rest.support import (
    PASSWORD,
    SUBSCRIBER,
    TOKEN_PATH,
    active_user,
    bearer,
    service_token,
    user_token,
)

LONE = "\ud800"
SCIM_ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"


def _post_json(
    server: LiveServer, path: str, body: Any, token: str, method: str = "POST"
) -> requests.Response:
    """``body`` as JSON text: json.dumps writes a lone surrogate as the escape \\ud800."""
    return requests.request(
        method,
        server.url + path,
        data=json.dumps(body),
        headers={**bearer(token), "Content-Type": "application/json"},
        timeout=30,
    )


def _no_trace_logged(caplog: pytest.LogCaptureFixture) -> None:
    assert not [r for r in caplog.records if r.exc_info], [r.getMessage() for r in caplog.records]


@pytest.mark.parametrize(
    ("action", "body"),
    [
        ("authenticate", {"username": LONE, "password": "x"}),
        ("authenticate", {"username": "someone", "password": f"Pass#{LONE}word1"}),
        ("reset-password/initiate", {"email": f"{LONE}@example.test"}),
        ("", {"username": "invitee", "email": f"a{LONE}@example.test"}),
        ("authenticate", {"username": "someone", "password": "x", LONE: [LONE]}),
    ],
)
def test_subscriber_refuses_a_lone_surrogate(
    rest_server: LiveServer, caplog: pytest.LogCaptureFixture, action: str, body: dict
) -> None:
    token = service_token(rest_server, scopes=[S.SUBSCRIBE])
    answer = _post_json(rest_server, f"{SUBSCRIBER}/{action}", body, token)
    assert answer.status_code == 400, answer.text
    assert answer.json()["success"] is False
    assert "UTF-8" in answer.json()["message"]
    _no_trace_logged(caplog)


def test_scim_refuses_a_lone_surrogate(
    rest_server: LiveServer, caplog: pytest.LogCaptureFixture
) -> None:
    token = service_token(rest_server)
    created = _post_json(
        rest_server,
        "/scim2/Users",
        {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": f"x{LONE}"},
        token,
    )
    name = active_user(rest_server)
    own = user_token(rest_server, name, PASSWORD, ["internal_login"])
    patched = _post_json(
        rest_server,
        "/scim2/Me",
        {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "add", "value": {"password": f"New#{LONE}Pass1"}}],
        },
        own,
        method="PATCH",
    )
    searched = requests.get(
        rest_server.url + "/scim2/Users",
        params={"filter": f'userName eq "x{json.dumps(LONE)[1:-1]}"'},
        headers=bearer(token),
        timeout=30,
    )
    for answer in (created, patched, searched):
        assert answer.status_code == 400, answer.text
        assert answer.json()["schemas"] == [SCIM_ERROR]
    _no_trace_logged(caplog)


def test_oauth_refuses_what_utf_8_cannot_carry(
    rest_server: LiveServer, caplog: pytest.LogCaptureFixture
) -> None:
    """A form body cannot carry a lone surrogate (its UTF-8 bytes are invalid), nor can a
    token's JSON header name one as a key."""
    name = active_user(rest_server)
    form = requests.post(
        rest_server.url + TOKEN_PATH,
        data=f"grant_type=password&username={name}&password=%ED%A0%80".encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        auth=rest_server.auth,
        timeout=30,
    )
    assert form.status_code in (400, 401), form.text
    assert "error" in form.json()
    header = base64.urlsafe_b64encode(b'{"alg":"ES256","kid":"\\ud800"}').rstrip(b"=").decode()
    forged = f"{header}.e30.c2ln"
    answer = requests.post(
        rest_server.url + f"{SUBSCRIBER}/authenticate", json={}, headers=bearer(forged), timeout=30
    )
    assert answer.status_code == 401, answer.text
    _no_trace_logged(caplog)


# --- credentials only in bodies ----------------------------------------------------------------


def test_credentials_in_the_query_string_are_ignored(rest_server: LiveServer) -> None:
    name = active_user(rest_server)
    token = service_token(rest_server, scopes=[S.SUBSCRIBE])
    in_url = requests.post(
        rest_server.url + f"{SUBSCRIBER}/authenticate",
        params={"username": name, "password": PASSWORD},
        headers=bearer(token),
        timeout=30,
    )
    assert in_url.json()["authenticated"] is False
    in_body = requests.post(
        rest_server.url + f"{SUBSCRIBER}/authenticate",
        json={"username": name, "password": PASSWORD},
        headers=bearer(token),
        timeout=30,
    )
    assert in_body.json()["authenticated"] is True
