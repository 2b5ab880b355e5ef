"""Settings: defaults, then an optional TOML config file, then ``RECOVERY_*`` environment variables.

Every setting is a field of :class:`Settings` (declared in ``fields``); its environment variable
is ``RECOVERY_`` plus the field name in upper case, and its config-file key is the field name.
``validation`` refuses values the service cannot run with, ``loading`` reads the file and the
environment, ``reference`` documents them. The legacy ``identity-mgt.properties`` flags are
named by what they mean (see ``LEGACY_PROPERTY``).
"""

from __future__ import annotations

from recovery_soap.config.loading import (
    ENV_PREFIX,
    FILE_SUFFIX,
    OTHER_PREFIXES,
    OTHER_VARIABLES,
    load_settings,
    unknown_variables,
)
from recovery_soap.config.reference import LEGACY_PROPERTY, reference_table
from recovery_soap.config.settings import DEV_ACCOUNT, Settings
from recovery_soap.config.validation import (
    LIMIT_STORAGE_SCHEMES,
    LOG_LEVELS,
    MIN_SECRET_KEY_BYTES,
    SettingsError,
)

__all__ = [
    "DEV_ACCOUNT",
    "ENV_PREFIX",
    "FILE_SUFFIX",
    "LEGACY_PROPERTY",
    "LIMIT_STORAGE_SCHEMES",
    "LOG_LEVELS",
    "MIN_SECRET_KEY_BYTES",
    "OTHER_PREFIXES",
    "OTHER_VARIABLES",
    "Settings",
    "SettingsError",
    "load_settings",
    "reference_table",
    "unknown_variables",
]
