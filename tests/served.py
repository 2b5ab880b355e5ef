"""`recovery-soap serve` in a subprocess of its own: the single-process server as operators run it,
with its memory readable from /proc (the in-thread ``serve`` fixture shares the test's process)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests

from tests.conftest import ACCOUNT
from tests.support import free_port


@dataclass(frozen=True)
class ServedProcess:
    url: str
    pid: int
    auth: tuple[str, str] = ACCOUNT

    def _status(self, field: str) -> int:
        """A /proc/PID/status field in bytes (VmRSS, VmHWM)."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
        raise AssertionError(f"no {field} for process {self.pid}")

    def rss(self) -> int:
        return self._status("VmRSS")

    def reset_peak(self) -> None:
        """Set the peak resident size (VmHWM) back to the current one (Linux >= 4.0)."""
        Path(f"/proc/{self.pid}/clear_refs").write_text("5")

    def peak(self) -> int:
        return self._status("VmHWM")


def _wait_until_up(url: str, process: subprocess.Popen[bytes]) -> None:
    """Poll /healthz until it answers (a busy machine may take seconds to import and migrate)."""
    for _ in range(1200):
        if process.poll() is not None:
            raise AssertionError(f"recovery-soap serve exited with {process.returncode}")
        try:
            if requests.get(url + "/healthz", timeout=1).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.05)
    raise AssertionError(f"recovery-soap serve at {url} did not come up")


@contextmanager
def served(database_url: str, tmp_path: Path, **settings: str) -> Iterator[ServedProcess]:
    """`recovery-soap serve` on a free port, settings given as RECOVERY_* values."""
    port = free_port()
    env = {
        **os.environ,
        "RECOVERY_DATABASE_URL": database_url,
        "RECOVERY_ARGON2_MEMORY_KIB": "1024",
        "RECOVERY_ARGON2_TIME_COST": "1",
        **{f"RECOVERY_{name.upper()}": value for name, value in settings.items()},
    }
    log = (tmp_path / f"serve-{port}.log").open("w")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "recovery_soap.cli",
            "serve",
            "--port",
            str(port),
            "--bootstrap-account",
            ":".join(ACCOUNT),
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_until_up(url, process)
        yield ServedProcess(url=url, pid=process.pid)
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()
