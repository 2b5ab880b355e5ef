#!/usr/bin/env python3
"""Load benchmark of the real service under gunicorn, on SQLite or PostgreSQL.

python scripts/bench.py --quick           # a few seconds per scenario, 1,000 users (< 3 min)
python scripts/bench.py --help            # every option; the code is in tools/bench/
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tools.bench.main import main  # noqa: E402 - after the repository root is importable

if __name__ == "__main__":
    sys.exit(main())
