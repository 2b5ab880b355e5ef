"""Persistence: SQLAlchemy 2 tables, repositories for the core's ports, the unit of work."""
