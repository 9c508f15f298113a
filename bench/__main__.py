"""``python -m bench``: run the benchmarks (``scripts/bench``)."""

import sys

from .run import main

sys.exit(main())
