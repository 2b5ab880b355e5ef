"""Persistence: SQLAlchemy 2 tables, repositories implementing the core's ports, the unit of work."""
