#!/usr/bin/env python3
"""Write a WSO2-shaped JDBC user store (UM_TENANT, UM_USER, UM_USER_ATTRIBUTE) for import tests
and measurements: N users across the super tenant (-1234) and one other tenant, with salted
SHA-256 passwords, profile attributes, lock state and challenge answers stored the legacy way
(``gender`` = ``question!Base64(SHA-256(answer))``, set list in ``stateOrProvinceName``).

Everything is deterministic: user i has the password ``password_of(i)`` and the answers
``answers_of(i)``, so tests can log in and recover with them.

    python scripts/make-wso2-fixture.py --out /tmp/wso2.db            # 10,000 users, SQLite
    python scripts/make-wso2-fixture.py --users 500 --url postgresql+psycopg://u@host/db
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import random
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import (
    TIMESTAMP,
    Boolean,
    Column,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    create_engine,
    insert,
)

SUPER_TENANT_ID = -1234
OTHER_TENANT_ID = 1
SET1 = "http://wso2.org/claims/challengeQuestion1"
SET2 = "http://wso2.org/claims/challengeQuestion2"
Q1 = "City where you were born ?"
Q2 = "Favorite sport ?"
LOCK_CLAIM = "http://wso2.org/claims/identity/accountLocked"
SET_LIST_CLAIM = "http://wso2.org/claims/challengeQuestionUris"
#: Whole seconds: WSO2's MySQL DDL keeps UM_CHANGED_TIME as a TIMESTAMP without fractions.
CHANGED_BASE = datetime(2021, 3, 1, 8, 0, 0)


@dataclass(frozen=True)
class FixtureUser:
    index: int
    username: str
    tenant_id: int
    password: str
    locked: bool
    answers: tuple[tuple[str, str, str], ...]  # (set id, question, answer in clear)
    gender: str | None  # a real gender (users without answers), so the attribute is shared


def digest(secret: str, salt: str = "") -> str:
    """WSO2's PasswordDigest=SHA-256: Base64(SHA-256(secret + salt))."""
    return base64.b64encode(hashlib.sha256((secret + salt).encode("utf-8")).digest()).decode()


def password_of(index: int) -> str:
    return f"Legacy#Pass{index:06d}"


def answers_of(index: int) -> tuple[tuple[str, str, str], ...]:
    return ((SET1, Q1, f"Town {index}"), (SET2, Q2, f"  Sport{index} "))


def plan_users(
    count: int,
    *,
    prefix: str = "user",
    answers_every: int = 2,
    locked_every: int = 10,
    other_every: int = 3,
) -> list[FixtureUser]:
    """Every ``other_every``-th user in the other tenant, the rest in the super tenant."""
    return list(
        iter_users(
            count,
            prefix=prefix,
            answers_every=answers_every,
            locked_every=locked_every,
            other_every=other_every,
        )
    )


def iter_users(
    count: int,
    *,
    prefix: str = "user",
    answers_every: int = 2,
    locked_every: int = 10,
    other_every: int = 3,
) -> Iterator[FixtureUser]:
    """The users of :func:`plan_users`, one at a time (a million fit in no list)."""
    for i in range(count):
        with_answers = answers_every > 0 and i % answers_every == 0
        yield (
            FixtureUser(
                index=i,
                username=f"{prefix}{i:06d}",
                tenant_id=OTHER_TENANT_ID
                if other_every and i % other_every == 1
                else SUPER_TENANT_ID,
                password=password_of(i),
                locked=locked_every > 0 and i % locked_every == 7,
                answers=answers_of(i) if with_answers else (),
                gender=None if with_answers else ("female" if i % 2 else "male"),
            )
        )


def tables(metadata: MetaData, lower_case: bool = False) -> tuple[Table, Table, Table, Table]:
    """WSO2's DDL (dbscripts/mysql.sql of carbon-kernel: UM_TENANT, UM_USER with UM_USER_ID and
    the (UM_ID, UM_TENANT_ID) key, UM_USER_ATTRIBUTE; and the identity data store's
    IDN_IDENTITY_USER_DATA); lower_case mimics PostgreSQL, which folds the unquoted names."""

    def name(text: str) -> str:
        return text.lower() if lower_case else text

    def col(text: str, *args: object, **kwargs: object) -> Column:  # type: ignore[type-arg]
        return Column(name(text), *args, **kwargs)  # type: ignore[arg-type]

    tenant = Table(
        name("UM_TENANT"),
        metadata,
        col("UM_ID", Integer, primary_key=True, autoincrement=False),
        col("UM_TENANT_UUID", String(36), nullable=False),
        col("UM_DOMAIN_NAME", String(255), nullable=False, unique=True),
        col("UM_EMAIL", String(255)),
        col("UM_ACTIVE", Boolean, default=False),
        col("UM_CREATED_DATE", TIMESTAMP, nullable=False),
    )
    user = Table(
        name("UM_USER"),
        metadata,
        col("UM_ID", Integer, primary_key=True, autoincrement=False),
        col("UM_USER_ID", String(255), nullable=False),
        col("UM_USER_NAME", String(255), nullable=False),
        col("UM_USER_PASSWORD", String(255), nullable=False),
        col("UM_SALT_VALUE", String(31)),
        col("UM_REQUIRE_CHANGE", Boolean, default=False),
        col("UM_CHANGED_TIME", TIMESTAMP, nullable=False),
        col("UM_TENANT_ID", Integer, primary_key=True, autoincrement=False, default=0),
        UniqueConstraint(name("UM_USER_ID"), name("UM_TENANT_ID")),
    )
    attribute = Table(
        name("UM_USER_ATTRIBUTE"),
        metadata,
        col("UM_ID", Integer, primary_key=True, autoincrement=False),
        col("UM_ATTR_NAME", String(255), nullable=False),
        col("UM_ATTR_VALUE", String(1024)),
        col("UM_PROFILE_ID", String(255)),
        col("UM_USER_ID", Integer, index=True),
        col("UM_TENANT_ID", Integer, primary_key=True, autoincrement=False, default=0),
    )
    identity = Table(
        name("IDN_IDENTITY_USER_DATA"),
        metadata,
        col("TENANT_ID", Integer, primary_key=True, autoincrement=False, default=-1234),
        col("USER_NAME", String(255), primary_key=True),
        col("DATA_KEY", String(255), primary_key=True),
        col("DATA_VALUE", String(2048)),
    )
    return tenant, user, attribute, identity


def _attributes(user: FixtureUser) -> list[tuple[str, str, str]]:
    """(attribute, value, profile) rows of one user."""
    rows = [
        ("mail", f"{user.username}@example.test", "default"),
        ("givenName", f"Given{user.index}", "default"),
        ("sn", f"Last{user.index}", "default"),
        ("accountLock", "true" if user.locked else "false", "default"),
        ("mail", f"{user.username}@work.example.test", "work"),  # another profile: not read
    ]
    if user.index % 5 == 0:
        rows.append(("telephoneNumber", f"+94 11 {user.index:07d}", "default"))
    if user.gender:
        rows.append(("gender", user.gender, "default"))
    attribute_of = {SET1: "gender", SET2: "localityName"}
    for set_id, question, answer in user.answers:
        hashed = digest(answer.strip().lower())
        rows.append((attribute_of[set_id], f"{question}!{hashed}", "default"))
    if user.answers:
        rows.append(("stateOrProvinceName", "!".join(a[0] for a in user.answers), "default"))
    return rows


def _identity_rows(user: FixtureUser) -> list[tuple[str, str]]:
    """(claim URI, value) rows the JDBC identity data store keeps: lock state and answers."""
    rows = [(LOCK_CLAIM, "true" if user.locked else "false")]
    for set_id, question, answer in user.answers:
        rows.append((set_id, f"{question}!{digest(answer.strip().lower())}"))
    if user.answers:
        rows.append((SET_LIST_CLAIM, "!".join(a[0] for a in user.answers)))
    return rows


IDENTITY_ATTRIBUTES = {"accountLock", "gender", "localityName", "stateOrProvinceName"}


def build(
    url: str,
    users: Iterable[FixtureUser],
    *,
    tenant_domain: str = "acme.com",
    broken: int = 0,
    lower_case: bool = False,
    identity_store: bool = False,
    seed: int = 1234,
    chunk: int = 5000,
) -> None:
    """Create the tables at ``url`` and bulk-insert ``users`` (plus ``broken`` users whose
    password is not a SHA-256 digest, named broken000...), ``chunk`` users per transaction.
    With ``identity_store`` lock state and answers live in IDN_IDENTITY_USER_DATA, as when
    WSO2's identity data store was JDBC."""
    rng = random.Random(seed)
    engine = create_engine(url)
    metadata = MetaData()
    tenant, user_table, attribute, identity = tables(metadata, lower_case)
    metadata.create_all(engine)
    c = {col.name.upper(): col.name for t in metadata.tables.values() for col in t.columns}
    with engine.begin() as connection:
        connection.execute(
            insert(tenant).values(
                {
                    c["UM_ID"]: OTHER_TENANT_ID,
                    c["UM_TENANT_UUID"]: str(uuid.UUID(int=rng.getrandbits(128))),
                    c["UM_DOMAIN_NAME"]: tenant_domain,
                    c["UM_EMAIL"]: f"admin@{tenant_domain}",
                    c["UM_ACTIVE"]: True,
                    c["UM_CREATED_DATE"]: CHANGED_BASE,
                }
            )
        )
    rows: dict[Table, list[dict[str, object]]] = {user_table: [], attribute: [], identity: []}
    number = attribute_id = 0

    def flush() -> None:
        with engine.begin() as connection:
            for table, pending in rows.items():
                if pending:
                    connection.execute(insert(table), pending)
                pending.clear()

    def user_row(username: str, password: str, salt: str | None, tenant_id: int) -> None:
        rows[user_table].append(
            {
                c["UM_ID"]: number,
                c["UM_USER_ID"]: str(uuid.UUID(int=rng.getrandbits(128))),
                c["UM_USER_NAME"]: username,
                c["UM_USER_PASSWORD"]: password,
                c["UM_SALT_VALUE"]: salt,
                c["UM_REQUIRE_CHANGE"]: salt is None,
                c["UM_CHANGED_TIME"]: CHANGED_BASE + timedelta(minutes=number),
                c["UM_TENANT_ID"]: tenant_id,
            }
        )

    for user in users:
        number += 1
        salt = base64.b64encode(rng.randbytes(16)).decode()
        user_row(user.username, digest(user.password, salt), salt, user.tenant_id)
        for attr, value, profile in _attributes(user):
            if identity_store and attr in IDENTITY_ATTRIBUTES and value != user.gender:
                continue
            attribute_id += 1
            rows[attribute].append(
                {
                    c["UM_ID"]: attribute_id,
                    c["UM_ATTR_NAME"]: attr,
                    c["UM_ATTR_VALUE"]: value,
                    c["UM_PROFILE_ID"]: profile,
                    c["UM_USER_ID"]: number,
                    c["UM_TENANT_ID"]: user.tenant_id,
                }
            )
        for key, value in _identity_rows(user) if identity_store else ():
            rows[identity].append(
                {
                    c["TENANT_ID"]: user.tenant_id,
                    c["USER_NAME"]: user.username,
                    c["DATA_KEY"]: key,
                    c["DATA_VALUE"]: value,
                }
            )
        if len(rows[user_table]) >= chunk:
            flush()
    for extra in range(broken):
        number += 1
        user_row(f"broken{extra:03d}", "plain-text-password", None, SUPER_TENANT_ID)
    flush()
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, help="SQLite file to write (must not exist)")
    parser.add_argument("--url", help="or any SQLAlchemy URL (tables must not exist)")
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--tenant", default="acme.com", help="domain of the other tenant")
    parser.add_argument("--prefix", default="user")
    parser.add_argument(
        "--answers-every",
        type=int,
        default=2,
        help="every K-th user has two challenge answers (0: nobody)",
    )
    parser.add_argument("--locked-every", type=int, default=10)
    parser.add_argument(
        "--other-every", type=int, default=3, help="every K-th user in the other tenant"
    )
    parser.add_argument(
        "--identity-store",
        action="store_true",
        help="lock state and answers in IDN_IDENTITY_USER_DATA (a JDBC identity data store)",
    )
    parser.add_argument(
        "--broken",
        type=int,
        default=0,
        help="extra users whose password is not a digest (skipped at import)",
    )
    args = parser.parse_args()
    if bool(args.out) == bool(args.url):
        parser.error("give --out FILE or --url URL")
    if args.out and args.out.exists():
        parser.error(f"{args.out} exists")
    url = args.url or f"sqlite:///{args.out}"
    users = iter_users(
        args.users,
        prefix=args.prefix,
        answers_every=args.answers_every,
        locked_every=args.locked_every,
        other_every=args.other_every,
    )
    build(
        url,
        users,
        tenant_domain=args.tenant,
        broken=args.broken,
        lower_case=url.startswith("postgresql"),
        identity_store=args.identity_store,
    )
    print(f"wrote {args.users + args.broken} users to {args.out or args.url}")


if __name__ == "__main__":
    main()
