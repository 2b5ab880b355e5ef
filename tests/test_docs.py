"""The documentation that is generated stays current."""

from __future__ import annotations

import importlib.machinery
import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_configuration_table_matches_the_settings() -> None:
    path = str(ROOT / "scripts/update-readme")
    loader = importlib.machinery.SourceFileLoader("update_readme", path)
    spec = importlib.util.spec_from_loader("update_readme", loader)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
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
    path = str(ROOT / "scripts/update-module-map")
    loader = importlib.machinery.SourceFileLoader("update_module_map", path)
    spec = importlib.util.spec_from_loader("update_module_map", loader)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    text = (ROOT / "docs" / "modules.md").read_text(encoding="utf-8")
    assert "`recovery_soap/app.py`" in text
    assert module.render() == text, "run scripts/update-module-map"
