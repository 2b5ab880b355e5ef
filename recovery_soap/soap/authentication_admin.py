"""AuthenticationAdmin, the legacy login service: ``login`` opens a session (JSESSIONID cookie)
that later SOAP calls may send instead of HTTP Basic; ``logout`` (in-only) ends it.

A thin adapter over core.sessions. As in WSO2 Carbon, a failed login answers ``false``; the
fault Carbon raised for an unknown tenant is not reproduced, since it would tell tenants apart.
"""

from __future__ import annotations

from typing import Any

from lxml import etree
from spyne import ServiceBase

from recovery_soap.core import sessions
from recovery_soap.soap.context import ADDRESS_KEY, HTTPS_KEY
from recovery_soap.soap.sessions import expired_cookie, session_id_of, set_cookie
from recovery_soap.soap.types import Flag, String, operation

AUTH_NS = "http://authentication.services.core.carbon.wso2.org"
AUTH_SERVICE = "AuthenticationAdmin"
COMMON_NS = "http://common.core.carbon.wso2.org/xsd"
#: Operations with no answer message: answered 202 Accepted with an empty body, as Axis2 does.
IN_ONLY = frozenset({"logout"})


class AuthenticationAdmin(ServiceBase):  # type: ignore[misc]  # spyne is untyped
    @operation(String, String, String, _returns=Flag, _out_variable_name="return")
    def login(  # noqa: N805
        ctx: Any,
        username: str | None,
        password: str | None,
        remoteAddress: str | None,  # noqa: N803
    ) -> bool:
        environ = ctx.transport.req_env
        session_id = sessions.log_in(
            ctx.app.recovery_env, username, password, environ[ADDRESS_KEY], remoteAddress
        )
        if session_id is None:
            return False
        ctx.transport.resp_headers["Set-Cookie"] = set_cookie(session_id, https=environ[HTTPS_KEY])
        return True

    @operation()
    def logout(ctx: Any) -> None:  # noqa: N805
        environ = ctx.transport.req_env
        sessions.log_out(ctx.app.recovery_env, session_id_of(environ), environ[ADDRESS_KEY])
        ctx.transport.resp_headers["Set-Cookie"] = expired_cookie(https=environ[HTTPS_KEY])


def answer_in_only(ctx: Any) -> None:
    """spyne's wsgi_return event: an in-only operation that succeeded answers 202, no body."""
    if ctx.descriptor is not None and ctx.descriptor.name in IN_ONLY and ctx.out_error is None:
        ctx.transport.resp_code = "202 Accepted"
        ctx.out_string = [b""]


def fault_detail(operation: str, error_code: str | None) -> etree._Element:
    """The declared fault element of both operations (Carbon's AuthenticationException)."""
    wrapper = etree.Element(f"{{{AUTH_NS}}}{AUTH_SERVICE}AuthenticationException")
    etree.SubElement(wrapper, f"{{{AUTH_NS}}}AuthenticationException", nsmap={"ax21": COMMON_NS})
    return wrapper
