"""``python -m recovery_soap.cli``: the same as the ``recovery-soap`` command."""

import sys

from recovery_soap.cli import main

sys.exit(main())
