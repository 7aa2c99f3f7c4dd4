"""Hand-off client choice (issue #5: "aiosmtplib, or smtplib in a bounded thread pool — choose by benchmark").

    .venv/bin/python bench/handoff.py [--messages 1000] [--concurrency 20] [--rounds 3] [--sink light|aiosmtpd]

The same messages (the text mix of ``bench/throughput.py``: plain text, mean 11 KiB) are handed to one SMTP sink
``concurrency`` at a time, each hand-off a whole transaction on its own connection (connect, EHLO, MAIL, RCPT,
DATA, QUIT — what a route does per message), by:

* ``aiosmtplib``: ``gateway.deliver.smtp.SmtpRoute``, the production route (aiosmtplib on the event loop);
* ``smtplib``: stdlib ``smtplib`` in a bounded thread pool (``conc`` threads), the same transaction — what
  the route used before this benchmark (design §4.1's first measurement preferred it).

The client side runs in its own process (as the gateway does) and reports messages/s, p50/p99 per hand-off and
its CPU per message; the sink runs in this process. Rounds alternate the two clients; medians are reported.

Security: synthetic content only; everything on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import smtplib
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from smtp_harness import Sink  # noqa: E402
from throughput import LoopThread, SinkHandler, _server, make_mix  # noqa: E402

from gateway.deliver.smtp import SmtpRoute  # noqa: E402
from gateway.envelope import build_message  # noqa: E402

SENDER, RCPT = "kalle@kommun.example.se", "mottagare@example.org"


async def _with_route(port: int, raws: list[bytes], conc: int) -> list[float]:
    """The production route (``gateway.deliver.smtp.SmtpRoute``: aiosmtplib on the loop)."""
    route = SmtpRoute("next_hop", "127.0.0.1", port, tls="none", concurrency=conc, helo="bench")
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    for raw in raws:
        queue.put_nowait(raw)
    lat: list[float] = []

    async def one() -> None:
        while not queue.empty():
            raw = queue.get_nowait()
            t0 = time.perf_counter()
            replies = await route.send(build_message(raw, SENDER, [RCPT]), [RCPT], time.monotonic() + 60)
            assert all(r.code == 250 for r in replies.values()), replies
            lat.append(time.perf_counter() - t0)

    await asyncio.gather(*(one() for _ in range(conc)))
    await route.close()
    return lat


async def _with_smtplib_threads(port: int, raws: list[bytes], conc: int) -> list[float]:
    """The previous choice: stdlib smtplib, one transaction per hand-off, in a pool of ``conc`` threads."""
    pool = ThreadPoolExecutor(max_workers=conc)
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    for raw in raws:
        queue.put_nowait(raw)
    lat: list[float] = []

    def transaction(data: bytes) -> None:
        with smtplib.SMTP("127.0.0.1", port, local_hostname="bench", timeout=60) as s:
            assert s.sendmail(SENDER, [RCPT], data) == {}

    async def one() -> None:
        while not queue.empty():
            raw = queue.get_nowait()
            t0 = time.perf_counter()
            msg = build_message(raw, SENDER, [RCPT])
            await loop.run_in_executor(pool, transaction, msg.raw)
            lat.append(time.perf_counter() - t0)

    await asyncio.gather(*(one() for _ in range(conc)))
    pool.shutdown()
    return lat


def _client(kind: str, port: int, raws: list[bytes], conc: int, conn: Any) -> None:
    async def main() -> dict[str, Any]:
        fn = _with_route if kind == "aiosmtplib" else _with_smtplib_threads
        await fn(port, raws[:20], conc)  # warm up (imports, thread pool)
        cpu0, t0 = time.process_time(), time.perf_counter()
        lat = await fn(port, raws, conc)
        return {"elapsed": time.perf_counter() - t0, "cpu": time.process_time() - cpu0, "lat": lat}

    conn.send(asyncio.run(main()))


def run(kind: str, port: int, raws: list[bytes], conc: int) -> dict[str, float]:
    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=_client, args=(kind, port, raws, conc, child))
    proc.start()
    res = parent.recv()
    proc.join(60)
    lat = sorted(x * 1000 for x in res["lat"])
    row = {"rate": len(raws) / res["elapsed"], "p50": statistics.median(lat),
           "p99": lat[min(len(lat) - 1, int(len(lat) * 0.99))], "cpu": res["cpu"] / len(raws) * 1000}
    print(f"  {kind:10s} {row['rate']:7.1f} msg/s  p50 {row['p50']:6.1f} ms  p99 {row['p99']:6.1f} ms  "
          f"client CPU {row['cpu']:.2f} ms/msg", flush=True)
    return row


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--messages", type=int, default=1000)
    ap.add_argument("--concurrency", type=int, default=20)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--sink", choices=["light", "aiosmtpd"], default="light")
    args = ap.parse_args(argv)
    raws = [raw for _, raw in make_mix(args.messages, mix="text")]
    lt = LoopThread()
    if args.sink == "light":
        sink = Sink()
        port = lt.call(sink.start())
    else:
        server = lt.call(_server(SinkHandler()))
        port = server.sockets[0].getsockname()[1]
    rows: dict[str, list[dict[str, float]]] = {"smtplib": [], "aiosmtplib": []}  # threads / the route
    try:
        for rnd in range(args.rounds):
            print(f"round {rnd + 1}:", flush=True)
            for kind in rows:
                rows[kind].append(run(kind, port, raws, args.concurrency))
    finally:
        lt.close()
    print("\n| client | msg/s | p50 ms | p99 ms | client CPU ms/msg |\n|---|---|---|---|---|")
    for kind, rs in rows.items():
        med = {k: statistics.median(r[k] for r in rs) for k in ("rate", "p50", "p99", "cpu")}
        print(f"| {kind} | {med['rate']:.1f} | {med['p50']:.1f} | {med['p99']:.1f} | {med['cpu']:.2f} |")
    ratio = statistics.median(a["rate"] / b["rate"] for a, b in zip(rows["smtplib"], rows["aiosmtplib"], strict=True))
    print(f"| ratio smtplib / aiosmtplib (median of {args.rounds}) | {ratio:.2f} | | | |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
