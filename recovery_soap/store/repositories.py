"""The repositories' former home, kept only for importers not yet moved: cli.py
(``audit_listing``) and scripts/bench.py (the hot statements). New code imports the aggregate's
own module (tenants, users, guards, codes, captchas, questions, outbox_writes, accounts, audit).
"""

from __future__ import annotations

from recovery_soap.store.accounts import AccountRepository
from recovery_soap.store.audit import AuditRepository, audit_listing
from recovery_soap.store.base import Repository, dialect_insert
from recovery_soap.store.captchas import CaptchaRepository
from recovery_soap.store.codes import CODE_BY_HASH as _CODE_BY_HASH
from recovery_soap.store.codes import CODE_VALUES as _CODE_VALUES
from recovery_soap.store.codes import REPLACE_CODE as _REPLACE_CODE
from recovery_soap.store.codes import SPEND_LIVE as _SPEND_LIVE
from recovery_soap.store.codes import CodeRepository
from recovery_soap.store.guards import GuardRepository
from recovery_soap.store.outbox_writes import OutboxRepository
from recovery_soap.store.questions import QUESTIONS_OF_TENANT as _QUESTIONS_OF_TENANT
from recovery_soap.store.questions import QuestionRepository
from recovery_soap.store.tenants import TenantRepository
from recovery_soap.store.users import USER_BY_NAME as _USER_BY_NAME
from recovery_soap.store.users import UserRepository, user_from_row

__all__ = [
    "_CODE_BY_HASH",
    "_CODE_VALUES",
    "_QUESTIONS_OF_TENANT",
    "_REPLACE_CODE",
    "_SPEND_LIVE",
    "_USER_BY_NAME",
    "AccountRepository",
    "AuditRepository",
    "CaptchaRepository",
    "CodeRepository",
    "GuardRepository",
    "OutboxRepository",
    "QuestionRepository",
    "Repository",
    "TenantRepository",
    "UserRepository",
    "audit_listing",
    "dialect_insert",
    "user_from_row",
]
