"""Preloaded by the scan pool's fork server: build the lexicons once, so every forked worker starts warm.

The fork server only swallows ``ImportError`` from preloads, so any other failure is suppressed here: a cold
fork server just means each worker warms up itself (``gateway.extract.pool.warm_up``).

Security: scans a fixed built-in message; no input.
"""

from __future__ import annotations

import contextlib

from gateway.extract._worker import warm_up

with contextlib.suppress(Exception):
    warm_up()
