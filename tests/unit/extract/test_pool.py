"""The scan pool with real worker processes: results equal in-process scans, hostile parts cost only that part.

Hostile behaviour comes from ``_hostile_extractors.py`` (loaded into the workers only, via ``preload``):
attachments whose bytes start with ``HOSTILE:<mode>`` hang, abort, segfault, exit or allocate 2 GiB, and
``HOSTILE:canary`` attachments carry a ``CANARY-TOKEN`` that the test-only detector ``_test_canary`` reports.
"""

from __future__ import annotations

import asyncio
import struct
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from email.message import EmailMessage
from pathlib import Path
from typing import Any, TypeVar

import pytest

pytest.importorskip("gateway.mime.parse")

from gateway.extract.base import Limits  # noqa: E402
from gateway.extract.pool import INLINE_BYTES, PoolStats, PoolUnavailable, ScanPool, _frames  # noqa: E402
from gateway.model import Location, Reason, ScanResult  # noqa: E402
from gateway.scan import ScanSettings, scan_bytes  # noqa: E402

HOSTILE = str(Path(__file__).with_name("_hostile_extractors.py"))
CANARY = b"HOSTILE:canary\nCANARY-TOKEN in the good attachment\n"
T = TypeVar("T")


def _mail(*attachments: bytes, body: str = "Hej! Eleven har personnummer 19121212-1212.\n") -> bytes:
    m = EmailMessage()
    m["From"] = "anna@kommun.example.se"
    m["To"] = "x@example.com"
    m["Subject"] = "Underlag"
    m.set_content(body)
    for i, data in enumerate(attachments, 1):
        m.add_attachment(data, maintype="application", subtype="octet-stream", filename=f"bilaga{i}.bin")
    return m.as_bytes()


def _run(fn: Callable[[ScanPool], Awaitable[T]], **kw: Any) -> T:
    """Start a pool, run ``fn`` on it, close it (all inside one event loop)."""

    async def main() -> T:
        pool = ScanPool(**{"workers": 2, "limits": LIMITS, "preload": [HOSTILE], **kw})
        await pool.start()
        try:
            return await fn(pool)
        finally:
            await pool.close()

    return asyncio.run(main())


LIMITS = Limits(message_seconds=2.0, attachment_seconds=0.3)  # a hung part is killed after 0.3 s + grace
SETTINGS = ScanSettings(limits=LIMITS)


def _canaries(result: ScanResult) -> list[str]:
    return [f.location for f in result.findings if f.detector == "_test_canary"]


def _reasons(result: ScanResult) -> dict[str, Reason]:
    return {str(u.location): u.reason for u in result.unscannable}


def _strip(result: ScanResult) -> tuple[object, ...]:
    return (result.findings, result.unscannable, result.parts, result.below_threshold)


def test_pool_result_equals_in_process_scan() -> None:
    big = b"Rapport 19121212-1212\n" + b"lorem ipsum dolor sit amet\n" * 10_000  # raw > INLINE_BYTES: sent from a thread
    raw = _mail(b"plain attachment text 189001019802\n", big)
    settings = ScanSettings()
    assert len(raw) > INLINE_BYTES

    async def scan(pool: ScanPool) -> ScanResult:
        return await pool.scan(raw, settings)

    pooled = _run(scan, workers=1, preload=[], limits=Limits())
    local = scan_bytes(raw, settings)
    assert pooled.parts and _strip(pooled) == _strip(local)


def test_concurrent_scans_all_complete() -> None:
    async def many(pool: ScanPool) -> list[ScanResult]:
        return await asyncio.gather(*(pool.scan(_mail(CANARY), SETTINGS) for _ in range(20)))

    results = _run(many)
    assert len(results) == 20
    assert all(_canaries(r) == [_canaries(results[0])[0]] for r in results)


@pytest.mark.parametrize("mode", ["hang", "stall"])
def test_hanging_part_times_out_others_found_loop_responsive(mode: str) -> None:
    async def hang(pool: ScanPool) -> tuple[ScanResult, float, ScanResult, dict[str, int]]:
        lag = 0.0
        stop = False

        async def ticker() -> None:
            nonlocal lag
            while not stop:
                t = time.perf_counter()
                await asyncio.sleep(0.005)
                lag = max(lag, time.perf_counter() - t - 0.005)

        tick = asyncio.create_task(ticker())
        result = await pool.scan(_mail(CANARY, f"HOSTILE:{mode}\n".encode()), SETTINGS)
        stop = True
        await tick
        after = await pool.scan(_mail(CANARY), SETTINGS)
        return result, lag, after, dict(pool.stats().restarts)

    result, lag, after, restarts = _run(hang, grace=0.2)
    reasons = _reasons(result)
    assert [loc for loc, r in reasons.items() if r == Reason.TIMEOUT] == [_hang_location(result)]
    assert _canaries(result) and _canaries(after)
    assert restarts["timeout"] == 1
    assert lag < 0.05


def test_two_hanging_parts_stay_within_the_message_budget() -> None:
    async def hang(pool: ScanPool) -> tuple[ScanResult, float]:
        t = time.perf_counter()
        result = await pool.scan(_mail(CANARY, b"HOSTILE:hang\n", b"HOSTILE:hang\n"), SETTINGS)
        return result, time.perf_counter() - t

    result, elapsed = _run(hang, grace=0.2)
    assert [(u.location, u.reason) for u in result.unscannable] == [(Location(("message",)), Reason.TIMEOUT)]
    assert 0.9 < elapsed < LIMITS.message_seconds + 0.2  # two part kills (0.5 s each), not two message budgets


def _hang_location(result: ScanResult) -> str:
    return next(p.location for p in result.parts if p.extractor == "skipped")


@pytest.mark.parametrize("mode", ["abort", "segv", "exit", "systemexit"])
def test_dying_part_is_parser_crash_and_worker_replaced(mode: str) -> None:
    causes: list[str] = []

    async def crash(pool: ScanPool) -> tuple[ScanResult, ScanResult, int]:
        result = await pool.scan(_mail(CANARY, f"HOSTILE:{mode}\n".encode()), SETTINGS)
        after = await asyncio.gather(*(pool.scan(_mail(CANARY), SETTINGS) for _ in range(4)))
        for _ in range(200):
            if pool.stats().alive == 2:
                break
            await asyncio.sleep(0.01)
        return result, after[-1], pool.stats().alive

    result, after, alive = _run(crash, on_restart=causes.append)
    crashed = [loc for loc, r in _reasons(result).items() if r == Reason.PARSER_CRASH]
    assert crashed == [_hang_location(result)]
    assert _canaries(result) and _canaries(after)
    assert causes == ["error" if mode == "systemexit" else "crash"]
    assert alive == 2


def test_memory_hog_is_parser_crash_under_rlimit() -> None:
    async def hog(pool: ScanPool) -> ScanResult:
        return await pool.scan(_mail(CANARY, b"HOSTILE:hog\n"), SETTINGS)

    result = _run(hog, limits=Limits(message_seconds=5.0, worker_memory=1024 * 1024 * 1024))
    assert Reason.PARSER_CRASH in _reasons(result).values()
    assert _canaries(result)


def test_worker_runs_under_its_memory_and_core_limits() -> None:
    async def limits(pool: ScanPool) -> ScanResult:
        return await pool.scan(_mail(b"HOSTILE:core\n", b"HOSTILE:aslimit\n"), SETTINGS)

    result = _run(limits, workers=1, limits=Limits(worker_memory=768 * 1024 * 1024))
    chars = {p.sniffed_type: p.chars for p in result.parts}
    assert chars["hostile_core"] == 1 and chars["hostile_aslimit"] == 768


def test_rerun_that_dies_again_makes_the_message_unscannable() -> None:
    async def twice(pool: ScanPool) -> ScanResult:
        return await pool.scan(_mail(CANARY, b"HOSTILE:abort\n", b"HOSTILE:exit\n"), SETTINGS)

    result = _run(twice)
    assert result.findings == ()
    assert [(u.location, u.reason) for u in result.unscannable] == [(Location(("message",)), Reason.PARSER_CRASH)]


def test_workers_are_recycled_after_max_tasks() -> None:
    async def recycle(pool: ScanPool) -> tuple[list[ScanResult], dict[str, int]]:
        results = [await pool.scan(_mail(CANARY), SETTINGS) for _ in range(5)]
        return results, dict(pool.stats().restarts)

    results, restarts = _run(recycle, workers=1, max_tasks_per_worker=2)
    assert all(_canaries(r) for r in results)
    assert restarts["recycle"] == 2 and restarts["crash"] == 0


def test_close_finishes_in_flight_scans_then_refuses() -> None:
    async def main() -> tuple[list[ScanResult], ScanPool]:
        pool = ScanPool(workers=2, limits=Limits(message_seconds=5.0), preload=[HOSTILE])
        await pool.start()
        slow = _mail(CANARY, b"HOSTILE:slow\n")
        tasks = [asyncio.create_task(pool.scan(slow, SETTINGS)) for _ in range(3)]
        await asyncio.sleep(0.05)
        await pool.close()
        assert all(t.done() for t in tasks)
        with pytest.raises(PoolUnavailable):
            await pool.scan(slow, SETTINGS)
        await pool.close()  # idempotent
        return [t.result() for t in tasks], pool

    results, pool = asyncio.run(main())
    assert all(_canaries(r) and not r.unscannable for r in results)
    assert pool.stats().alive == 0


def test_cancelled_scan_kills_its_worker_and_pool_continues() -> None:
    async def cancel(pool: ScanPool) -> tuple[ScanResult, dict[str, int]]:
        task = asyncio.create_task(pool.scan(_mail(b"HOSTILE:hang\n"), ScanSettings(limits=Limits())))
        await asyncio.sleep(0.2)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return await pool.scan(_mail(CANARY), SETTINGS), dict(pool.stats().restarts)

    after, restarts = _run(cancel, workers=1)
    assert _canaries(after) and restarts["cancelled"] == 1


def test_pool_that_cannot_start_is_unavailable() -> None:
    async def main() -> None:
        pool = ScanPool(workers=1, preload=["gateway._no_such_module_"])
        with pytest.raises(PoolUnavailable):
            await pool.start()
        assert pool.stats().start_failures == 1
        await pool.close()

    asyncio.run(main())


def test_pool_that_cannot_replace_a_dead_worker_is_unavailable(tmp_path: Path) -> None:
    marker = tmp_path / "broken"
    gate = tmp_path / "gate.py"
    gate.write_text(f"import pathlib\nif pathlib.Path({str(marker)!r}).exists():\n    raise RuntimeError('no')\n")

    async def main() -> tuple[dict[str, int], int]:
        pool = ScanPool(workers=1, limits=LIMITS, preload=[HOSTILE, str(gate)])
        await pool.start()
        marker.touch()  # from now on no worker can start
        with pytest.raises(PoolUnavailable):
            await pool.scan(_mail(CANARY, b"HOSTILE:abort\n"), SETTINGS)
        with pytest.raises(PoolUnavailable):
            await pool.scan(_mail(CANARY), SETTINGS)
        stats = pool.stats()
        await pool.close()
        return dict(stats.restarts), stats.start_failures

    restarts, failures = asyncio.run(main())
    assert restarts["crash"] == 1 and failures == 2


def test_stats_show_busy_and_queued_work() -> None:
    async def busy(pool: ScanPool) -> tuple[PoolStats, PoolStats]:
        slow = _mail(b"HOSTILE:slow\n")
        tasks = [asyncio.create_task(pool.scan(slow, SETTINGS)) for _ in range(2)]
        await asyncio.sleep(0.1)
        during = pool.stats()
        await asyncio.gather(*tasks)
        return during, pool.stats()

    during, after = _run(busy, workers=1)
    assert (during.alive, during.busy, during.queued) == (1, 1, 1)
    assert (after.busy, after.queued, after.tasks) == (0, 0, 2)


def test_process_exits_even_if_the_pool_is_never_closed() -> None:
    script = (
        "import asyncio\n"
        "from gateway.extract.pool import ScanPool\n"
        "from gateway.scan import ScanSettings\n"
        "async def main():\n"
        "    pool = ScanPool(workers=1)\n"
        "    await pool.start()\n"
        "    r = await pool.scan(b'Subject: x\\r\\n\\r\\nhej\\r\\n', ScanSettings())\n"
        "    print(type(r).__name__)\n"
        "if __name__ == '__main__':\n"
        "    asyncio.run(main())\n"
    )
    root = Path(__file__).resolve().parents[3]
    t = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", script], cwd=root, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "ScanResult" and time.perf_counter() - t < 30


def test_reply_frames_are_popped_only_when_complete() -> None:
    payload = [b"a" * 10, b"", b"b" * 20_000]
    wire = b"".join(struct.pack("!i", len(p)) + p for p in payload) + struct.pack("!i", -1) + struct.pack("!Q", 3) + b"xyz"
    buf, got = bytearray(), []
    for i in range(0, len(wire), 7):  # arbitrary read boundaries
        buf += wire[i : i + 7]
        got.extend(_frames(buf))
    assert got == [*payload, b"xyz"] and not buf
    with pytest.raises(ValueError):
        list(_frames(bytearray(struct.pack("!i", -5))))
