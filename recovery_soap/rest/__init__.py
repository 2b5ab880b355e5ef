"""The REST faces (OAuth2 token service, SCIM 2.0, subscriber management) over the same core.

Like ``soap/``, this package only translates: HTTP and JSON in, a core use case, JSON out.
Its third-party imports (werkzeug, joserfc, pydantic/scim2-models) are loaded on the first REST
request, so a worker that only ever answers SOAP does not pay for them in memory.
"""
