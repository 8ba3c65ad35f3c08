"""``python -m mottrack.cli``: the ``mottrack`` command."""

import sys

from . import main

sys.exit(main())
