"""Helpers of the import tests: the fixture script as a module, the CLI in-process, snapshots."""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from sqlalchemy import Engine, select

from recovery_soap.cli import main
from recovery_soap.core.passwords import SlowHasher
from recovery_soap.store.models import AnswerRow, ClaimRow, TenantRow, UserRow
from tests.conftest import FAST_HASH

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "make-wso2-fixture.py"
#: The hasher of the run's settings (FAST_HASH), to check stored hashes with.
HASHER = SlowHasher(FAST_HASH["argon2_memory_kib"], FAST_HASH["argon2_time_cost"])


def fixture_script() -> ModuleType:
    """scripts/make-wso2-fixture.py, loaded as a module (its name has dashes)."""
    name = "make_wso2_fixture"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, SCRIPT)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def cli(*argv: str) -> tuple[int, str, str]:
    """Run ``recovery-soap ARGV`` in-process: (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


def cli_json(*argv: str) -> dict[str, Any]:
    code, out, err = cli(*argv, "--json")
    assert code == 0, err
    return dict(json.loads(out))


def snapshot(engine: Engine, domains: set[str], prefix: str) -> dict[str, Any]:
    """Every stored row of the users named ``prefix...`` in these tenants, ids included."""
    users, tenants = UserRow.__table__, TenantRow.__table__
    with engine.connect() as connection:
        rows = connection.execute(
            select(users, tenants.c.domain)
            .join(tenants, tenants.c.id == users.c.tenant_id)
            .where(tenants.c.domain.in_(domains), users.c.username.startswith(prefix))
            .order_by(users.c.id)
        ).all()
        ids = [r.id for r in rows]
        claims = connection.execute(
            select(ClaimRow.__table__)
            .where(ClaimRow.__table__.c.user_id.in_(ids))
            .order_by(ClaimRow.__table__.c.id)
        ).all()
        answers = connection.execute(
            select(AnswerRow.__table__)
            .where(AnswerRow.__table__.c.user_id.in_(ids))
            .order_by(AnswerRow.__table__.c.id)
        ).all()
    return {  # when an import last saw a user changes with every run: left out
        name: [{k: v for k, v in r._mapping.items() if k != "import_seen_at"} for r in found]
        for name, found in (("users", rows), ("claims", claims), ("answers", answers))
    }


def stored_user(engine: Engine, domain: str, username: str) -> dict[str, Any]:
    """One user's row, claims by URI and answers by set id."""
    users, tenants = UserRow.__table__, TenantRow.__table__
    with engine.connect() as connection:
        row = connection.execute(
            select(users)
            .join(tenants, tenants.c.id == users.c.tenant_id)
            .where(tenants.c.domain == domain, users.c.username == username)
        ).one()
        claims = dict(
            connection.execute(
                select(ClaimRow.__table__.c.claim_uri, ClaimRow.__table__.c.value).where(
                    ClaimRow.__table__.c.user_id == row.id
                )
            ).all()
        )
        answers = {
            a.set_id: a
            for a in connection.execute(
                select(AnswerRow.__table__).where(AnswerRow.__table__.c.user_id == row.id)
            )
        }
    return {"row": row, "claims": claims, "answers": answers}
