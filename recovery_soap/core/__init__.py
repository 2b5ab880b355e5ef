"""The domain core: every rule of registration and recovery, in plain Python.

It imports neither spyne nor SQLAlchemy; the wire and store layers adapt to it (``ports``).
"""
