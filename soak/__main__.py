"""``python -m soak``: run the soak test (see soak/__init__.py)."""

import sys

from .run import main

sys.exit(main())
