"""Building the settings: defaults, then an optional TOML config file, then ``RECOVERY_*``
environment variables (a secret's variable may name a file that holds it instead)."""

from __future__ import annotations

import dataclasses
import difflib
import os
import tomllib
from collections.abc import Mapping
from dataclasses import fields
from pathlib import Path
from typing import Any, get_type_hints

from recovery_soap.config.settings import Settings
from recovery_soap.config.validation import SettingsError

ENV_PREFIX = "RECOVERY_"


#: Suffix of a variable naming a file that holds a secret setting (container and Kubernetes
#: secrets are mounted as files): RECOVERY_SECRET_KEY_FILE=/run/secrets/key.
FILE_SUFFIX = "_FILE"


#: Variables of the environment that are not settings but are read all the same.
OTHER_VARIABLES = frozenset(
    {
        "RECOVERY_CONFIG",
        "RECOVERY_BIND",  # gunicorn.conf.py
        "RECOVERY_WORKERS",
        "RECOVERY_FORWARDED_ALLOW_IPS",
        "RECOVERY_IMPORT_SOURCE",
        "RECOVERY_SKIP_INSTALL",  # scripts/test
    }
)


#: Variables of the test suite and tools, never settings.
OTHER_PREFIXES = ("RECOVERY_TEST_",)


def _convert(name: str, kind: type, raw: Any) -> Any:
    if isinstance(raw, kind) and not (kind is int and isinstance(raw, bool)):
        return raw
    text = str(raw).strip()
    try:
        if kind is bool:
            lowered = text.lower()
            if lowered in ("1", "true", "yes", "on"):
                return True
            if lowered in ("0", "false", "no", "off", ""):
                return False
            raise ValueError(text)
        if kind is int:
            return int(text)
        if kind is float:
            return float(text)
    except ValueError:
        raise SettingsError(f"{name}: {text!r} is not a valid {kind.__name__}") from None
    return text


def load_settings(
    environ: Mapping[str, str] | None = None, config_file: str | os.PathLike[str] | None = None
) -> Settings:
    """Build settings from defaults, the config file (``RECOVERY_CONFIG``) and the environment."""
    environ = os.environ if environ is None else environ
    hints = get_type_hints(Settings)
    values: dict[str, Any] = {}
    path = config_file or environ.get(ENV_PREFIX + "CONFIG")
    if path:
        data = _read_config_file(Path(path))
        known = {f.name for f in fields(Settings)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise SettingsError(f"unknown settings in {path}: {', '.join(unknown)}")
        values.update(data)
    for f in fields(Settings):
        env_name = ENV_PREFIX + f.name.upper()
        if env_name in environ:
            values[f.name] = environ[env_name]
        if env_name + FILE_SUFFIX in environ and _may_come_from_file(f):
            if env_name in environ:
                raise SettingsError(f"{env_name} and {env_name}{FILE_SUFFIX} are both set")
            values[f.name] = _read_secret_file(env_name + FILE_SUFFIX, environ)
    converted = {name: _convert(name, hints[name], raw) for name, raw in values.items()}
    return Settings(**converted)


def _read_config_file(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except OSError as error:
        raise SettingsError(f"config file {path}: {error.strerror or error}") from None
    except tomllib.TOMLDecodeError as error:
        raise SettingsError(f"config file {path} is not valid TOML: {error}") from None


def _may_come_from_file(f: dataclasses.Field[Any]) -> bool:
    """Secrets, and the database URL (it carries a password), may be read from a file."""
    return bool(f.metadata.get("secret")) or f.name == "database_url"


def _read_secret_file(variable: str, environ: Mapping[str, str]) -> str:
    try:
        return Path(environ[variable]).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as error:
        reason = getattr(error, "strerror", None) or str(error)
        raise SettingsError(f"{variable}: cannot read {environ[variable]}: {reason}") from None


def unknown_variables(environ: Mapping[str, str] | None = None) -> list[str]:
    """One warning per RECOVERY_* variable that names no setting (a typo is otherwise silently
    ignored), with the closest setting's variable when one is near."""
    environ = os.environ if environ is None else environ
    known = set(OTHER_VARIABLES)
    for f in fields(Settings):
        known.add(ENV_PREFIX + f.name.upper())
        if _may_come_from_file(f):
            known.add(ENV_PREFIX + f.name.upper() + FILE_SUFFIX)
    warnings = []
    candidates = [n for n in environ if n.startswith(ENV_PREFIX) and n not in known]
    for name in sorted(n for n in candidates if not n.startswith(OTHER_PREFIXES)):
        close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.75)
        hint = f"; did you mean {close[0]}?" if close else ""
        warnings.append(f"{name} is not a setting and is ignored{hint}")
    return warnings
