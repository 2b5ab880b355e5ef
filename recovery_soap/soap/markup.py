"""A bound on the markup of a request, checked on its bytes before anything parses them.

A parsed tree costs about 120 bytes per element or attribute whatever its size in the request,
and spyne then wraps each SOAP header entry in a Python object: 1 MiB of ``<h/>`` grew a worker
by 55 MiB. No request of the legacy contract comes near a few hundred tags, so a body with more
than MAX_TAGS ``<`` or MAX_ATTRIBUTES ``=`` (upper bounds on its tags and attributes, whatever
the encoding) is refused as a client fault, on the short path and spyne's alike.
"""

from __future__ import annotations

MAX_TAGS = 20_000
MAX_ATTRIBUTES = 20_000


def refusal(body: bytes) -> str | None:
    """Why ``body`` holds too much markup to be parsed, or None."""
    if body.count(b"<") > MAX_TAGS:
        return f"The request has too much markup (more than {MAX_TAGS} tags)"
    if body.count(b"=") > MAX_ATTRIBUTES:
        return f"The request has too much markup (more than {MAX_ATTRIBUTES} attributes)"
    return None
