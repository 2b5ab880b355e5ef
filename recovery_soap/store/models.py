"""Tables. Timestamps are naive UTC; secrets are stored only as hashes (codes, captcha answers,
service-account secrets: keyed HMAC; passwords and challenge answers: argon2id)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    func,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class TenantRow(Base):
    __tablename__ = "tenants"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    domain: Mapped[str] = mapped_column(String(255), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    notify_changes: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    self_signup: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())


class UserRow(Base):
    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("tenant_id", "username", name="uq_users_tenant_username"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    username: Mapped[str] = mapped_column(String(255))
    password_hash: Mapped[str] = mapped_column(String(255))
    locked: Mapped[bool] = mapped_column(Boolean, default=False)
    pending_confirmation: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    password_changed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    # Raised by a password change or a lock: a user token names the version it was issued at.
    credential_version: Mapped[int] = mapped_column(Integer, server_default="0")
    #: When an import last read the user from its source (None: never imported).
    import_seen_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class ClaimRow(Base):
    __tablename__ = "user_claims"
    __table_args__ = (
        UniqueConstraint("user_id", "claim_uri", name="uq_user_claims_user_claim"),
        Index("ix_user_claims_lookup", "tenant_id", "claim_uri", "value"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    tenant_id: Mapped[int] = mapped_column(Integer)
    claim_uri: Mapped[str] = mapped_column(String(255))
    value: Mapped[str] = mapped_column(String(1024))


# Case-insensitive directory search (SCIM userName and emails eq/sw): lookups in these, the
# query's lower(...) matching the indexed expression. text_pattern_ops lets PostgreSQL answer
# a LIKE 'prefix%' from the index under any database collation.
FOLDED_USERNAME_INDEX = Index(
    "ix_users_tenant_lower_username",
    UserRow.tenant_id,
    func.lower(UserRow.username).label("lower_username"),
    postgresql_ops={"lower_username": "text_pattern_ops"},
)
FOLDED_CLAIM_INDEX = Index(
    "ix_user_claims_lower_value",
    ClaimRow.tenant_id,
    ClaimRow.claim_uri,
    func.lower(ClaimRow.value).label("lower_value"),
    postgresql_ops={"lower_value": "text_pattern_ops"},
)


class AnswerRow(Base):
    __tablename__ = "challenge_answers"
    __table_args__ = (UniqueConstraint("user_id", "set_id", name="uq_challenge_answers_user_set"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    set_id: Mapped[str] = mapped_column(String(255))
    question: Mapped[str] = mapped_column(String(1024))
    answer_hash: Mapped[str] = mapped_column(String(255))


class QuestionRow(Base):
    __tablename__ = "challenge_questions"
    __table_args__ = (
        UniqueConstraint("tenant_id", "set_id", "question", name="uq_challenge_questions_text"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    set_id: Mapped[str] = mapped_column(String(255))
    question: Mapped[str] = mapped_column(String(1024))
    position: Mapped[int] = mapped_column(Integer, default=0)


class CodeRow(Base):
    __tablename__ = "codes"
    __table_args__ = (Index("ix_codes_user_purpose", "user_id", "purpose", "used_at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(Integer)
    # NULL for a decoy: the key an unknown or locked name is given when existence is hidden.
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=True
    )
    purpose: Mapped[str] = mapped_column(String(32))
    step: Mapped[str] = mapped_column(String(32))
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    proof: Mapped[str] = mapped_column(String(2048), default="")
    subject: Mapped[str | None] = mapped_column(String(255), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    used_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    message_id: Mapped[int | None] = mapped_column(Integer, nullable=True)


class GuardRow(Base):
    """Failed secret checks per name presented in a tenant (a user's or not), and the lock they
    lead to: kept by name so that an unknown name is counted and locked like a user."""

    __tablename__ = "recovery_guards"
    tenant_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(255), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    window_started_at: Mapped[datetime] = mapped_column(DateTime)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class AuditRow(Base):
    """Append-only record of security events."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_at", "at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime)
    event: Mapped[str] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(16))
    tenant: Mapped[str | None] = mapped_column(String(255), nullable=True)
    username: Mapped[str | None] = mapped_column(String(255), nullable=True)
    caller: Mapped[str | None] = mapped_column(String(255), nullable=True)
    client_address: Mapped[str | None] = mapped_column(String(64), nullable=True)
    detail: Mapped[str | None] = mapped_column(String(1024), nullable=True)


class CaptchaRow(Base):
    __tablename__ = "captchas"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    image_id: Mapped[str] = mapped_column(String(64), unique=True)
    answer_hash: Mapped[str] = mapped_column(String(64))
    image: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime] = mapped_column(DateTime, index=True)


class OutboxRow(Base):
    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "status", "next_attempt_at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(64))
    recipient: Mapped[str] = mapped_column(String(1024))
    subject: Mapped[str] = mapped_column(String(1024))
    body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str | None] = mapped_column(Text, nullable=True)
    sender: Mapped[str | None] = mapped_column(String(1024), nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime)
    claimed_until: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    last_error: Mapped[str | None] = mapped_column(String(1024), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class ServiceAccountRow(Base):
    __tablename__ = "service_accounts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    secret_hash: Mapped[str] = mapped_column(String(64))
    permissions: Mapped[str] = mapped_column(String(255))
    all_tenants: Mapped[bool] = mapped_column(Boolean, default=False)
    grants: Mapped[str] = mapped_column(String(255), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(DateTime)


class ServerKeyRow(Base):
    __tablename__ = "server_keys"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(255))


class SigningKeyRow(Base):
    """Keys that sign access tokens (private JWK); a retired key stays published for a while."""

    __tablename__ = "signing_keys"
    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    private_jwk: Mapped[str] = mapped_column(Text)
    public_jwk: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    retired_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class CallerSessionRow(Base):
    """A service account's login session (AuthenticationAdmin); the id itself is never stored."""

    __tablename__ = "caller_sessions"
    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("service_accounts.id", ondelete="CASCADE"), index=True
    )
    account_state: Mapped[str] = mapped_column(String(64))
    client_address: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime] = mapped_column(DateTime, index=True)
