"""`python -m simulator`: see simulator.server."""

import sys

from .server import main

sys.exit(main())
