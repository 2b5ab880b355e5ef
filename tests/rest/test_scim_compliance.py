"""RFC 7643/7644 compliance: scim2-tester's check_server against the live server, through a
scim2-client httpx2 client with a service token. Every check must succeed except the listed
ones, each for a stated reason; the summary is printed for the record (pytest -s)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import pytest
from httpx2 import Client
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import Status, check_server

from tests.conftest import LiveServer
from tests.rest.support import oauth_client, service_token
from tests.soap.accounts import new_tenant

#: (check, reason) of the checks allowed to fail, with why.
EXPECTED_FAILURES = {
    # PATCH remove of "active" succeeds (200) and leaves the documented default, an active
    # account; the account is active or it is not (users.locked), there is no third, unassigned
    # state, so the answer still shows "active": true where the tester expects no value.
    ("check_remove_attribute", "PATCH modify() did not remove attribute 'active'"),
}
#: Checks that may be skipped: none today (the server answers every discovery and CRUD check).
ALLOWED_SKIPS: set[str] = set()


@pytest.fixture
def results(serve: Callable[..., LiveServer]) -> list:
    # No change notices: the tester's users have random addresses that look like codes, and
    # the suite's log scan would take the delivery log lines for leaked secrets.
    server = serve(notify_changes=False)
    # A tenant of its own: the tester expects its users on the first page of an unfiltered
    # list, which the rest of the suite's users (same database) would otherwise push off.
    token = service_token(server, auth=oauth_client(server, new_tenant(server)))
    http = Client(
        base_url=f"{server.url}/scim2",
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    with http:
        return check_server(SyncSCIMClient(http))


def _key(result) -> tuple[str, str]:
    return (result.title or "", (result.reason or "").split(":")[0])


def test_scim2_tester_finds_no_failure_but_the_listed_ones(results: list) -> None:
    counts = Counter(r.status.name for r in results)
    print(f"\nscim2-tester: {len(results)} checks: {dict(counts)}")
    for title, count in sorted(Counter(r.title for r in results).items()):
        print(f"  {title}: {count}")
    failed = {
        _key(r) for r in results if r.status in (Status.ERROR, Status.CRITICAL, Status.DEVIATION)
    }
    for result in results:
        if result.status not in (Status.SUCCESS, Status.COMPLIANT, Status.ACCEPTABLE):
            print(f"  {result.status.name} {result.title}: {result.reason}")
    assert failed == EXPECTED_FAILURES
    skipped = {r.title for r in results if r.status == Status.SKIPPED}
    assert skipped <= ALLOWED_SKIPS
    # The check must really have run: discovery, the CRUD cycle and PATCH of each attribute.
    ran = {r.title for r in results if r.status == Status.SUCCESS}
    assert {
        "service_provider_config_endpoint",
        "query_all_resource_types",
        "query_all_schemas",
        "object_creation",
        "object_query",
        "object_replacement",
        "object_deletion",
        "check_add_attribute",
        "check_replace_attribute",
        "check_remove_attribute",
        "search_with_attributes",
        "object_list_with_attributes",
    } <= ran
    assert sum(1 for r in results if r.title == "check_replace_attribute") >= 15
