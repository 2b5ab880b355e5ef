"""spyne's WSGI server class, imported without Werkzeug.

spyne's WSGI module imports Werkzeug's form parser when it is installed, for HttpRpc, which this
service never uses. Werkzeug costs a few MB in every worker, so it stays out until a REST face
imports it (recovery_soap.app loads the REST faces on their first request).
"""

from __future__ import annotations

import sys

_werkzeug_absent = "werkzeug" not in sys.modules
if _werkzeug_absent:
    sys.modules["werkzeug"] = None  # type: ignore[assignment]  # makes the import fail
try:
    from spyne.server.wsgi import WsgiApplication
finally:
    if _werkzeug_absent:
        del sys.modules["werkzeug"]

__all__ = ["WsgiApplication"]
