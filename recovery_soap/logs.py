"""Logging set-up. Third-party loggers that would write request content are silenced: a
malformed request may carry a password, and spyne logs whole invalid documents."""

from __future__ import annotations

import logging

#: Loggers that log request or response documents (with any secret in them) or noise.
SILENCED = (
    "spyne.protocol.soap.soap11.invalid",
    "spyne.protocol.xml.invalid",
    "spyne.server.wsgi",
    "spyne.application.client",
)


def quiet_third_party() -> None:
    for name in SILENCED:
        logger = logging.getLogger(name)
        logger.setLevel(logging.CRITICAL + 1)
        logger.propagate = False
    logging.getLogger("spyne").setLevel(logging.ERROR)


def configure(level: str = "INFO") -> None:
    """Readable one-line records on stderr."""
    logging.basicConfig(
        level=getattr(logging, level.upper(), logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    logging.getLogger("waitress").setLevel(logging.WARNING)
    quiet_third_party()
