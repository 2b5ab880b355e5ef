"""Sources of users to import: a WSO2 JDBC user store (read with SQLAlchemy Core) and CSV files.

Each source turns its rows into :class:`recovery_soap.core.legacy_records.ImportRecord` batches; the
core's :class:`recovery_soap.core.user_import.Importer` stores them.
"""

from __future__ import annotations

from recovery_soap.core.errors import RecoverySoapError


class SourceError(RecoverySoapError, ValueError):
    """The source cannot be read as asked: a bad file, mapping, URL or table layout."""
