"""pydantic and scim2-models stay inside recovery_soap/rest/scim/, and are loaded only when the
first SCIM request comes: a worker serving SOAP (or the other REST faces) never imports them."""

from __future__ import annotations

import json
import subprocess
import sys

import requests

from tests.conftest import LiveServer
from tests.rest.support import bearer
from tests.rest.test_scim_support import created, manager
from tests.test_architecture import PACKAGE, SOURCES, imports_of, top

SCIM_ONLY = {"pydantic", "pydantic_core", "scim2_models", "scim2_client", "scim2_tester"}


def test_only_the_scim_package_imports_pydantic_or_scim2_models() -> None:
    importers = {
        str(path.relative_to(PACKAGE))
        for path in SOURCES
        if {top(m) for m in imports_of(path)} & SCIM_ONLY
    }
    assert importers, "scim2_models is imported nowhere: the scan is broken"
    assert {p for p in importers if not p.startswith("rest/scim/")} == set()


PROBE = """
import json, sys
from werkzeug.test import Client
from recovery_soap.app import create_app
from recovery_soap.config import Settings
app = create_app(Settings(database_url="sqlite:///" + sys.argv[1]))
client = Client(app)
loaded = lambda: sorted(m for m in ("pydantic", "scim2_models") if m in sys.modules)
seen = {"start": loaded()}
client.get("/services/UserInformationRecoveryService?wsdl")
client.post("/oauth2/token", data={"grant_type": "client_credentials"})
seen["soap and oauth"] = loaded()
client.get("/scim2/ServiceProviderConfig")
seen["scim"] = loaded()
print(json.dumps(seen))
"""


def test_scim2_models_load_with_the_first_scim_request(tmp_path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(tmp_path / "probe.db")],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["start"] == [] and seen["soap and oauth"] == []
    assert seen["scim"] == ["pydantic", "scim2_models"]


def test_a_scim_answer_never_carries_a_trace(rest_server: LiveServer) -> None:
    """Bodies built to break the parser answer SCIM errors, never a 500 with a trace."""
    client = manager(rest_server)
    user = created(client)
    bodies = (b"[]", b'{"schemas": 5}', b'{"Operations": "x"}', b"\xff\xfe", b"1e999999", b"{}")
    for method, path in (
        ("POST", "/Users"),
        ("PATCH", f"/Users/{user['id']}"),
        ("PUT", f"/Users/{user['id']}"),
        ("POST", "/.search"),
    ):
        for body in bodies:
            answer = requests.request(
                method,
                f"{rest_server.url}/scim2{path}",
                data=body,
                headers={"Content-Type": "application/scim+json", **bearer(client.token or "")},
                timeout=30,
            )
            if (method, body) == ("POST", b"{}") and path == "/.search":
                assert answer.status_code == 200  # an empty SearchRequest lists everything
                continue
            assert answer.status_code == 400, (method, path, body, answer.text)
            assert answer.json()["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
            assert "Traceback" not in answer.text
