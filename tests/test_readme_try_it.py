"""The README's try-it section works as written: its curl walk-through, run by bash against
`recovery-soap serve --dev`, signs a user up and recovers its password."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from tests.support import free_port, wait_until_up

DOC = Path(__file__).resolve().parent.parent / "README.md"


def test_the_try_it_walk_through_completes(tmp_path: Path) -> None:
    block = re.search(r"<!-- try-it:start -->\n```sh\n(.*?)```", DOC.read_text(), re.S)
    assert block, "README.md lost its try-it block"
    port = free_port()
    script = block.group(1).replace("127.0.0.1:8000", f"127.0.0.1:{port}")
    env = {k: v for k, v in os.environ.items() if not k.startswith("RECOVERY_")}
    env.update(RECOVERY_ARGON2_MEMORY_KIB="1024", RECOVERY_ARGON2_TIME_COST="1")
    with (tmp_path / "server.log").open("w") as console:
        server = subprocess.Popen(
            [sys.executable, "-m", "recovery_soap.cli", "serve", "--dev", "--port", str(port)],
            env=env,
            cwd=tmp_path,
            stdout=console,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_until_up(f"http://127.0.0.1:{port}")
        result = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", script],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        server.terminate()
        server.wait(timeout=20)
    answers = re.findall(r"<\w+:verified>(\w+)</", result.stdout)
    assert answers == ["true"] * 4, result.stdout + result.stderr
