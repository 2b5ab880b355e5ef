"""The session cookie of the SOAP face: JSESSIONID, the name Axis2 and Tomcat clients expect.

Set as the servlet container set it (``Path=/``, ``HttpOnly``, ``Secure`` under HTTPS), plus
``SameSite=Strict``: the cookie is for machine callers, never for a browser page.
"""

from __future__ import annotations

import re
from http.cookies import CookieError, SimpleCookie
from typing import Any

COOKIE = "JSESSIONID"
#: What this service issues (core.code_secrets.new_secret); anything else is not looked up.
_SESSION_ID = re.compile(r"[A-Za-z0-9_-]{32,128}")


def session_id_of(environ: dict[str, Any]) -> str | None:
    """The session id of the request's JSESSIONID cookie, if it has one of the right shape."""
    header = str(environ.get("HTTP_COOKIE", ""))
    if COOKIE not in header:
        return None
    cookies: SimpleCookie = SimpleCookie()
    try:
        cookies.load(header)
    except CookieError:
        return None
    morsel = cookies.get(COOKIE)
    value = morsel.value if morsel is not None else ""
    return value if _SESSION_ID.fullmatch(value) else None


def set_cookie(session_id: str, *, https: bool) -> str:
    secure = "; Secure" if https else ""
    return f"{COOKIE}={session_id}; Path=/{secure}; HttpOnly; SameSite=Strict"


def expired_cookie(*, https: bool) -> str:
    secure = "; Secure" if https else ""
    return f"{COOKIE}=; Path=/; Max-Age=0{secure}; HttpOnly; SameSite=Strict"
