"""The scan worker process (child side of ``gateway.extract.pool``): limit, import, warm up, then serve.

Protocol over two one-way ``multiprocessing`` pipes. Parent -> worker (``inbox``): one ``send_bytes`` frame
per task, ``!I len(head) | head | raw`` with ``head = pickle((ScanSettings, skip, seconds))``, or ``b"stop"``.
Worker -> parent (``conn``, which the parent reads without blocking): ``("ready", pid)`` or
``("fatal", why)`` once, then per task any number of ``("part", location)`` announcements and one
``("done", ScanResult)``; ``("error", exception name)`` right before exiting when something escaped
``scan_bytes`` (its state is unknown after, say, a MemoryError).

Security: this process reads hostile bytes. It lowers its own ``RLIMIT_AS`` (hard limit too, so parsed
content cannot raise it again), sets ``RLIMIT_CORE`` to 0 (a crash must not leave mail content on disk) and
``RLIMIT_CPU`` per task as a backstop should the parent be gone. SIGINT is ignored so that a terminal's
Ctrl-C leaves shutdown to the parent (under systemd use ``KillMode=mixed`` so that SIGTERM reaches the parent
only and in-flight scans can finish).
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import os
import pickle
import resource
import signal
import sys
from multiprocessing.connection import Connection
from typing import Any

STOP = b"stop"
_WARMUP = (
    b"From: a@example.se\r\nTo: b@example.se\r\nSubject: warm-up\r\nMIME-Version: 1.0\r\n"
    b"Content-Type: text/html; charset=utf-8\r\n\r\n<p>Hej 19121212-1212, diabetes, sekretess</p>\r\n"
)
_warm = False


def _redacted_logging() -> None:
    """Workers log warnings to stderr like the parent, through the same identity-number redaction."""
    import logging

    from gateway.redact import install

    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s[worker]: %(message)s"))
        root.addHandler(handler)
        root.setLevel(logging.WARNING)
    install(*root.handlers)


def serve(inbox: Connection, conn: Connection, memory: int, preload: tuple[str, ...]) -> None:
    """Worker main loop: limit memory, import, then scan tasks until told to stop."""
    # Ctrl-C reaches the whole foreground group: the parent finishes in-flight scans, then stops us. SIGTERM
    # keeps its default (multiprocessing's exit handler terminates and joins leftover workers).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _redacted_logging()
    try:
        _limit_memory(memory)
        for name in preload:
            _load(name)
        from gateway.scan import scan_bytes

        warm_up()  # a no-op when forked from a warmed fork server
    except BaseException as exc:  # noqa: BLE001 - report why this worker cannot serve, then exit
        conn.send(("fatal", f"{type(exc).__name__}: {exc}"[:300]))
        return
    conn.send(("ready", os.getpid()))

    def announce(location: str) -> None:
        conn.send(("part", location))

    task: tuple[bytes, Any] = (b"", None)
    while True:
        try:
            frame = inbox.recv_bytes()
            if frame == STOP:
                return
            size = int.from_bytes(frame[:4], "big")
            head, raw = frame[4 : 4 + size], frame[4 + size :]
            del frame
            if head != task[0]:  # the parent sends the same header for every message of a policy
                task = (head, pickle.loads(head))  # noqa: S301 - written by our parent
            settings, skip, seconds = task[1]
            _limit_cpu(seconds)
            conn.send(("done", scan_bytes(raw, settings, skip, on_part=announce)))
        except EOFError:
            return
        except BaseException as exc:  # noqa: BLE001 - state unknown (MemoryError...): report and die
            with contextlib.suppress(BaseException):
                conn.send(("error", type(exc).__name__))
            os._exit(70)


def warm_up() -> None:
    """Scan a tiny message once, so lazily built lexicons exist before the first task's clock starts.

    Runs in the fork server (``gateway.extract._warm``), whose forks inherit the result, and in a worker
    that was not forked from a warmed server.
    """
    global _warm
    if not _warm:
        from gateway.scan import ScanSettings, scan_bytes

        scan_bytes(_WARMUP, ScanSettings())
        _warm = True


def _limit_memory(memory: int) -> None:
    """Cap the address space, and never write a core file: it would hold the message being scanned."""
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if memory <= 0:
        return
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = memory if hard == resource.RLIM_INFINITY else min(memory, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _limit_cpu(seconds: float) -> None:
    """Backstop if the parent is gone: SIGXCPU once this task used twice its wall-clock deadline in CPU."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    soft = int(usage.ru_utime + usage.ru_stime + 2 * seconds) + 1
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_CPU, (soft, resource.getrlimit(resource.RLIMIT_CPU)[1]))


def _load(name: str) -> None:
    """Import a module by name, or execute a ``.py`` file as a module (test-only extensions)."""
    if not name.endswith(".py"):
        importlib.import_module(name)
        return
    mod_name = "_pool_preload_" + os.path.basename(name)[:-3]
    spec = importlib.util.spec_from_file_location(mod_name, name)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {name}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[mod_name] = module
    spec.loader.exec_module(module)
