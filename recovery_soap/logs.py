"""Logging set-up. Third-party loggers that would write request content are silenced: a
malformed request may carry a password, and spyne logs whole invalid documents."""

from __future__ import annotations

import json
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


#: Fields a call record may carry (observe.record_call); nothing else is copied into JSON.
CALL_FIELDS = ("request_id", "operation", "outcome", "code", "tenant", "caller", "duration_ms")


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message and the call fields."""

    def format(self, record: logging.LogRecord) -> str:
        data = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in CALL_FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                data[name] = value
        if record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False)


def configure(level: str = "INFO", fmt: str = "text") -> None:
    """Records on stderr: readable lines, or JSON objects with fmt="json"."""
    handler = logging.StreamHandler()
    handler.setFormatter(
        JsonFormatter()
        if fmt == "json"
        else logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s")
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(getattr(logging, level.upper(), logging.INFO))
    logging.getLogger("waitress").setLevel(logging.WARNING)
    quiet_third_party()
