"""The WSDL of AuthenticationAdmin, in the shape Axis2 gave WSO2 Carbon's: the two operations
legacy callers use (``login``, in-only ``logout``), ``urn:<op>`` actions, SOAP 1.1, SOAP 1.2 and
HTTP bindings, and the declared AuthenticationAdminAuthenticationException fault of ``login``.
Carbon also declared it on ``logout`` (Axis2's robust in-only), which WSDL 1.1 cannot say of a
one-way operation and JAX-WS wsimport refuses; it is left out.
"""

from __future__ import annotations

from functools import lru_cache

from lxml import etree

from recovery_soap.soap import wsdl
from recovery_soap.soap.authentication_admin import AUTH_NS, AUTH_SERVICE, COMMON_NS
from recovery_soap.soap.wsdl import (
    HTTP_NS,
    MIME_NS,
    SOAP12_NS,
    SOAP_HTTP_TRANSPORT,
    SOAP_NS,
    WSAW_NS,
    WSDL_NS,
    XS_NS,
)

FAULT = f"{AUTH_SERVICE}AuthenticationException"
PREFIXES = {
    **{k: v for k, v in wsdl.PREFIXES.items() if v not in wsdl.SCHEMA_ORDER},
    "ns": AUTH_NS,
    "ax21": COMMON_NS,
}
#: operation -> (request fields, whether it answers)
OPERATIONS = {"login": (("username", "password", "remoteAddress"), True), "logout": ((), False)}


def _q(ns: str, name: str) -> str:
    return f"{{{ns}}}{name}"


def _sub(parent: etree._Element, ns: str, tag: str, **attributes: str) -> etree._Element:
    return etree.SubElement(parent, _q(ns, tag), **attributes)


def _wrapper(schema: etree._Element, name: str, fields: list[tuple[str, str, bool]]) -> None:
    element = _sub(schema, XS_NS, "element", name=name)
    sequence = _sub(_sub(element, XS_NS, "complexType"), XS_NS, "sequence")
    for field, kind, nillable in fields:
        item = _sub(sequence, XS_NS, "element", minOccurs="0", name=field)
        if nillable:
            item.set("nillable", "true")
        item.set("type", kind)


def _types(root: etree._Element) -> None:
    types = _sub(root, WSDL_NS, "types")
    common = _sub(types, XS_NS, "schema", attributeFormDefault="qualified")
    common.set("elementFormDefault", "qualified")
    common.set("targetNamespace", COMMON_NS)
    exception = _sub(common, XS_NS, "complexType", name="AuthenticationException")
    _sub(exception, XS_NS, "sequence")
    schema = _sub(types, XS_NS, "schema", attributeFormDefault="qualified")
    schema.set("elementFormDefault", "qualified")
    schema.set("targetNamespace", AUTH_NS)
    _sub(schema, XS_NS, "import", namespace=COMMON_NS)
    _wrapper(schema, FAULT, [("AuthenticationException", "ax21:AuthenticationException", True)])
    for name, (fields, answers) in OPERATIONS.items():
        _wrapper(schema, name, [(f, "xs:string", True) for f in fields])
        if answers:
            _wrapper(schema, f"{name}Response", [("return", "xs:boolean", False)])


def _messages(root: etree._Element) -> None:
    def message(name: str, element: str) -> None:
        node = _sub(root, WSDL_NS, "message", name=name)
        _sub(node, WSDL_NS, "part", name="parameters", element=f"ns:{element}")

    for name, (_, answers) in OPERATIONS.items():
        message(f"{name}Request", name)
        if answers:
            message(f"{name}Response", f"{name}Response")
    message(FAULT, FAULT)


def _port_type(root: etree._Element) -> None:
    port_type = _sub(root, WSDL_NS, "portType", name=f"{AUTH_SERVICE}PortType")
    for name, (_, answers) in OPERATIONS.items():
        operation = _sub(port_type, WSDL_NS, "operation", name=name)
        parts = [("input", "Request", "")] + ([("output", "Response", "Response")] * answers)
        for part, message, action in parts:
            node = _sub(operation, WSDL_NS, part, message=f"ns:{name}{message}")
            node.set(_q(WSAW_NS, "Action"), f"urn:{name}{action}")
        if answers:  # WSDL 1.1 gives a one-way operation no fault (wsimport refuses one)
            fault = _sub(operation, WSDL_NS, "fault", message=f"ns:{FAULT}", name=FAULT)
            fault.set(_q(WSAW_NS, "Action"), f"urn:{name}{FAULT}")


def _soap_binding(root: etree._Element, version_ns: str, kind: str) -> None:
    binding = _sub(
        root,
        WSDL_NS,
        "binding",
        name=f"{AUTH_SERVICE}{kind}Binding",
        type=f"ns:{AUTH_SERVICE}PortType",
    )
    _sub(binding, version_ns, "binding", transport=SOAP_HTTP_TRANSPORT, style="document")
    for name, (_, answers) in OPERATIONS.items():
        operation = _sub(binding, WSDL_NS, "operation", name=name)
        _sub(operation, version_ns, "operation", soapAction=f"urn:{name}", style="document")
        for part in ("input", "output")[: 1 + answers]:
            _sub(_sub(operation, WSDL_NS, part), version_ns, "body", use="literal")
        if answers:
            fault = _sub(operation, WSDL_NS, "fault", name=FAULT)
            _sub(fault, version_ns, "fault", use="literal", name=FAULT)


def _http_binding(root: etree._Element) -> None:
    binding = _sub(
        root,
        WSDL_NS,
        "binding",
        name=f"{AUTH_SERVICE}HttpBinding",
        type=f"ns:{AUTH_SERVICE}PortType",
    )
    _sub(binding, HTTP_NS, "binding", verb="POST")
    for name, (_, answers) in OPERATIONS.items():
        operation = _sub(binding, WSDL_NS, "operation", name=name)
        _sub(operation, HTTP_NS, "operation", location=name)
        for part in ("input", "output")[: 1 + answers]:
            _sub(
                _sub(operation, WSDL_NS, part),
                MIME_NS,
                "content",
                type="text/xml",
                part="parameters",
            )


@lru_cache(maxsize=16)
def _document(base: str) -> bytes:
    root = etree.Element(_q(WSDL_NS, "definitions"), nsmap=PREFIXES)
    root.set("targetNamespace", AUTH_NS)
    _sub(root, WSDL_NS, "documentation").text = AUTH_SERVICE
    _types(root)
    _messages(root)
    _port_type(root)
    _soap_binding(root, SOAP_NS, "Soap11")
    _soap_binding(root, SOAP12_NS, "Soap12")
    _http_binding(root)
    service = _sub(root, WSDL_NS, "service", name=AUTH_SERVICE)
    transport = "Https" if base.lower().startswith("https:") else "Http"
    for kind, version_ns in (("Soap11", SOAP_NS), ("Soap12", SOAP12_NS), ("", HTTP_NS)):
        binding = f"{AUTH_SERVICE}{kind or 'Http'}Binding"
        port = _sub(service, WSDL_NS, "port", name=f"{AUTH_SERVICE}Https{kind}Endpoint")
        port.set("binding", f"ns:{binding}")
        path = f"/services/{AUTH_SERVICE}.{AUTH_SERVICE}{transport}{kind}Endpoint/"
        _sub(port, version_ns, "address", location=base + path)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))


def render_wsdl(base_url: str = "https://localhost:9443") -> bytes:
    """The WSDL with service addresses under ``base_url`` (scheme://host[:port])."""
    return _document(base_url.rstrip("/"))
