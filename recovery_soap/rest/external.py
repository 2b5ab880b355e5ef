"""Trusting an external OpenID provider's access tokens: its JWKS fetched over HTTP and cached,
its issuer and audience configured, one of its claims naming the user of a configured tenant."""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from typing import Any

import httpx
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from recovery_soap.config import Settings
from recovery_soap.core.errors import Unavailable
from recovery_soap.rest.bearer import TokenRejected

#: Asymmetric algorithms only: an HMAC "verified" with a public key proves nothing.
ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "ES256", "ES384"]
UNKNOWN_KID_REFETCH_SECONDS = 10.0


class ExternalIssuer:
    def __init__(self, settings: Settings) -> None:
        self._url = settings.oidc_jwks_url
        self._ttl = settings.oidc_jwks_cache_seconds
        self._username_claim = settings.oidc_username_claim
        self._tenant = settings.oidc_tenant
        self.algorithms = ALGORITHMS
        self._lock = threading.Lock()
        self._keys: KeySet | None = None
        self._fetched_at = float("-inf")

    def _fetch(self) -> None:
        try:
            answer = httpx.get(self._url, timeout=5.0, follow_redirects=False)
            answer.raise_for_status()
            keys = KeySet.import_key_set(answer.json())
        except (httpx.HTTPError, ValueError, JoseError) as exc:
            raise Unavailable("the identity provider's keys could not be fetched") from exc
        self._keys, self._fetched_at = keys, time.monotonic()

    def keys(self, kid: Any) -> KeySet:
        """The provider's keys: cached for the configured time, re-fetched (not too often)
        when a token names a key id the cached set lacks."""
        with self._lock:
            age = time.monotonic() - self._fetched_at
            known = self._keys is not None and any(k.kid == kid for k in self._keys.keys)
            if (
                self._keys is None
                or age > self._ttl
                or (not known and age > UNKNOWN_KID_REFETCH_SECONDS)
            ):
                self._fetch()
            assert self._keys is not None
            return self._keys

    def principal(self, claims: Mapping[str, Any]) -> tuple[str, str, str | None, frozenset[str]]:
        """(tenant, client_id, username, scopes) of a verified external token."""
        username = claims.get(self._username_claim)
        if not isinstance(username, str) or not username:
            raise TokenRejected(401, "invalid_token", "The access token names no user.")
        scope = claims.get("scope", claims.get("scp", ""))
        scopes = frozenset(scope.split() if isinstance(scope, str) else map(str, scope or []))
        client = claims.get("azp") or claims.get("client_id") or "external"
        return self._tenant, str(client), username, scopes
