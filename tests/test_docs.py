"""The documentation that is generated stays current."""

from __future__ import annotations

import importlib.machinery
import importlib.util
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent


def script(name: str) -> ModuleType:
    """One of the scripts/ generators (no .py suffix), loaded as a module."""
    loader = importlib.machinery.SourceFileLoader(
        name.replace("-", "_"), str(ROOT / "scripts" / name)
    )
    spec = importlib.util.spec_from_loader(loader.name, loader)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_configuration_table_matches_the_settings() -> None:
    module = script("update-readme")
    text = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    assert "<!-- config-reference:start -->" in text
    assert module.render(text) == text, "run scripts/update-readme"


def test_readme_keeps_the_two_one_line_commands() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert (
        "python3 -m venv .venv && .venv/bin/pip install -q -e . && .venv/bin/recovery-soap serve"
        in text
    )
    assert "    bash scripts/test\n" in text


def test_module_map_matches_the_package() -> None:
    module = script("update-module-map")
    text = (ROOT / "docs" / "modules.md").read_text(encoding="utf-8")
    assert "`recovery_soap/app.py`" in text
    assert module.render() == text, "run scripts/update-module-map"
