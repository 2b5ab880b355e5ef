"""Where the machine's CPU went while a scenario ran: the measured processes (the service's
gunicorn, or the hash pool), the database server, the load generator, and everything else.

Why: a ratio such as recovery-flow/hash says that a flow costs more than a hash, not where the
rest went. Read from /proc before and after each measured part (clock ticks of every process),
it gives CPU milliseconds per request by role in the same run, so a missed ratio comes with its
budget: on a shared two-core machine the database and the load generator spend from the same
cores as the service.
"""

from __future__ import annotations

import os
import resource
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

ROLES = ("service", "database", "load", "other")
_TICK = 1.0 / os.sysconf("SC_CLK_TCK")
#: Process names of the database servers the bench runs against.
_DATABASE_NAMES = ("postgres",)


@dataclass(frozen=True)
class _Process:
    name: str
    parent: int
    seconds: float  # user + system CPU so far


@dataclass(frozen=True)
class Snapshot:
    processes: dict[int, _Process]
    reaped_children: float  # CPU of this process's children it has waited for (wrk)
    me: int


def _read(entry: Path) -> _Process | None:
    try:
        stat = (entry / "stat").read_text()
    except OSError:
        return None
    # pid (comm) state ppid ... utime stime: comm may hold spaces, so split after the last ')'
    name = stat[stat.find("(") + 1 : stat.rfind(")")]
    fields = stat.rsplit(")", 1)[1].split()
    return _Process(name, int(fields[1]), (int(fields[11]) + int(fields[12])) * _TICK)


def snapshot() -> Snapshot:
    processes = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            found = _read(entry)
            if found is not None:
                processes[int(entry.name)] = found
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return Snapshot(processes, children.ru_utime + children.ru_stime, os.getpid())


def _descends_from(pid: int, ancestor: int, processes: dict[int, _Process]) -> bool:
    for _ in range(64):  # bounded: a parent chain never loops, but /proc may change under us
        if pid == ancestor:
            return True
        process = processes.get(pid)
        if process is None or process.parent <= 1:
            return False
        pid = process.parent
    return False


def spent(
    before: Snapshot, after: Snapshot, measured: Iterable[int], idle: Iterable[int] = ()
) -> dict[str, float]:
    """CPU seconds per role between two snapshots. ``measured``: the pids under test (a
    gunicorn master and its workers, or the hash pool); ``idle``: the bench's other servers,
    counted as other; the load generator is this process's remaining descendants and the
    children it reaped meanwhile (wrk)."""
    measured, idle = set(measured), set(idle)
    totals = dict.fromkeys(ROLES, 0.0)
    for pid, now in after.processes.items():
        earlier = before.processes.get(pid)
        used = now.seconds - (earlier.seconds if earlier is not None else 0.0)
        if used <= 0:
            continue
        if pid in measured or now.parent in measured:
            role = "service"
        elif pid in idle or now.parent in idle:
            role = "other"
        elif now.name.startswith(_DATABASE_NAMES):
            role = "database"
        elif _descends_from(pid, after.me, after.processes):
            role = "load"
        else:
            role = "other"
        totals[role] += used
    totals["load"] += max(0.0, after.reaped_children - before.reaped_children)
    return totals


def per_request(seconds: dict[str, float], requests: int) -> dict[str, float]:
    """CPU milliseconds per request (flow, hash) by role."""
    return {role: round(1000 * used / max(1, requests), 3) for role, used in seconds.items()}
