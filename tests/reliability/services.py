"""Dependencies tests can break: a private redis-server and a slow SMTP sink, on free ports."""

from __future__ import annotations

import asyncio
import email
import shutil
import subprocess
import threading
from email.message import Message
from pathlib import Path

import pytest
import redis
from aiosmtpd.controller import Controller

from tests.support import free_port


class RedisServer:
    """A redis-server of the test's own (no persistence), started and stopped at will."""

    def __init__(self, directory: Path) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.skip("redis-server is not installed")
        self._binary = binary
        self._directory = directory
        self.port = free_port()
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}"

    def start(self) -> None:
        self._process = subprocess.Popen(
            [
                self._binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self._directory),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis(host="127.0.0.1", port=self.port, socket_connect_timeout=1)
        for _ in range(200):
            try:
                if client.ping():
                    client.close()
                    return
            except redis.ConnectionError:
                threading.Event().wait(0.02)
        raise RuntimeError("redis-server did not come up")

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(timeout=10)
            self._process = None


class _SlowHandler:
    def __init__(self, delay: float, messages: list[Message]) -> None:
        self._delay = delay
        self.messages = messages

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd hook name
        await asyncio.sleep(self._delay)  # a slow server widens the window of a crash
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"


class SlowSmtpServer:
    """An aiosmtpd sink that takes ``delay`` seconds to accept each message."""

    def __init__(self, delay: float, port: int | None = None) -> None:
        self.messages: list[Message] = []
        self._controller = Controller(
            _SlowHandler(delay, self.messages), hostname="127.0.0.1", port=port or free_port()
        )

    @property
    def port(self) -> int:
        return int(self._controller.port)

    def start(self) -> None:
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()

    def subjects(self) -> list[str]:
        return [str(m["Subject"]) for m in list(self.messages)]
