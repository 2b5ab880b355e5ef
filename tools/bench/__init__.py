"""The load benchmark of the real service under gunicorn (``python scripts/bench.py``).

Modules: envelopes (SOAP bodies and answer checks), server (gunicorn processes and their memory),
seed (a fresh database and its users), plans (query plans of the hot statements), wrk and load
(the two load generators), hashing (the machine's argon2 capacity), ceiling (bare lxml handler),
roundtrips and counting (database turns per operation), runner (the scenarios), report, main.
"""
