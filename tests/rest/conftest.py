"""Fixtures of the REST tests: a live server with its defaults (captcha on, mail internal)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.conftest import LiveServer


@pytest.fixture
def rest_server(serve: Callable[..., LiveServer]) -> LiveServer:
    return serve()
