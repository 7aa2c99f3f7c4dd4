"""``python -m gateway`` does what the ``dlp-gateway`` command does."""

import sys

from gateway.cli import main

if __name__ == "__main__":  # worker processes (forkserver) re-import this module as __mp_main__
    sys.exit(main())
