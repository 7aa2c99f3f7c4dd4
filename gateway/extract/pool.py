"""The scan pool: killable, recycled worker processes that run ``scan_bytes`` for ``serve`` (design §5.4).

``ProcessPoolExecutor`` cannot kill one task without breaking the whole pool, pebble is LGPL and threads
cannot be killed at all, so this is our own small supervisor. API (used by the SMTP handler)::

    pool = ScanPool(workers=None, limits=limits, max_tasks_per_worker=500, start_method="forkserver",
                    preload=(), on_restart=None)
    await pool.start()                       # PoolUnavailable if no worker could start
    result = await pool.scan(raw, settings)  # ScanResult; never raises for any input bytes
    pool.stats()                             # PoolStats: workers alive/busy, queue, restarts by cause
    await pool.close()                       # finish every accepted scan, then stop the workers

``scan`` raises only ``PoolUnavailable`` (no worker can run: the handler answers 451) or ``CancelledError``.
Each worker (``workers`` = usable cores by default) sets ``RLIMIT_AS = limits.worker_memory``, imports the
``preload`` modules (module names or ``.py`` paths; tests use this to add hostile extractors) and
``gateway.scan``, and scans a warm-up message (lexicons are built lazily) before it says ready; it serves
``max_tasks_per_worker`` tasks and is then replaced, and announces every part before extracting it. A task
that outlives ``message_seconds`` (+ ``ocr_seconds`` with OCR) + ``grace`` of its settings' limits is
SIGKILLed; when a worker dies (signal, ``os._exit``, an exception escaping ``scan_bytes``) or is killed, the
scan is rerun once on another worker with the last announced part pre-marked ``parser_crash`` or
``timeout``; if no part was announced or the rerun dies too, the result is one
``Unscannable(Location(("message",)), reason)``. A death after the last part (during detection) therefore
costs that part. Restart causes (``crash timeout error recycle cancelled``, the ``cause`` label of
``dlp_worker_restarts_total``) are counted in ``stats().restarts`` and passed to ``on_restart``.

The event loop only does I/O: replies are read with ``loop.add_reader``, messages larger than ``INLINE_BYTES``
are written from a thread, and process start/join run on one dedicated thread.

Security: the worker reads hostile bytes; the parent trusts nothing from it but well-formed replies of our
own protocol (anything else kills the worker). Replies are pickles, so a worker taken over by an exploited
parser could attack the parent through them: workers run as the same user and are contained by RLIMIT_AS,
the deadline and SIGKILL, not by a privilege boundary. Reasons and restart causes carry no content.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import importlib.util
import logging
import multiprocessing
import os
import pickle
import resource
import signal
import sys
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import TYPE_CHECKING, Any

from gateway.extract.base import Limits
from gateway.model import Location, Reason, ScanResult, Unscannable

if TYPE_CHECKING:
    from gateway.scan import ScanSettings

log = logging.getLogger(__name__)

GRACE_SECONDS = 1.0  # after message_seconds: the cooperative Budget deadline should have answered by then
START_SECONDS = 60.0  # a worker importing every extractor on a loaded 2-core machine
STOP_SECONDS = 5.0
INLINE_BYTES = 64 * 1024  # fits a socket buffer; larger messages are written to the worker from a thread
CAUSES = ("crash", "timeout", "error", "recycle", "cancelled")
_STOP = b"stop"
_WARMUP = (
    b"From: a@example.se\r\nTo: b@example.se\r\nSubject: warm-up\r\nMIME-Version: 1.0\r\n"
    b"Content-Type: text/html; charset=utf-8\r\n\r\n<p>Hej 19121212-1212, diabetes, sekretess</p>\r\n"
)


class PoolUnavailable(Exception):  # noqa: N818 - the name is the handler's contract
    """No scan worker can run (start failed, pool closed): the message must be deferred (451)."""


@dataclass(frozen=True, slots=True)
class PoolStats:
    """A snapshot for metrics: configured and live workers, queue, restarts by cause."""

    workers: int
    alive: int
    busy: int
    starting: int
    queued: int
    tasks: int
    restarts: Mapping[str, int]
    start_failures: int


# ---------------------------------------------------------------- worker process (child side)


def _serve(conn: Connection, memory: int, preload: tuple[str, ...]) -> None:
    """Worker main loop: limit memory, import, then scan tasks until told to stop."""
    # Ctrl-C and systemd's SIGTERM reach the whole group: the parent finishes in-flight scans, then stops us
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    try:
        _limit_memory(memory)
        for name in preload:
            _load(name)
        from gateway.scan import ScanSettings, scan_bytes

        scan_bytes(_WARMUP, ScanSettings())  # build lexicons and caches now, not on the first task's clock
    except BaseException as exc:  # noqa: BLE001 - report why this worker cannot serve, then exit
        conn.send(("fatal", f"{type(exc).__name__}: {exc}"[:300]))
        return
    conn.send(("ready", os.getpid()))

    def announce(location: str) -> None:
        conn.send(("part", location))

    while True:
        try:
            head = conn.recv_bytes()
            if head == _STOP:
                return
            raw = conn.recv_bytes()
            settings, skip, seconds = pickle.loads(head)  # noqa: S301 - written by our parent
            _limit_cpu(seconds)
            conn.send(("done", scan_bytes(raw, settings, skip, on_part=announce)))
        except EOFError:
            return
        except BaseException as exc:  # noqa: BLE001 - state unknown (MemoryError...): report and die
            with contextlib.suppress(BaseException):
                conn.send(("error", type(exc).__name__))
            os._exit(70)


def _limit_memory(memory: int) -> None:
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


# ---------------------------------------------------------------- supervisor (parent side)

Outcome = tuple[str, Any]  # ("done", ScanResult) | ("died", (Reason, part location | None)) | ("retry", None)


@dataclass(eq=False)
class _Task:
    done: asyncio.Future[Outcome]
    part: str | None = None


@dataclass(eq=False)
class _Worker:
    proc: BaseProcess
    conn: Connection
    ready: asyncio.Future[str | None]  # None when ready, else why it cannot start
    pid: int = 0  # kept: ``proc`` is closed by the process thread once joined
    started: bool = False
    tasks: int = 0
    task: _Task | None = None
    dead: bool = False
    overrun: bool = False
    sending: bool = False  # a thread is writing a large message to ``conn``


@dataclass(eq=False)
class _State:
    workers: set[_Worker] = field(default_factory=set)
    idle: deque[_Worker] = field(default_factory=deque)
    waiters: deque[asyncio.Future[_Worker]] = field(default_factory=deque)
    starting: int = 0
    active: int = 0
    tasks: int = 0
    start_failures: int = 0
    restarts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CAUSES, 0))


class ScanPool:
    """Supervise ``workers`` scan processes; see the module docstring for the contract."""

    def __init__(
        self,
        workers: int | None = None,
        limits: Limits | None = None,
        max_tasks_per_worker: int = 500,
        start_method: str = "forkserver",
        *,
        preload: Iterable[str] = (),
        on_restart: Callable[[str], None] | None = None,
        grace: float = GRACE_SECONDS,
    ) -> None:
        self.size = max(1, workers or _cores())
        self.limits = limits or Limits()
        self.max_tasks = max(1, max_tasks_per_worker)
        self.preload = tuple(preload)
        self.grace = grace
        self._ctx = multiprocessing.get_context(start_method)
        self._on_restart = on_restart
        self._s = _State()
        self._closing = False
        self._closed = False
        self._idle_event: asyncio.Event | None = None
        self._procs = ThreadPoolExecutor(max_workers=1, thread_name_prefix="dlp-pool-procs")
        self._loop: asyncio.AbstractEventLoop | None = None
        self._spawns: set[asyncio.Task[None]] = set()

    # ------------------------------------------------------------ public API

    async def start(self) -> None:
        """Start every worker; raise ``PoolUnavailable`` if none could start."""
        self._loop = asyncio.get_running_loop()
        self._idle_event = asyncio.Event()
        if self._ctx.get_start_method() == "forkserver":
            # warm the fork server so replacements are cheap (ignored if it already runs)
            self._ctx.set_forkserver_preload(["gateway.scan"])
        self._s.starting += self.size
        await asyncio.gather(*(self._spawn() for _ in range(self.size)))
        if not self._s.workers:
            raise PoolUnavailable("no scan worker could start")

    async def scan(self, raw: bytes, settings: ScanSettings) -> ScanResult:
        """Scan ``raw`` in a worker: rerun once without the part that killed it; never raises for input."""
        if self._closing or self._loop is None:
            raise PoolUnavailable("scan pool is not running")
        started = time.perf_counter()
        self._s.active += 1
        try:
            skip: dict[str, Reason] = {}
            for attempt in range(2):
                kind, value = await self._attempt(raw, settings, skip)
                if kind == "done":
                    result: ScanResult = value
                    return result
                reason, part = value
                if part is None or attempt:
                    break
                skip[part] = reason
            return _unscannable(reason, (time.perf_counter() - started) * 1000.0)
        finally:
            self._s.active -= 1
            self._maybe_idle()

    async def close(self) -> None:
        """Finish every accepted scan, then stop the workers (graceful; new scans get PoolUnavailable)."""
        if self._closed:
            return
        self._closing = True
        if self._idle_event is None:
            return
        while self._s.active:
            self._idle_event.clear()
            await self._idle_event.wait()
        while self._spawns:  # starting replacements and recycling joins end on their own
            await asyncio.gather(*list(self._spawns), return_exceptions=True)
        for w in list(self._s.workers):
            self._retire(w, None)
        for waiter in self._s.waiters:
            if not waiter.done():
                waiter.set_exception(PoolUnavailable("scan pool closed"))
        await asyncio.get_running_loop().run_in_executor(self._procs, lambda: None)  # joins done
        self._procs.shutdown(wait=False)
        self._closed = True

    def stats(self) -> PoolStats:
        """Counters for ``/metrics`` (restarts by cause feed ``dlp_worker_restarts_total``)."""
        s = self._s
        busy = sum(1 for w in s.workers if w.task is not None)
        return PoolStats(self.size, len(s.workers), busy, s.starting, len(s.waiters), s.tasks,
                         dict(s.restarts), s.start_failures)

    # ------------------------------------------------------------ one attempt on one worker

    async def _attempt(self, raw: bytes, settings: ScanSettings, skip: Mapping[str, Reason]) -> Outcome:
        limits = settings.limits
        seconds = limits.message_seconds + (limits.ocr_seconds if limits.ocr else 0.0) + self.grace
        head = pickle.dumps((settings, dict(skip), seconds), protocol=pickle.HIGHEST_PROTOCOL)
        for _ in range(3):  # a worker found dead on send did not start our task: take another one
            outcome = await self._run(await self._acquire(), head, raw, seconds)
            if outcome[0] != "retry":
                return outcome
        return ("died", (Reason.PARSER_CRASH, None))

    async def _run(self, w: _Worker, head: bytes, raw: bytes, seconds: float) -> Outcome:
        loop = self._loop_()
        task = _Task(loop.create_future())
        w.task = task
        timer = loop.call_later(seconds, self._overrun, w)
        try:
            try:
                if len(raw) > INLINE_BYTES:
                    w.sending = True
                    try:
                        await asyncio.to_thread(_send, w.conn, head, raw)
                    finally:
                        w.sending = False
                        if w.dead:
                            w.conn.close()  # deferred by _reap: the fd must not be reused mid-write
                else:
                    _send(w.conn, head, raw)  # fits the socket buffer: never blocks the loop
            except OSError:
                if task.done.done():  # killed by the deadline while we were still writing
                    return task.done.result()
                self._died(w, "crash")
                return ("retry", None)
            return await task.done
        except asyncio.CancelledError:
            if not task.done.done() or task.done.cancelled():  # the worker is still busy with our task
                self._died(w, "cancelled", kill=True)
            raise
        finally:
            timer.cancel()
            w.task = None
            self._release(w)

    def _overrun(self, w: _Worker) -> None:
        w.overrun = True
        self._died(w, "timeout", kill=True)

    # ------------------------------------------------------------ replies from workers

    def _readable(self, w: _Worker) -> None:
        try:
            while not w.dead and w.conn.poll():
                self._message(w, w.conn.recv())
        except (EOFError, ConnectionError):  # the worker died
            self._died(w, "crash")
        except Exception:  # noqa: BLE001 - a malformed reply: replace the worker
            self._died(w, "crash", kill=True)

    def _message(self, w: _Worker, msg: Any) -> None:
        kind, value = msg
        task = w.task
        if kind == "part" and task is not None and isinstance(value, str):
            task.part = value
        elif kind == "done" and task is not None and isinstance(value, ScanResult):
            w.tasks += 1
            self._s.tasks += 1
            if not task.done.done():
                task.done.set_result(("done", value))
        elif kind == "error":
            self._died(w, "error", kill=True)
        elif kind == "ready" and not w.ready.done():
            w.ready.set_result(None)
        elif kind == "fatal" and not w.ready.done():
            w.ready.set_result(f"scan worker cannot start: {value}")
        else:
            raise ValueError("unexpected reply from scan worker")

    def _died(self, w: _Worker, cause: str, kill: bool = False) -> None:
        """Forget a dead (or to-be-killed) worker, fail its task, count the restart, start a replacement."""
        if w.dead:
            return
        w.dead = True
        self._forget(w)
        if kill:
            with contextlib.suppress(Exception):
                if w.proc.exitcode is None:  # polls first: never signal a pid the fork server reaped
                    w.proc.kill()
        self._reap(w)
        if not w.ready.done():
            w.ready.set_result("scan worker exited during start")
        if not w.started:
            return
        task = w.task
        if task is not None and not task.done.done():
            reason = Reason.TIMEOUT if w.overrun else Reason.PARSER_CRASH
            task.done.set_result(("died", (reason, task.part)))
        log.warning("scan worker %s replaced (%s)", w.pid, cause)
        self._count(cause)
        self._respawn()

    # ------------------------------------------------------------ worker bookkeeping

    async def _acquire(self) -> _Worker:
        s = self._s
        while s.idle:
            w = s.idle.popleft()
            if not w.dead:
                return w
        if not s.workers and not s.starting:
            self._respawn(force=True)
        waiter: asyncio.Future[_Worker] = self._loop_().create_future()
        s.waiters.append(waiter)
        try:
            return await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled() and waiter.exception() is None:
                self._release(waiter.result())  # handed over just as we were cancelled
            raise
        finally:
            with contextlib.suppress(ValueError):
                s.waiters.remove(waiter)

    def _release(self, w: _Worker) -> None:
        """Give an idle worker to the next waiter, or recycle it after ``max_tasks`` tasks."""
        if w.dead:
            return
        if w.tasks >= self.max_tasks:
            self._retire(w, "recycle")
            self._respawn()
            return
        while self._s.waiters:
            waiter = self._s.waiters.popleft()
            if not waiter.done():
                waiter.set_result(w)
                return
        self._s.idle.append(w)
        self._maybe_idle()

    async def _spawn(self) -> None:
        """Start one worker (``starting`` was already counted by the caller)."""
        s = self._s
        try:
            w = await self._start_worker()
        except Exception as exc:  # noqa: BLE001 - any start failure is counted and reported as 451
            s.start_failures += 1
            log.error("scan worker failed to start: %s", exc)
            if not s.workers and s.starting == 1:
                self._fail_waiters(PoolUnavailable(str(exc)))
            return
        finally:
            s.starting -= 1
        s.workers.add(w)
        self._release(w)

    async def _start_worker(self) -> _Worker:
        loop = self._loop_()
        parent, child = self._ctx.Pipe()
        args = (child, self.limits.worker_memory, self.preload)
        proc = self._ctx.Process(target=_serve, args=args, daemon=True, name="dlp-scan-worker")  # type: ignore[attr-defined]
        try:
            await loop.run_in_executor(self._procs, proc.start)
        finally:
            child.close()
        w = _Worker(proc, parent, loop.create_future(), pid=proc.pid or 0)
        loop.add_reader(parent.fileno(), self._readable, w)
        try:
            error = await asyncio.wait_for(asyncio.shield(w.ready), START_SECONDS)
        except BaseException:
            self._died(w, "start", kill=True)
            raise
        if error is not None:
            self._died(w, "start", kill=True)
            raise PoolUnavailable(error)
        w.started = True
        return w

    def _retire(self, w: _Worker, cause: str | None) -> None:
        """Stop an idle worker gracefully (recycling or shutdown); it is joined on the process thread."""
        if w.dead:
            return
        w.dead = True
        self._forget(w)
        with contextlib.suppress(OSError):
            w.conn.send_bytes(_STOP)
        if cause:
            self._count(cause)
        self._reap(w)

    def _forget(self, w: _Worker) -> None:
        self._s.workers.discard(w)
        with contextlib.suppress(ValueError):
            self._s.idle.remove(w)
        with contextlib.suppress(Exception):
            self._loop_().remove_reader(w.conn.fileno())

    def _reap(self, w: _Worker) -> None:
        """Join the process on the process thread; close its pipe unless a send thread still writes."""
        if not w.sending:
            w.conn.close()
        self._loop_().run_in_executor(self._procs, _join, w.proc)

    def _respawn(self, force: bool = False) -> None:
        s = self._s
        if self._closing and not s.active and not force:
            return
        if len(s.workers) + s.starting < self.size:
            s.starting += 1
            self._background(self._spawn())

    def _background(self, coro: Any) -> None:
        task = self._loop_().create_task(coro)
        self._spawns.add(task)
        task.add_done_callback(self._spawns.discard)

    def _fail_waiters(self, exc: Exception) -> None:
        while self._s.waiters:
            waiter = self._s.waiters.popleft()
            if not waiter.done():
                waiter.set_exception(exc)

    def _count(self, cause: str) -> None:
        self._s.restarts[cause] = self._s.restarts.get(cause, 0) + 1
        if self._on_restart is not None:
            with contextlib.suppress(Exception):
                self._on_restart(cause)

    def _maybe_idle(self) -> None:
        if self._idle_event is not None and self._s.active == 0:
            self._idle_event.set()

    def _loop_(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            raise PoolUnavailable("scan pool is not started")
        return self._loop


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _send(conn: Connection, head: bytes, raw: bytes) -> None:
    conn.send_bytes(head)
    conn.send_bytes(raw)


def _join(proc: BaseProcess) -> None:
    proc.join(STOP_SECONDS)
    if proc.exitcode is None:
        proc.kill()
        proc.join(STOP_SECONDS)
    with contextlib.suppress(ValueError):
        proc.close()


def _unscannable(reason: Reason, scan_ms: float) -> ScanResult:
    return ScanResult(findings=(), unscannable=(Unscannable(Location(("message",)), reason, "scan worker"),),
                      scan_ms=scan_ms)
