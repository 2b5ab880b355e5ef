"""Values passed between the core and its adapters: frozen, storage-agnostic, wire-agnostic."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime

SUPER_TENANT = "carbon.super"


class Permission(enum.Enum):
    """The rights a service account may be granted: one set, checked by the core whatever the
    face (core/authorisation.py spells each as a SOAP permission group or an OAuth scope)."""

    RECOVER = "recover"  # legacy usermgt/update: the recovery operations
    VIEW = "view"  # legacy usermgt/view: reading a user's challenge questions
    REGISTER = "register"  # legacy usermgt/create: sign-up, confirmation, resend
    LOGIN = "login"  # check a user's password (password grant, subscriber authenticate)
    SUBSCRIBE = "subscribe"  # use the subscriber API (its statistics)
    USERS_LIST = "users_list"  # list and search the tenant's users
    USERS_VIEW = "users_view"  # read a user's profile
    USERS_CREATE = "users_create"  # create users
    USERS_UPDATE = "users_update"  # change a user's profile, password, state
    USERS_DELETE = "users_delete"  # delete users


class Purpose(enum.Enum):
    """What a code belongs to; a success spends every code of its purpose for the user."""

    RECOVERY = "recovery"
    SIGNUP = "signup"
    EMAIL_CHANGE = "email_change"


class Step(enum.Enum):
    """Where a code stands in its chain; each operation accepts only the steps it expects."""

    USER_VERIFIED = "user_verified"  # legacy step 1: verifyUser's key
    CODE_MAILED = "code_mailed"  # legacy step 2: the e-mailed recovery code
    CODE_CONFIRMED = "code_confirmed"  # legacy step 3: proof by the mailbox
    QUESTIONS_SHOWN = "questions_shown"  # legacy step 20: questions read, nothing proved
    QUESTION_ASKED = "question_asked"  # legacy step 40: one question asked
    ANSWERED = "answered"  # legacy step 30: answers proved so far (see proof)
    SIGNUP_MAILED = "signup_mailed"  # the e-mailed sign-up confirmation code
    INVITED = "invited"  # the e-mailed invitation key (subscriber API)
    INVITE_ACCEPTED = "invite_accepted"  # confirm-invitee's key, spent by addUser
    EMAIL_PENDING = "email_pending"  # the code mailed to a new address (self-service change)

    @property
    def purpose(self) -> Purpose:
        signup = (Step.SIGNUP_MAILED, Step.INVITED, Step.INVITE_ACCEPTED)
        if self is Step.EMAIL_PENDING:
            return Purpose.EMAIL_CHANGE
        return Purpose.SIGNUP if self in signup else Purpose.RECOVERY


class MessageKind(enum.Enum):
    """Kinds of mail, each with its own template (legacy template names as values)."""

    ACCOUNT_CONFIRMATION = "accountConfirmation"
    PASSWORD_RESET = "passwordReset"
    ACCOUNT_ID_RECOVERY = "accountIdRecovery"
    PASSWORD_CHANGED = "passwordChanged"  # notice, after the fact
    ACCOUNT_CONFIRMED = "accountConfirmed"  # notice, after the fact
    INVITATION = "subscriberInvitation"  # subscriber API invitation with its key
    EMAIL_CHANGED = "emailChanged"  # notice to the old address, after the fact
    EMAIL_VERIFICATION = "emailVerification"  # code to a new address before it takes effect


class Limit(enum.Enum):
    """Named rate limits; their rates are settings (``limit_<value>``)."""

    MAIL_PER_USER = "mail_per_user"
    MAIL_PER_ADDRESS = "mail_per_address"
    CHECKS_PER_ADDRESS = "checks_per_address"
    FAILURES_PER_ADDRESS = "failures_per_address"
    AUTH_FAILURES_PER_ADDRESS = "auth_failures_per_address"
    CAPTCHAS_PER_ADDRESS = "captchas_per_address"


@dataclass(frozen=True)
class Tenant:
    id: int
    domain: str
    notify_changes: bool = True
    self_signup: bool = True  # subscriber invitations allowed


@dataclass(frozen=True)
class User:
    id: int
    tenant: Tenant
    username: str
    password_hash: str
    locked: bool
    pending_confirmation: bool
    password_changed_at: datetime | None = None
    credential_version: int = 0  # raised by a password change or a lock: ends user tokens


@dataclass(frozen=True)
class Presented:
    """A name as presented in a tenant, whether a user has it or not: failure counts, locks and
    mail limits are kept for it, so that an unknown name behaves like a user's."""

    tenant: Tenant
    username: str


@dataclass(frozen=True)
class ChallengeAnswer:
    """A user's answer to one question set: the question chosen and a slow salted hash."""

    set_id: str
    question: str
    answer_hash: str


@dataclass(frozen=True)
class Question:
    set_id: str
    question: str
    order: int = 0


@dataclass(frozen=True)
class CodeRecord:
    """A stored code: only its keyed hash is kept, never the code itself."""

    id: int
    tenant_id: int
    user_id: int | None  # None: a decoy, given to a name no usable user has
    step: Step
    expires_at: datetime
    used_at: datetime | None
    proof: frozenset[str] = frozenset()  # question sets answered right so far
    subject: str | None = None  # the question set being asked (step QUESTION_ASKED)
    message_id: int | None = None  # the outbox message that carried it


@dataclass(frozen=True)
class NewCode:
    tenant_id: int
    user_id: int | None
    step: Step
    code_hash: str
    created_at: datetime
    expires_at: datetime
    proof: frozenset[str] = frozenset()
    subject: str | None = None


@dataclass(frozen=True)
class CaptchaRecord:
    answer_hash: str
    expires_at: datetime


@dataclass(frozen=True)
class RenderedMessage:
    subject: str
    text: str
    html: str | None = None
    sender: str | None = None


@dataclass(frozen=True)
class OutgoingMessage:
    """A rendered message for the outbox."""

    tenant_id: int
    kind: MessageKind
    recipient: str
    subject: str
    body: str
    html: str | None = None
    sender: str | None = None


@dataclass(frozen=True)
class ServiceAccount:
    name: str
    tenant: Tenant
    secret_hash: str
    permissions: frozenset[Permission]
    all_tenants: bool
    grants: frozenset[str] = frozenset()  # OAuth grant types it may use


@dataclass(frozen=True)
class Caller:
    """The authenticated service account a request runs as, and where it came from."""

    account: str
    tenant: Tenant
    permissions: frozenset[Permission]
    all_tenants: bool = False
    client_address: str = ""
    user_id: int | None = None  # the user a user token speaks for (self-service), if any


@dataclass(frozen=True)
class CaptchaInput:
    secret_key: str | None
    user_answer: str | None


@dataclass(frozen=True)
class NotificationData:
    """What the calling application needs to deliver a message itself (external sending)."""

    code: str
    address: str
    user_id: str
    first_name: str | None
    domain: str
    kind: MessageKind


@dataclass(frozen=True)
class Verification:
    """The outcome of a flow step; failures are raised as RecoveryError instead."""

    verified: bool = True
    user_id: str | None = None
    key: str | None = None
    notification: NotificationData | None = None


@dataclass(frozen=True)
class ChallengeIds:
    ids: tuple[str, ...]
    key: str


@dataclass(frozen=True)
class UserChallenge:
    set_id: str
    question: str
    key: str | None = None


@dataclass(frozen=True)
class UserChallenges:
    key: str
    challenges: tuple[UserChallenge, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class ClaimDefinition:
    uri: str
    display_name: str
    required: bool
    supported: bool
    read_only: bool = False
    settable: bool = True


@dataclass(frozen=True)
class CaptchaChallenge:
    image_path: str
    secret_key: str


@dataclass(frozen=True)
class GuardState:
    """Failed secret checks of a user in the current window, and any lock they caused."""

    failures: int
    locked_until: datetime | None
    window_started_at: datetime


class Match(enum.Enum):
    """How a directory search compares a value (the SCIM filter operators it supports)."""

    EQUALS = "eq"
    STARTS_WITH = "sw"
    CONTAINS = "co"


class UserField(enum.Enum):
    """What a directory search can compare: the username, the e-mail address claim, or the
    external id claim (compared exactly: provisioning clients match users by it)."""

    USERNAME = "username"
    EMAIL = "email"
    EXTERNAL_ID = "external_id"


@dataclass(frozen=True)
class UserCondition:
    """One condition of a directory search; a search ANDs its conditions, case-insensitively."""

    field: UserField
    match: Match
    value: str


@dataclass(frozen=True)
class DirectoryEntry:
    """A user as the directory shows it: the account, its claims and when it was created."""

    user: User
    claims: dict[str, str]
    created_at: datetime | None = None


@dataclass(frozen=True)
class AuditEvent:
    at: datetime
    event: str
    outcome: str
    tenant: str | None = None
    username: str | None = None
    caller: str | None = None
    client_address: str | None = None
    detail: str | None = None


@dataclass(frozen=True)
class CallerSession:
    """A service account's login session (AuthenticationAdmin): only a keyed hash of its id is
    stored; ``account_state`` is a digest of the account as it was at login, so a changed
    account no longer matches and its sessions end."""

    id_hash: str
    account: str
    account_state: str
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    client_address: str = ""
