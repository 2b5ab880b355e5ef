"""Who a bearer token speaks for, and how a face refuses a token: shared by every REST face."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from werkzeug.wrappers import Request

from recovery_soap.core.errors import RecoverySoapError
from recovery_soap.core.model import Caller, Permission, Tenant


@dataclass(frozen=True)
class Principal:
    """The subject of a verified access token.

    ``username`` and ``user_id`` name the end user of a password-grant token (None for a
    client-credentials token); ``client_id`` is the service account that obtained the token;
    ``rights`` what the core lets it do now (core/authorisation.py).
    """

    tenant: Tenant
    client_id: str
    scopes: frozenset[str]
    username: str | None = None
    rights: frozenset[Permission] = frozenset()
    user_id: int | None = None

    @property
    def is_user(self) -> bool:
        return self.username is not None

    def caller(self, client_address: str = "") -> Caller:
        """The core's caller for this token: the account's rights, or its user's own."""
        name = self.client_id if self.username is None else f"{self.client_id}/{self.username}"
        return Caller(
            account=name[:255],
            tenant=self.tenant,
            permissions=self.rights,
            client_address=client_address[:64],
            user_id=self.user_id,
        )


class TokenRejected(RecoverySoapError):
    """A missing, invalid, expired or under-scoped token (RFC 6750 section 3).

    Each face renders it in its own JSON error shape, with ``www_authenticate()`` as the
    ``WWW-Authenticate`` header and ``status`` (401, or 403 for ``insufficient_scope``).
    """

    def __init__(
        self, status: int, error: str, description: str, scope: Iterable[str] = ()
    ) -> None:
        super().__init__(description)
        self.status = status
        self.error = error
        self.description = description
        self.scope = " ".join(sorted(scope))

    def www_authenticate(self) -> str:
        parts = ['Bearer realm="recovery-soap"']
        if self.error:
            parts.append(f'error="{self.error}"')
            parts.append(f'error_description="{self.description}"')
        if self.scope:
            parts.append(f'scope="{self.scope}"')
        return ", ".join(parts)


class BearerVerifier(Protocol):
    def verify(self, request: Request, required: Iterable[str] = ()) -> Principal:
        """The principal of the request's ``Authorization: Bearer`` token.

        Raises TokenRejected: 401 ``invalid_token`` (missing, malformed, bad signature, expired,
        unknown tenant), 403 ``insufficient_scope`` when any of ``required`` is not granted.
        """
        ...
