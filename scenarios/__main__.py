"""``python -m scenarios ...`` is the ``jungle`` command (useful from a source checkout)."""
import sys

from scenarios.cli import main

sys.exit(main())
