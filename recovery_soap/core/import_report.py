"""The counts of an import run: what was read and what became of it, with reasons."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

CREATED, UPDATED, UNCHANGED, SKIPPED = "created", "updated", "unchanged", "skipped"


@dataclass
class ImportReport:
    """Counts of one run; ``read`` = created + updated + unchanged + skipped."""

    dry_run: bool = False
    read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    examples: list[str] = field(default_factory=list)
    tenants_created: list[str] = field(default_factory=list)
    missing: int | None = 0  # None: not known (a dry run)
    deleted: int = 0
    missing_examples: list[str] = field(default_factory=list)

    def skip(self, tenant: str, username: str, reason: str) -> None:
        self.skipped[reason] += 1
        if len(self.examples) < 20:
            self.examples.append(f"{username}@{tenant}: {reason}")

    def tally(self, outcome: str, tenant: str, username: str, reason: str = "") -> None:
        if outcome == CREATED:
            self.created += 1
        elif outcome == UPDATED:
            self.updated += 1
        elif outcome == UNCHANGED:
            self.unchanged += 1
        else:
            self.skip(tenant, username, reason)

    def gone(self, tenant: str, count: int, names: list[str], deleted: bool) -> None:
        """Imported users of ``tenant`` the source no longer holds."""
        self.missing = (self.missing or 0) + count
        self.deleted += count if deleted else 0
        room = 20 - len(self.missing_examples)
        self.missing_examples += [f"{name}@{tenant}" for name in names[: max(room, 0)]]

    def as_dict(self) -> dict[str, object]:
        return {
            "dry_run": self.dry_run,
            "read": self.read,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "skipped": sum(self.skipped.values()),
            "skipped_reasons": dict(self.skipped),
            "skipped_examples": list(self.examples),
            "tenants_created": self.tenants_created,
            "missing": self.missing,
            "deleted": self.deleted,
            "missing_examples": list(self.missing_examples),
        }
