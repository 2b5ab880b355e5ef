#!/usr/bin/env python3
"""Replay the SoapUI project's test suites against a running recovery-soap service.

python scripts/soapui_replay.py --url http://127.0.0.1:8000 --user ci --password SECRET
python scripts/soapui_replay.py --help    # every option; the code is in tools/soapui/
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tools.soapui.main import main  # noqa: E402 - after the repository root is importable

if __name__ == "__main__":
    sys.exit(main())
