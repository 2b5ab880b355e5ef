"""The OAuth scope names and grant types (core/authorisation.py says which right each scope
spells)."""

from __future__ import annotations

from collections.abc import Iterable

from recovery_soap.core.errors import BadRequest

INTERNAL_LOGIN = "internal_login"
USER_MGT_VIEW = "internal_user_mgt_view"
USER_MGT_LIST = "internal_user_mgt_list"
USER_MGT_CREATE = "internal_user_mgt_create"
USER_MGT_UPDATE = "internal_user_mgt_update"
USER_MGT_DELETE = "internal_user_mgt_delete"
SUBSCRIBE = "apim:subscribe"
OPENID = "openid"
ALL_SCOPES = frozenset(
    {
        INTERNAL_LOGIN,
        USER_MGT_VIEW,
        USER_MGT_LIST,
        USER_MGT_CREATE,
        USER_MGT_UPDATE,
        USER_MGT_DELETE,
        SUBSCRIBE,
        OPENID,
    }
)
#: What a token for an end user (password grant) may carry: what the user may do to
#: themselves (their own profile), never managing other users or reading the tenant's
#: statistics, whatever the client is allowed.
USER_SCOPES = frozenset({INTERNAL_LOGIN, OPENID})

CLIENT_CREDENTIALS = "client_credentials"
PASSWORD = "password"
ALL_GRANTS = frozenset({CLIENT_CREDENTIALS, PASSWORD})


def check_scopes(names: Iterable[str]) -> frozenset[str]:
    """Known scope names only."""
    chosen = frozenset(n.strip() for n in names if n.strip())
    unknown = chosen - ALL_SCOPES
    if unknown:
        raise BadRequest(f"Unknown scope: {', '.join(sorted(unknown))}")
    return chosen


def check_grants(names: Iterable[str]) -> frozenset[str]:
    """Known grant types only."""
    chosen = frozenset(n.strip() for n in names if n.strip())
    unknown = chosen - ALL_GRANTS
    if unknown:
        raise BadRequest(f"Unknown grant type: {', '.join(sorted(unknown))}")
    return chosen
