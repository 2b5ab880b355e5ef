"""Logging set-up. Third-party loggers that would write request content are silenced: a
malformed request may carry a password, and spyne logs whole invalid documents."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

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


def utc_timestamp(record: logging.LogRecord) -> str:
    """ISO 8601 in UTC with milliseconds: 2026-12-05T01:03:38.083Z."""
    moment = datetime.fromtimestamp(record.created, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{int(record.msecs):03d}Z"


class TextFormatter(logging.Formatter):
    """Readable lines: UTC time, level, logger, message."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802
        return utc_timestamp(record)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message and the call fields."""

    def format(self, record: logging.LogRecord) -> str:
        data = {
            "time": utc_timestamp(record),
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
    handler.setFormatter(formatter(fmt))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(getattr(logging, level.upper(), logging.INFO))
    logging.getLogger("waitress").setLevel(logging.WARNING)
    quiet_third_party()


def formatter(fmt: str = "text") -> logging.Formatter:
    return JsonFormatter() if fmt == "json" else TextFormatter()


def gunicorn_logconfig(fmt: str = "text", level: str = "INFO") -> dict[str, Any]:
    """gunicorn's ``logconfig_dict``: its error and access logs in the service's own format, on
    the same stream, so that a process writes one format only."""
    handler = {
        "class": "logging.StreamHandler",
        "formatter": "service",
        "stream": "ext://sys.stderr",
    }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"service": {"()": formatter, "fmt": fmt}},
        "handlers": {"service": handler},
        "root": {"level": level.upper(), "handlers": ["service"]},
        "loggers": {
            "gunicorn.error": {"level": level.upper(), "handlers": [], "propagate": True},
            "gunicorn.access": {"level": "INFO", "handlers": [], "propagate": True},
        },
    }
