"""The one reading of a request's Content-Type, for the front, the short path and spyne alike.

spyne reads the header with cgi.parse_header (the last charset wins), the short path read the
first: ``text/xml; charset=utf-8; charset=iso-8859-1`` then decoded the same bytes two ways. Here
a charset named more than once is refused; spyne is handed the header rebuilt from this reading.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.message import Message
from email.utils import collapse_rfc2231_value
from functools import lru_cache

from recovery_soap.core.errors import RecoverySoapError


class AmbiguousContentType(RecoverySoapError, ValueError):
    """The header names its charset more than once."""


@dataclass(frozen=True)
class ContentType:
    media_type: str
    charset: str | None = None
    #: The other parameters (SOAP 1.2's action, say), as read.
    parameters: tuple[tuple[str, str], ...] = ()

    def header(self) -> str:
        """The header rebuilt from this reading, for spyne (and anything after it) to read."""
        parameters = ([("charset", self.charset)] if self.charset else []) + list(self.parameters)
        quoted = "".join(f'; {name}="{_escaped(value)}"' for name, value in parameters)
        return self.media_type + quoted


def _escaped(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')


@lru_cache(maxsize=256)
def parse_content_type(header: str) -> ContentType:
    """Media type (lower case) and charset (lower case, unquoted, or None).

    Remembered per header text: callers send a handful of distinct headers, and the standard
    library's parameter parser costs more than the rest of a plain request's recognition; an
    ambiguous header raises every time (exceptions are not remembered)."""
    message = Message()
    message["Content-Type"] = header
    media_type = header.split(";")[0].strip().lower()
    parameters = [
        (name.strip().lower(), collapse_rfc2231_value(value).strip())
        for name, value in (message.get_params(header="content-type") or [])[1:]
    ]
    charsets = [value.lower() for name, value in parameters if name == "charset"]
    if len(charsets) > 1:
        raise AmbiguousContentType("The Content-Type header names its charset more than once.")
    others = tuple((name, value) for name, value in parameters if name != "charset" and value)
    return ContentType(media_type, charsets[0] if charsets and charsets[0] else None, others)
