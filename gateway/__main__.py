"""``python -m gateway`` does what the ``dlp-gateway`` command does."""

import sys

from gateway.cli import main

sys.exit(main())
