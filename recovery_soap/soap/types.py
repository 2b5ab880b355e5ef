"""The legacy wire types, with their namespaces, alphabetical field order and typos (``verfied``).

Strings are optional and nillable, ints and booleans optional and not nillable, repeated
elements are bare repeated children (never spyne's Array wrapper, which legacy clients don't send).
spyne ships no type information: to mypy its classes are Any, so each bean's class line says so.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from spyne import Boolean, ComplexModel, Int, Unicode, rpc

SERVICE_NS = "http://services.mgt.identity.carbon.wso2.org"
CAPTCHA_NS = "http://beans.mgt.captcha.carbon.wso2.org/xsd"
BEANS_NS = "http://beans.mgt.identity.carbon.wso2.org/xsd"
DTO_NS = "http://dto.mgt.identity.carbon.wso2.org/xsd"
MAIL_NS = "http://mail.mgt.identity.carbon.wso2.org/xsd"
BASE_NS = "http://base.identity.carbon.wso2.org/xsd"
MGT_NS = "http://mgt.identity.carbon.wso2.org/xsd"

String = Unicode(min_occurs=0, nillable=True)
Integer = Int(min_occurs=0, nillable=False)
Flag = Boolean(min_occurs=0, nillable=False)


def operation(*types: Any, **options: Any) -> Callable[[Callable[..., Any]], object]:
    """spyne's ``@rpc``, typed: an untyped decorator would hide the method's own annotations."""
    decorator: Callable[[Callable[..., Any]], object] = rpc(*types, **options)
    return decorator


def repeated(kind: Any) -> Any:
    """A bare repeated element (``maxOccurs="unbounded"``)."""
    return kind.customize(min_occurs=0, max_occurs="unbounded", nillable=True)


class CaptchaInfoBean(ComplexModel):  # type: ignore[misc]  # spyne is untyped
    __namespace__ = CAPTCHA_NS
    _type_info = [("imagePath", String), ("secretKey", String), ("userAnswer", String)]


class TransportHeader(ComplexModel):  # type: ignore[misc]  # spyne is untyped
    __namespace__ = MAIL_NS
    _type_info = [("headerName", String), ("headerValue", String)]


class NotificationDataDTO(ComplexModel):  # type: ignore[misc]  # spyne is untyped
    __namespace__ = DTO_NS
    _type_info = [
        ("domainName", String),
        ("firstName", String),
        ("notification", String),
        ("notificationAddress", String),
        ("notificationCode", String),
        ("notificationSent", Flag),
        ("notificationSubject", String),
        ("notificationType", String),
        ("transportHeaders", repeated(TransportHeader)),
        ("userId", String),
    ]


class VerificationBean(ComplexModel):  # type: ignore[misc]  # spyne is untyped
    __namespace__ = BEANS_NS
    _type_info = [
        ("error", String),
        ("key", String),
        ("notificationData", NotificationDataDTO.customize(min_occurs=0, nillable=True)),
        ("redirectPath", String),
        ("userId", String),
        ("verified", Flag),
    ]


class ChallengeQuestionIdsDTO(ComplexModel):  # type: ignore[misc]  # spyne is untyped
    __namespace__ = DTO_NS
    _type_info = [("error", String), ("ids", repeated(Unicode)), ("key", String)]


class UserChallengesDTO(ComplexModel):  # type: ignore[misc]  # spyne is untyped
    __namespace__ = DTO_NS
    _type_info = [
        ("answer", String),
        ("error", String),
        ("id", String),
        ("key", String),
        ("order", Integer),
        ("primary", Flag),
        ("question", String),
        ("verfied", Flag),  # sic: the legacy contract's spelling
    ]


class UserChallengesCollectionDTO(ComplexModel):  # type: ignore[misc]  # spyne is untyped
    __namespace__ = DTO_NS
    _type_info = [
        ("error", String),
        ("key", String),
        ("userChallengesDTOs", repeated(UserChallengesDTO)),
    ]


class ChallengeQuestionDTO(ComplexModel):  # type: ignore[misc]  # spyne is untyped
    __namespace__ = DTO_NS
    _type_info = [
        ("order", Integer),
        ("promoteQuestion", Flag),
        ("question", String),
        ("questionSetId", String),
    ]


class UserIdentityClaimDTO(ComplexModel):  # type: ignore[misc]  # spyne is untyped
    __namespace__ = DTO_NS
    _type_info = [
        ("claimUri", String),
        ("claimValue", String),
        ("displayName", String),
        ("required", Flag),
    ]


class IdentityException(ComplexModel):  # type: ignore[misc]  # spyne is untyped
    __namespace__ = BASE_NS
    _type_info = [("errorCode", String)]


class IdentityMgtServiceException(IdentityException):
    __namespace__ = MGT_NS
    _type_info = []


#: Every bean, in the order its schema appears in the WSDL.
ALL_TYPES = (
    CaptchaInfoBean,
    NotificationDataDTO,
    ChallengeQuestionIdsDTO,
    UserChallengesDTO,
    UserChallengesCollectionDTO,
    ChallengeQuestionDTO,
    UserIdentityClaimDTO,
    VerificationBean,
    TransportHeader,
    IdentityException,
    IdentityMgtServiceException,
)
