"""The served WSDL, generated from this package's own type and operation definitions.

spyne cannot express the legacy WSDL's shape (one binding per protocol with ``urn:<op>``
SOAPActions, the legacy binding/port/message names, the declared faults), so it is written here
with lxml from the same spyne definitions the service runs on. The HTTP binding is declared for
generated clients, but no operation is ever run from a URL path.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from lxml import etree

from recovery_soap.soap.faults import BASE_EXCEPTION_OPERATIONS
from recovery_soap.soap.service import UserInformationRecoveryService
from recovery_soap.soap.types import (
    ALL_TYPES,
    BASE_NS,
    BEANS_NS,
    CAPTCHA_NS,
    DTO_NS,
    MAIL_NS,
    MGT_NS,
    SERVICE_NS,
)

SERVICE = "UserInformationRecoveryService"
WSDL_NS = "http://schemas.xmlsoap.org/wsdl/"
XS_NS = "http://www.w3.org/2001/XMLSchema"
WSAW_NS = "http://www.w3.org/2006/05/addressing/wsdl"
HTTP_NS = "http://schemas.xmlsoap.org/wsdl/http/"
SOAP_NS = "http://schemas.xmlsoap.org/wsdl/soap/"
SOAP12_NS = "http://schemas.xmlsoap.org/wsdl/soap12/"
MIME_NS = "http://schemas.xmlsoap.org/wsdl/mime/"
SOAP_HTTP_TRANSPORT = "http://schemas.xmlsoap.org/soap/http"

PREFIXES = {
    "wsdl": WSDL_NS,
    "xs": XS_NS,
    "wsaw": WSAW_NS,
    "http": HTTP_NS,
    "soap": SOAP_NS,
    "soap12": SOAP12_NS,
    "mime": MIME_NS,
    "ns": SERVICE_NS,
    "cap": CAPTCHA_NS,
    "bean": BEANS_NS,
    "dto": DTO_NS,
    "mail": MAIL_NS,
    "base": BASE_NS,
    "mgt": MGT_NS,
}
_PREFIX_OF = {uri: prefix for prefix, uri in PREFIXES.items()}
#: Schema order in the document; each namespace imports the ones its types refer to.
SCHEMA_ORDER = (CAPTCHA_NS, SERVICE_NS, DTO_NS, BEANS_NS, MAIL_NS, BASE_NS, MGT_NS)

EXCEPTION = f"{SERVICE}IdentityMgtServiceException"
BASE_EXCEPTION = f"{SERVICE}IdentityException"


def _q(ns: str, name: str) -> str:
    return f"{{{ns}}}{name}"


def _ref(kind: Any) -> str:
    return f"{_PREFIX_OF[kind.get_namespace()]}:{kind.get_type_name()}"


def _element(parent: etree._Element, name: str, kind: Any) -> None:
    attributes = kind.Attributes
    element = etree.SubElement(parent, _q(XS_NS, "element"))
    if attributes.max_occurs != 1:
        element.set("maxOccurs", "unbounded")
    element.set("minOccurs", str(attributes.min_occurs))
    element.set("name", name)
    if attributes.nillable:
        element.set("nillable", "true")
    element.set("type", _ref(kind))


def _referenced(kinds: Any) -> set[str]:
    return {k.get_namespace() for k in kinds if k.get_namespace() != XS_NS}


def operations() -> list[str]:
    return sorted(UserInformationRecoveryService.public_methods)


def _fault_name(operation: str) -> str:
    return BASE_EXCEPTION if operation in BASE_EXCEPTION_OPERATIONS else EXCEPTION


def _schemas(types: etree._Element) -> None:
    by_ns: dict[str, list[Any]] = {}
    for kind in ALL_TYPES:
        by_ns.setdefault(kind.get_namespace(), []).append(kind)
    methods = UserInformationRecoveryService.public_methods
    for ns in SCHEMA_ORDER:
        schema = etree.SubElement(types, _q(XS_NS, "schema"))
        schema.set("attributeFormDefault", "qualified")
        schema.set("elementFormDefault", "qualified")
        schema.set("targetNamespace", ns)
        if ns == SERVICE_NS:
            _service_schema(schema, methods)
            continue
        kinds = by_ns.get(ns, [])
        refs = set()
        for kind in kinds:
            own = kind._type_info.values()
            refs |= _referenced(own)
            if kind.__extends__ is not None:
                refs.add(kind.__extends__.get_namespace())
        for other in sorted(refs - {ns}):
            etree.SubElement(schema, _q(XS_NS, "import")).set("namespace", other)
        for kind in kinds:
            _complex_type(schema, kind)


def _complex_type(schema: etree._Element, kind: Any) -> None:
    complex_type = etree.SubElement(schema, _q(XS_NS, "complexType"))
    complex_type.set("name", kind.get_type_name())
    parent = complex_type
    if kind.__extends__ is not None:
        content = etree.SubElement(complex_type, _q(XS_NS, "complexContent"))
        parent = etree.SubElement(content, _q(XS_NS, "extension"))
        parent.set("base", _ref(kind.__extends__))
    sequence = etree.SubElement(parent, _q(XS_NS, "sequence"))
    for name, field in kind._type_info.items():
        _element(sequence, name, field)


def _wrapper(schema: etree._Element, name: str, fields: Any) -> None:
    element = etree.SubElement(schema, _q(XS_NS, "element"))
    element.set("name", name)
    sequence = etree.SubElement(
        etree.SubElement(element, _q(XS_NS, "complexType")), _q(XS_NS, "sequence")
    )
    for field_name, kind in fields:
        _element(sequence, field_name, kind)


def _service_schema(schema: etree._Element, methods: Any) -> None:
    from recovery_soap.soap.types import IdentityException, IdentityMgtServiceException

    kinds = [IdentityException, IdentityMgtServiceException]
    for descriptor in methods.values():
        kinds += list(descriptor.in_message._type_info.values())
        kinds += list(descriptor.out_message._type_info.values())
    for other in sorted(_referenced(kinds) - {SERVICE_NS}):
        etree.SubElement(schema, _q(XS_NS, "import")).set("namespace", other)
    _wrapper(schema, EXCEPTION, [("IdentityMgtServiceException", IdentityMgtServiceException)])
    _wrapper(schema, BASE_EXCEPTION, [("IdentityException", IdentityException)])
    for name in operations():
        descriptor = methods[name]
        _wrapper(schema, name, descriptor.in_message._type_info.items())
        _wrapper(schema, f"{name}Response", descriptor.out_message._type_info.items())


def _messages(root: etree._Element) -> None:
    def message(name: str, element: str) -> None:
        node = etree.SubElement(root, _q(WSDL_NS, "message"), name=name)
        etree.SubElement(node, _q(WSDL_NS, "part"), name="parameters", element=f"ns:{element}")

    message(EXCEPTION, EXCEPTION)
    message(BASE_EXCEPTION, BASE_EXCEPTION)
    for name in operations():
        message(f"{name}Request", name)
        message(f"{name}Response", f"{name}Response")


def _port_type(root: etree._Element) -> None:
    port_type = etree.SubElement(root, _q(WSDL_NS, "portType"), name=f"{SERVICE}PortType")
    for name in operations():
        operation = etree.SubElement(port_type, _q(WSDL_NS, "operation"), name=name)
        for part, suffix in (("input", "Request"), ("output", "Response")):
            node = etree.SubElement(operation, _q(WSDL_NS, part), message=f"ns:{name}{suffix}")
            node.set(
                _q(WSAW_NS, "Action"), f"urn:{name}" + ("Response" if part == "output" else "")
            )
        fault = _fault_name(name)
        node = etree.SubElement(operation, _q(WSDL_NS, "fault"), message=f"ns:{fault}", name=fault)
        node.set(_q(WSAW_NS, "Action"), f"urn:{name}{fault}")


def _soap_binding(root: etree._Element, version_ns: str, name: str) -> None:
    binding = etree.SubElement(
        root, _q(WSDL_NS, "binding"), name=name, type=f"ns:{SERVICE}PortType"
    )
    etree.SubElement(
        binding, _q(version_ns, "binding"), transport=SOAP_HTTP_TRANSPORT, style="document"
    )
    for op in operations():
        operation = etree.SubElement(binding, _q(WSDL_NS, "operation"), name=op)
        etree.SubElement(
            operation, _q(version_ns, "operation"), soapAction=f"urn:{op}", style="document"
        )
        for part in ("input", "output"):
            etree.SubElement(
                etree.SubElement(operation, _q(WSDL_NS, part)),
                _q(version_ns, "body"),
                use="literal",
            )
        fault = _fault_name(op)
        node = etree.SubElement(operation, _q(WSDL_NS, "fault"), name=fault)
        etree.SubElement(node, _q(version_ns, "fault"), use="literal", name=fault)


def _http_binding(root: etree._Element) -> None:
    binding = etree.SubElement(
        root, _q(WSDL_NS, "binding"), name=f"{SERVICE}HttpBinding", type=f"ns:{SERVICE}PortType"
    )
    etree.SubElement(binding, _q(HTTP_NS, "binding"), verb="POST")
    for op in operations():
        operation = etree.SubElement(binding, _q(WSDL_NS, "operation"), name=op)
        etree.SubElement(operation, _q(HTTP_NS, "operation"), location=op)
        for part in ("input", "output"):
            etree.SubElement(
                etree.SubElement(operation, _q(WSDL_NS, part)),
                _q(MIME_NS, "content"),
                type="text/xml",
                part="parameters",
            )


def port_paths(scheme: str) -> Iterator[tuple[str, str, str, str]]:
    """(port name, binding, address element namespace, path) for each legacy port."""
    transport = "Https" if scheme == "https" else "Http"
    for kind, version_ns in (("Soap11", SOAP_NS), ("Soap12", SOAP12_NS), ("", HTTP_NS)):
        binding = f"{SERVICE}{kind}Binding" if kind else f"{SERVICE}HttpBinding"
        port = f"{SERVICE}Https{kind}Endpoint"
        yield port, binding, version_ns, f"/services/{SERVICE}.{SERVICE}{transport}{kind}Endpoint/"


@lru_cache(maxsize=16)
def _document(scheme: str, base: str) -> bytes:
    root = etree.Element(_q(WSDL_NS, "definitions"), nsmap=PREFIXES)
    root.set("targetNamespace", SERVICE_NS)
    etree.SubElement(root, _q(WSDL_NS, "documentation")).text = SERVICE
    _schemas(etree.SubElement(root, _q(WSDL_NS, "types")))
    _messages(root)
    _port_type(root)
    _soap_binding(root, SOAP_NS, f"{SERVICE}Soap11Binding")
    _soap_binding(root, SOAP12_NS, f"{SERVICE}Soap12Binding")
    _http_binding(root)
    service = etree.SubElement(root, _q(WSDL_NS, "service"), name=SERVICE)
    for port_name, binding, version_ns, path in port_paths(scheme):
        port = etree.SubElement(
            service, _q(WSDL_NS, "port"), name=port_name, binding=f"ns:{binding}"
        )
        etree.SubElement(port, _q(version_ns, "address"), location=base + path)
    document: bytes = etree.tostring(
        root, xml_declaration=True, encoding="UTF-8", pretty_print=True
    )
    return document


def render_wsdl(base_url: str = "https://localhost:9443") -> bytes:
    """The WSDL with service addresses under ``base_url`` (scheme://host[:port])."""
    base = base_url.rstrip("/")
    return _document(base.partition(":")[0].lower(), base)
