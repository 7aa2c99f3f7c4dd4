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
``gateway.scan``, and is warm (lexicons are built lazily: the fork server scans a warm-up message once, see
``_warm.py``) before it says ready; it serves ``max_tasks_per_worker`` tasks and is then replaced. It
announces every part before extracting it.

Deadlines come from the settings' limits (+ ``ocr_seconds`` each with OCR on): one message budget of
``message_seconds + grace`` shared by both attempts, counted from the first dispatch (time queued for a busy
pool is not charged), and ``attachment_seconds + grace`` from each part announcement. The worker overrunning
either is SIGKILLed. When a worker dies (signal, ``os._exit``, an exception escaping ``scan_bytes``) or is
killed, the scan is rerun once on another worker with the last announced part pre-marked ``parser_crash`` or
``timeout`` (the rerun gets the rest of the budget, at least ``grace``); if no part was announced or the
rerun dies too, the result is one ``Unscannable(Location(("message",)), reason)``. So a hung part costs
about ``attachment_seconds``, and two cost the message, never more than the budget. A death after the last
part (during detection) is blamed on that part. Restart causes (``crash timeout error recycle cancelled``,
the ``cause`` label of ``dlp_worker_restarts_total``) are counted in ``stats().restarts`` and passed to
``on_restart``.

The worker side and its pipe protocol are in ``_worker.py``. The event loop only does I/O: replies are read
from a non-blocking pipe with ``loop.add_reader`` and framed here (a worker stalling mid-reply cannot stall
the loop), messages larger than ``INLINE_BYTES`` are written from a thread, and process start/join run on one
dedicated thread.

Security: the worker reads hostile bytes; the parent trusts nothing from it but well-formed replies of our
own protocol (anything else kills the worker). Replies are pickles, so a worker taken over by an exploited
parser could attack the parent through them: workers run as the same user and are contained by RLIMIT_AS,
the deadline and SIGKILL, not by a privilege boundary. Reasons and restart causes carry no content.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import multiprocessing
import os
import pickle
import struct
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import TYPE_CHECKING, Any

from gateway.extract._worker import STOP, serve
from gateway.extract.base import Limits
from gateway.model import Location, Reason, ScanResult, Unscannable

if TYPE_CHECKING:
    from gateway.scan import ScanSettings

log = logging.getLogger(__name__)

GRACE_SECONDS = 1.0  # after message_seconds: the cooperative Budget deadline should have answered by then
START_SECONDS = 60.0  # a worker importing every extractor on a loaded 2-core machine
STOP_SECONDS = 5.0
INLINE_BYTES = 32 * 1024  # fits an empty pipe buffer; larger messages are written from a thread
READ_BYTES = 1024 * 1024
PIPE_BYTES = 1024 * 1024  # the default /proc/sys/fs/pipe-max-size
MAX_REPLY = 256 * 1024 * 1024  # a reply claiming more is malformed
CAUSES = ("crash", "timeout", "error", "recycle", "cancelled")


class PoolUnavailable(Exception):  # noqa: N818 - the name is the handler's contract
    """No scan worker can run (start failed, pool closed): the message must be deferred (451)."""


@dataclass(frozen=True, slots=True)
class PoolStats:
    """A snapshot for metrics and health checks.

    ``workers`` configured, ``alive`` ready processes, ``busy`` of them scanning, ``starting`` replacements,
    ``queued`` scans waiting for a worker, ``tasks`` completed, ``restarts`` by cause (every cause present,
    zero included), ``start_failures`` workers that never became ready.
    """

    workers: int
    alive: int
    busy: int
    starting: int
    queued: int
    tasks: int
    restarts: Mapping[str, int]
    start_failures: int


# ---------------------------------------------------------------- supervisor (parent side)

Outcome = tuple[str, Any]  # ("done", ScanResult) | ("died", (Reason, part location | None)) | ("retry", None)


@dataclass(eq=False)
class _Clock:
    """Deadlines of one scan: ``end`` for the message (both attempts), ``part`` seconds per announced part."""

    seconds: float
    part: float
    end: float = 0.0  # loop time; set when the first attempt is dispatched (queueing is not charged)


@dataclass(eq=False)
class _Task:
    done: asyncio.Future[Outcome]
    clock: _Clock
    floor: float = 0.0  # loop time before which this attempt is never killed
    part: str | None = None
    timer: asyncio.TimerHandle | None = None


@dataclass(eq=False)
class _Worker:
    proc: BaseProcess
    conn: Connection  # parent -> worker (blocking writes: inline when small, else from a thread)
    reader: Connection  # worker -> parent, non-blocking, framed by ``_frames``
    ready: asyncio.Future[str | None]  # None when ready, else why it cannot start
    pid: int = 0  # kept: ``proc`` is closed by the process thread once joined
    started: bool = False
    tasks: int = 0
    task: _Task | None = None
    dead: bool = False
    overrun: bool = False
    sending: bool = False  # a thread is writing a large message to ``conn``
    buf: bytearray = field(default_factory=bytearray)


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
        self.size = max(1, workers or usable_cores())
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
        self._last_head: tuple[ScanSettings, float, bytes] | None = None

    # ------------------------------------------------------------ public API

    async def start(self) -> None:
        """Start every worker; raise ``PoolUnavailable`` if none could start."""
        self._loop = asyncio.get_running_loop()
        self._idle_event = asyncio.Event()
        if self._ctx.get_start_method() == "forkserver":
            # import and warm up in the fork server so forks start warm (ignored if it already runs)
            self._ctx.set_forkserver_preload(["gateway.scan", "gateway.extract._warm"])
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
            limits = settings.limits
            ocr = limits.ocr_seconds if limits.ocr else 0.0
            clock = _Clock(limits.message_seconds + ocr + self.grace, limits.attachment_seconds + ocr + self.grace)
            for attempt in range(2):
                kind, value = await self._attempt(raw, settings, skip, clock)
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

    async def _attempt(
        self, raw: bytes, settings: ScanSettings, skip: Mapping[str, Reason], clock: _Clock
    ) -> Outcome:
        head = self._head(settings, skip, clock.seconds)
        for _ in range(3):  # a worker found dead on send did not start our task: take another one
            outcome = await self._run(await self._acquire(), head, raw, clock)
            if outcome[0] != "retry":
                return outcome
        return ("died", (Reason.PARSER_CRASH, None))

    def _head(self, settings: ScanSettings, skip: Mapping[str, Reason], seconds: float) -> bytes:
        """The pickled task header; the common one (same settings object, nothing skipped) is pickled once."""
        if skip:
            return pickle.dumps((settings, dict(skip), seconds), protocol=pickle.HIGHEST_PROTOCOL)
        cached = self._last_head
        if cached is None or cached[0] is not settings or cached[1] != seconds:
            head = pickle.dumps((settings, {}, seconds), protocol=pickle.HIGHEST_PROTOCOL)
            cached = self._last_head = (settings, seconds, head)
        return cached[2]

    async def _run(self, w: _Worker, head: bytes, raw: bytes, clock: _Clock) -> Outcome:
        loop = self._loop_()
        now = loop.time()
        clock.end = clock.end or now + clock.seconds
        # a rerun gets what is left of the message budget, but at least the grace to report
        task = _Task(loop.create_future(), clock, floor=now + self.grace)
        w.task = task
        task.timer = loop.call_at(max(clock.end, task.floor), self._overrun, w)
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
            if task.timer is not None:
                task.timer.cancel()
            w.task = None
            self._release(w)

    def _arm(self, w: _Worker, task: _Task) -> None:
        """Re-arm the kill timer for a newly announced part: a hung part costs its own budget only."""
        loop = self._loop_()
        when = max(task.floor, min(task.clock.end, loop.time() + task.clock.part))
        if task.timer is not None:
            task.timer.cancel()
        task.timer = loop.call_at(when, self._overrun, w)

    def _overrun(self, w: _Worker) -> None:
        w.overrun = True
        self._died(w, "timeout", kill=True)

    # ------------------------------------------------------------ replies from workers

    def _readable(self, w: _Worker) -> None:
        """Read what is there without blocking: a worker stalling mid-reply cannot stall the loop."""
        try:
            data = os.read(w.reader.fileno(), READ_BYTES)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:  # EOF: the worker died
            self._died(w, "crash")
            return
        w.buf += data
        try:
            for frame in _frames(w.buf):
                self._message(w, pickle.loads(frame))  # noqa: S301 - our own worker's reply
                if w.dead:
                    return
        except Exception:  # noqa: BLE001 - a malformed reply: replace the worker
            self._died(w, "crash", kill=True)

    def _message(self, w: _Worker, msg: Any) -> None:
        kind, value = msg
        task = w.task
        if kind == "part" and task is not None and isinstance(value, str):
            task.part = value
            self._arm(w, task)
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
        child_in, parent_out = self._ctx.Pipe(duplex=False)
        parent_in, child_out = self._ctx.Pipe(duplex=False)
        os.set_blocking(parent_in.fileno(), False)
        for end in (parent_out, parent_in):  # fewer wake-ups per large message or result (Linux)
            with contextlib.suppress(OSError, AttributeError):
                fcntl.fcntl(end.fileno(), fcntl.F_SETPIPE_SZ, PIPE_BYTES)
        args = (child_in, child_out, self.limits.worker_memory, self.preload)
        proc = self._ctx.Process(target=serve, args=args, daemon=True, name="dlp-scan-worker")  # type: ignore[attr-defined]
        try:
            await loop.run_in_executor(self._procs, proc.start)
        except BaseException:
            parent_out.close()
            parent_in.close()
            raise
        finally:
            child_in.close()
            child_out.close()
        w = _Worker(proc, parent_out, parent_in, loop.create_future(), pid=proc.pid or 0)
        loop.add_reader(parent_in.fileno(), self._readable, w)
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
            w.conn.send_bytes(STOP)
        if cause:
            self._count(cause)
        self._reap(w)

    def _forget(self, w: _Worker) -> None:
        self._s.workers.discard(w)
        with contextlib.suppress(ValueError):
            self._s.idle.remove(w)
        with contextlib.suppress(Exception):
            self._loop_().remove_reader(w.reader.fileno())

    def _reap(self, w: _Worker) -> None:
        """Join the process on the process thread; close its pipe unless a send thread still writes."""
        w.reader.close()
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


def usable_cores() -> int:
    """CPUs this process may run on (its affinity mask), at least one."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _frames(buf: bytearray) -> Iterator[bytes]:
    """Pop complete ``Connection.send_bytes`` frames (``!i`` length, or -1 and a ``!Q`` length) off ``buf``."""
    while len(buf) >= 4:
        (size,) = struct.unpack_from("!i", buf)
        start = 4
        if size == -1:
            if len(buf) < 12:
                return
            (size,) = struct.unpack_from("!Q", buf, 4)
            start = 12
        if not 0 <= size <= MAX_REPLY:
            raise ValueError("malformed reply frame")
        if len(buf) < start + size:
            return
        frame = bytes(buf[start : start + size])
        del buf[: start + size]
        yield frame


def _send(conn: Connection, head: bytes, raw: bytes) -> None:
    """One ``send_bytes`` frame ``!I len(head) | head | raw``, written with ``writev``: one wake-up of the
    worker per task instead of two, and the message bytes are never copied into a joined buffer."""
    body = 4 + len(head) + len(raw)
    size = struct.pack("!i", body) if body < 0x7FFFFFFF else struct.pack("!iQ", -1, body)
    chunks = [memoryview(size + struct.pack("!I", len(head)) + head), memoryview(raw)]
    fd = conn.fileno()
    while chunks:
        sent = os.writev(fd, chunks)
        while chunks and sent >= len(chunks[0]):
            sent -= len(chunks[0])
            chunks.pop(0)
        if chunks and sent:
            chunks[0] = chunks[0][sent:]


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
