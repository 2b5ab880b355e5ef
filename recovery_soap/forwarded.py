"""Which peers are proxies the service trusts, and what their X-Forwarded-* headers say.

X-Forwarded-For, -Proto and -Host are honoured only when the request comes straight from a
trusted proxy (``trusted_proxies``: addresses or networks). Each proxy appends the address it
was connected from, so the client is the rightmost X-Forwarded-For entry that is not itself a
trusted proxy: whatever a client writes into the header lies to the left of it (the rule of
werkzeug's ProxyFix, with a list of proxies instead of a count). The scheme and host are taken
from the same hop, counted from the right, or the leftmost value when a proxy did not append.

``trust_proxy=true`` (deprecated) without ``trusted_proxies`` trusts loopback only: a proxy on
the same host, the one arrangement where it was always safe.
"""

from __future__ import annotations

import ipaddress
import logging
from dataclasses import dataclass
from typing import Any

log = logging.getLogger("recovery_soap.http")

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
LOOPBACK = ("127.0.0.0/8", "::1/128")
#: Longest client address kept (the audit column); a longer value is no address anyway.
MAX_ADDRESS = 64


def parse_networks(spec: str) -> tuple[Network, ...]:
    """``10.0.0.1, 10.1.0.0/16, ::1`` as networks; ValueError names a bad entry."""
    networks = []
    for entry in (part.strip() for part in spec.replace(" ", ",").split(",")):
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            raise ValueError(f"{entry!r} is not an IP address or network") from None
    return tuple(networks)


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    text = text.strip().strip('"')
    if text.startswith("[") and "]" in text:  # [v6]:port
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # v4:port
        text = text.split(":")[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


@dataclass(frozen=True)
class TrustedProxies:
    networks: tuple[Network, ...] = ()

    @classmethod
    def from_settings(cls, settings: Any) -> TrustedProxies:
        if settings.trusted_proxies.strip():
            return cls(parse_networks(settings.trusted_proxies))
        if settings.trust_proxy:
            log.warning(
                "trust_proxy is deprecated: X-Forwarded-* is honoured from loopback only; "
                "name the proxies in trusted_proxies"
            )
            return cls(parse_networks(",".join(LOOPBACK)))
        return cls()

    def __bool__(self) -> bool:
        return bool(self.networks)

    def trusts(self, text: str) -> bool:
        address = _address(text)
        return address is not None and any(address in network for network in self.networks)

    def _hops(self, environ: dict[str, Any]) -> tuple[list[str], int] | None:
        """The X-Forwarded-For entries and the client's index among them; None when the peer
        is not a trusted proxy or named no client."""
        if not self.trusts(str(environ.get("REMOTE_ADDR", ""))):
            return None
        entries = _entries(environ.get("HTTP_X_FORWARDED_FOR"))
        if not entries:
            return None
        index = len(entries) - 1
        while index > 0 and self.trusts(entries[index]):
            index -= 1
        return entries, index

    def client_address(self, environ: dict[str, Any]) -> str:
        hops = self._hops(environ)
        if hops is None:
            return str(environ.get("REMOTE_ADDR", ""))
        entries, index = hops
        return entries[index].strip('"')[:MAX_ADDRESS]

    def forwarded(self, environ: dict[str, Any], header: str) -> str | None:
        """X-Forwarded-Proto or -Host as the proxy nearest the client saw it, if trusted."""
        if not self.trusts(str(environ.get("REMOTE_ADDR", ""))):
            return None
        values = _entries(environ.get(f"HTTP_X_FORWARDED_{header.upper()}"))
        if not values:
            return None
        hops = self._hops(environ)
        from_right = len(hops[0]) - hops[1] if hops is not None else 1
        return values[max(0, len(values) - from_right)]


def _entries(header: Any) -> list[str]:
    return [part.strip() for part in str(header or "").split(",") if part.strip()]
