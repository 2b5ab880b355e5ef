"""``POST /oauth2/token`` (RFC 6749) and the bearer-token verifier (RFC 6750) of the REST faces.

Tokens are ES256 JWTs signed by the key ring. Verification accepts only the algorithms of the
key that is expected to have signed (never ``none``, never an HMAC keyed with a public key),
checks issuer, audience and expiry against ``env.clock``, and then asks the core, on every call,
whether the tenant, the user of a user token and the service account that obtained the token
still exist and may act, and which of the token's scopes the account still holds (a scope
withdrawn from the account is withdrawn from its tokens). Tokens of an external OpenID provider
are accepted too when its JWKS URL, issuer and audience are configured.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import uuid
from collections.abc import Iterable, Mapping
from datetime import UTC
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from werkzeug.wrappers import Request, Response

from recovery_soap.config import Settings
from recovery_soap.core import callers, oauth
from recovery_soap.core.errors import GrantRefused, RequestRefused
from recovery_soap.core.scopes import CLIENT_CREDENTIALS, PASSWORD
from recovery_soap.core.services import Services
from recovery_soap.rest.bearer import Principal, TokenRejected
from recovery_soap.rest.http import Family, error_response, json_response
from recovery_soap.rest.signing_key_ring import ALGORITHM, KeyRing

log = logging.getLogger("recovery_soap.rest.tokens")
TENANT_CLAIM = "tenant"
KIND_CLAIM = "sub_type"  # "user" (password grant) or "client" (client credentials)
CLIENT_VERSION_CLAIM = "client_version"  # the account as it was when the token was obtained
USER_VERSION_CLAIM = "user_version"  # the user's credentials as they were (user tokens)
LEEWAY_SECONDS = 30


def epoch(env: Services) -> int:
    return int(env.clock.now().replace(tzinfo=UTC).timestamp())


class TokenEndpoint:
    """Answers token requests: client authentication, the grant, a signed token."""

    def __init__(self, env: Services, keys: KeyRing, settings: Settings) -> None:
        self._env = env
        self._keys = keys
        self._settings = settings

    def __call__(self, request: Request) -> Response:
        address = str(request.environ.get("recovery_soap.client_address", ""))
        if callers.too_many_failures(self._env, address):
            return error_response(
                Family.OAUTH,
                429,
                "slow_down",
                "Too many failed logins; try again later.",
                {"Retry-After": "60"},
            )
        form = request.form
        try:
            client_id, secret = _client_credentials(request)
            client = oauth.authenticate_client(self._env, client_id, secret, address)
            grant_type = form.get("grant_type", "")
            if grant_type == CLIENT_CREDENTIALS:
                grant = oauth.client_credentials(self._env, client, form.get("scope"))
            elif grant_type == PASSWORD:
                grant = oauth.password(
                    self._env,
                    client,
                    form.get("username"),
                    form.get("password"),
                    form.get("scope"),
                    address,
                )
            elif not grant_type:
                raise GrantRefused("grant_type is required.", "invalid_request")
            else:
                raise GrantRefused(
                    "Supported: client_credentials, password.", "unsupported_grant_type"
                )
        except GrantRefused as refused:
            return _refusal(refused)
        except RequestRefused as refused:
            return error_response(Family.OAUTH, 400, "invalid_request", refused.message)
        token, lifetime = self.issue(grant)
        return json_response(
            {
                "access_token": token,
                "token_type": "Bearer",
                "expires_in": lifetime,
                "scope": " ".join(sorted(grant.scopes)),
            },
            headers={"Cache-Control": "no-store", "Pragma": "no-cache"},
        )

    def issue(self, grant: oauth.Grant) -> tuple[str, int]:
        """A signed token for the grant, and its lifetime in seconds."""
        kid, key = self._keys.signing_key()
        now = epoch(self._env)
        lifetime = self._settings.token_minutes * 60
        claims = {
            "iss": self._settings.token_issuer,
            # A user token names its user by id, never by the name a new user could take.
            "sub": str(grant.user_id) if grant.user_id is not None else grant.client_id,
            "aud": self._settings.token_audience,
            "iat": now,
            "nbf": now,
            "exp": now + lifetime,
            "jti": uuid.uuid4().hex,
            "scope": " ".join(sorted(grant.scopes)),
            "client_id": grant.client_id,
            TENANT_CLAIM: grant.tenant.domain,
            KIND_CLAIM: "user" if grant.username else "client",
            CLIENT_VERSION_CLAIM: grant.client_version,
        }
        if grant.user_id is not None:
            claims[USER_VERSION_CLAIM] = grant.user_version
        return jwt.encode({"alg": ALGORITHM, "kid": kid, "typ": "at+jwt"}, claims, key), lifetime


def _client_credentials(request: Request) -> tuple[str, str]:
    """HTTP Basic (RFC 6749 2.3.1) or client_id/client_secret in the body; not both."""
    basic = request.authorization
    in_body = "client_id" in request.form or "client_secret" in request.form
    if basic is not None and basic.type == "basic":
        if in_body:
            raise GrantRefused("Use one client authentication method.", "invalid_request")
        return basic.username or "", basic.password or ""
    if in_body:
        return request.form.get("client_id", ""), request.form.get("client_secret", "")
    raise GrantRefused("Client authentication is required.", "invalid_client")


def _refusal(refused: GrantRefused) -> Response:
    if refused.error == "invalid_client":
        return error_response(
            Family.OAUTH,
            401,
            refused.error,
            refused.message,
            {"WWW-Authenticate": 'Basic realm="recovery-soap", charset="UTF-8"'},
        )
    status = 429 if refused.error == "slow_down" else 400
    return error_response(Family.OAUTH, status, refused.error, refused.message)


def _header_of(token: str) -> dict[str, Any]:
    """The JOSE header, unverified: only to choose the key set and reject foreign algorithms."""
    first = token.split(".", 1)[0]
    try:
        header = json.loads(base64.urlsafe_b64decode(first + "=" * (-len(first) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise _invalid("The access token is malformed.") from None
    if not isinstance(header, dict):
        raise _invalid("The access token is malformed.")
    return header


def _invalid(description: str) -> TokenRejected:
    return TokenRejected(401, "invalid_token", description)


def _peek_claims(token: str) -> dict[str, Any]:
    parts = token.split(".")
    if len(parts) != 3:
        raise _invalid("The access token is malformed.")
    try:
        claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise _invalid("The access token is malformed.") from None
    if not isinstance(claims, dict):
        raise _invalid("The access token is malformed.")
    return claims


class JwtVerifier:
    """The BearerVerifier of the REST faces (see rest/bearer.py)."""

    def __init__(self, env: Services, keys: KeyRing, settings: Settings) -> None:
        self._env = env
        self._keys = keys
        self._settings = settings
        self._external: Any = None
        if settings.oidc_jwks_url:
            from recovery_soap.rest.external import ExternalIssuer  # httpx only when configured

            self._external = ExternalIssuer(settings)

    def verify(self, request: Request, required: Iterable[str] = ()) -> Principal:
        token = _bearer_token(request)
        header = _header_of(token)
        issuer = _peek_claims(token).get("iss")
        if self._external is not None and issuer == self._settings.oidc_issuer:
            keys, algorithms = self._external.keys(header.get("kid")), self._external.algorithms
            audience = self._settings.oidc_audience
        else:
            keys, algorithms = self._keys.verification_keys(header.get("kid")), [ALGORITHM]
            audience = self._settings.token_audience
            issuer = self._settings.token_issuer
        if header.get("alg") not in algorithms:
            raise _invalid("The access token's algorithm is not accepted.")
        claims = self._decode(token, keys, algorithms)
        self._check_registered(claims, str(issuer), audience)
        external = self._external is not None and claims.get("iss") == self._settings.oidc_issuer
        tenant_domain, client_id, subject, scopes = (
            self._external.principal(claims) if external else _own_principal(claims)
        )
        # Our own tokens were obtained by one of our service accounts: it must still hold them.
        standing = oauth.current_subject(
            self._env,
            tenant_domain,
            subject,
            None if external else client_id,
            scopes,
            "" if external else str(claims.get(CLIENT_VERSION_CLAIM, "")),
            "" if external else str(claims.get(USER_VERSION_CLAIM, "")),
        )
        if standing is None:
            raise _invalid("The token's tenant, user or client no longer exists or may not act.")
        user = standing.user
        result = Principal(
            tenant=standing.tenant,
            client_id=client_id,
            scopes=standing.scopes,
            username=user.username if user is not None else None,
            rights=standing.rights,
            user_id=user.id if user is not None else None,
        )
        missing = frozenset(required) - result.scopes
        if missing:
            raise TokenRejected(
                403, "insufficient_scope", "The access token lacks a required scope.", required
            )
        return result

    def _decode(self, token: str, keys: KeySet, algorithms: list[str]) -> dict[str, Any]:
        try:
            decoded = jwt.decode(token, keys, algorithms=algorithms)
        except (JoseError, ValueError, TypeError, KeyError):
            raise _invalid("The access token's signature is not valid.") from None
        return dict(decoded.claims)

    def _check_registered(self, claims: Mapping[str, Any], issuer: str, audience: str) -> None:
        now = epoch(self._env)
        if claims.get("iss") != issuer:
            raise _invalid("The access token has another issuer.")
        aud = claims.get("aud")
        audiences = aud if isinstance(aud, list) else [aud]
        if audience not in audiences:
            raise _invalid("The access token is meant for another audience.")
        exp, nbf = claims.get("exp"), claims.get("nbf", 0)
        if not isinstance(exp, int) or not isinstance(nbf, int):
            raise _invalid("The access token has no valid expiry.")
        if now >= exp:
            raise _invalid("The access token has expired.")
        if nbf > now + LEEWAY_SECONDS:
            raise _invalid("The access token is not valid yet.")


def _own_principal(claims: Mapping[str, Any]) -> tuple[str, str, str | None, frozenset[str]]:
    """(tenant, client_id, user id, scopes) of a token this service issued."""
    tenant, client, sub = claims.get(TENANT_CLAIM), claims.get("client_id"), claims.get("sub")
    if not all(isinstance(v, str) and v for v in (tenant, client, sub)):
        raise _invalid("The access token lacks its subject.")
    scope = claims.get("scope", "")
    username = sub if claims.get(KIND_CLAIM) == "user" else None
    return str(tenant), str(client), username, frozenset(str(scope).split())


def _bearer_token(request: Request) -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise TokenRejected(401, "", "A bearer access token is required.")
    token = value.strip()
    if token.count(".") != 2 or len(token) > 8192:
        raise _invalid("The access token is malformed.")
    return token
