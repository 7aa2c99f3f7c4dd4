"""Preloaded by the scan pool's fork server: build the lexicons once, so every forked worker starts warm.

``gc.freeze()`` afterwards keeps the workers' garbage collector from walking (and so copying, page by page)
everything inherited from the fork server. The fork server only swallows ``ImportError`` from preloads, so
any other failure is suppressed here: a cold fork server just means each worker warms up itself
(``gateway.extract._worker.warm_up``).

Security: scans a fixed built-in message; no input.
"""

from __future__ import annotations

import contextlib
import gc

from gateway.extract._worker import warm_up

with contextlib.suppress(Exception):
    warm_up()
gc.freeze()
