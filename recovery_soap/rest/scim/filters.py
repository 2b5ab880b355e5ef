"""SCIM filters (RFC 7644 section 3.4.2.2) -> directory conditions: eq, sw and co on userName and
the e-mail address, eq on externalId, joined by ``and``. Anything else is refused with
``invalidFilter``; the value only ever reaches the store as a bound parameter."""

from __future__ import annotations

from scim2_models import InvalidFilterException
from scim2_models.path import CompareOperator, Comparison, LogicalExpr, LogicalOperator, ScimFilter

from recovery_soap.core.model import Match, UserCondition, UserField
from recovery_soap.rest.http import has_lone_surrogate
from recovery_soap.rest.scim.mapping import ScimUser

CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:user"
MATCHES = {
    CompareOperator.eq: Match.EQUALS,
    CompareOperator.sw: Match.STARTS_WITH,
    CompareOperator.co: Match.CONTAINS,
}
MAX_FILTER = 1024


def _field(comparison: Comparison) -> UserField | None:
    path = comparison.attr_path
    if path.uri and path.uri.lower() != CORE_USER:
        return None
    attribute, sub = path.attr.lower(), (path.sub_attr or "").lower()
    if attribute == "username" and not sub:
        return UserField.USERNAME
    if attribute == "emails" and sub in ("", "value"):
        return UserField.EMAIL
    if attribute == "externalid" and not sub:
        return UserField.EXTERNAL_ID
    return None


def _conditions(node: object) -> list[UserCondition]:
    if isinstance(node, LogicalExpr) and node.op == LogicalOperator.and_:
        return [c for term in node.terms for c in _conditions(term)]
    if isinstance(node, Comparison):
        field = _field(node)
        match = MATCHES.get(node.op)
        if field is None:
            raise InvalidFilterException(
                detail=f"Filtering on {node.attr_path} is not supported"
                " (userName, emails, externalId)"
            )
        if match is None or not isinstance(node.value, str):
            raise InvalidFilterException(
                detail=f"The operator {node.op.value} is not supported (eq, sw, co on a string)"
            )
        if has_lone_surrogate(node.value):
            raise InvalidFilterException(detail="The filter has a string that is not valid UTF-8")
        if field is UserField.EXTERNAL_ID and match is not Match.EQUALS:
            raise InvalidFilterException(detail="externalId is compared with eq only")
        return [UserCondition(field=field, match=match, value=node.value)]
    raise InvalidFilterException(
        detail="Only eq, sw and co comparisons joined by 'and' are supported"
    )


def conditions(text: str | None) -> list[UserCondition]:
    """The conditions of a filter; an empty or missing filter matches every user."""
    if not text or not text.strip():
        return []
    if len(text) > MAX_FILTER:
        raise InvalidFilterException(detail="The filter is too long")
    return _conditions(ScimFilter[ScimUser](text).ast)
