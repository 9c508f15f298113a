"""``python -m bench``: run the polling benchmark."""

import sys

from .run import main

sys.exit(main())
