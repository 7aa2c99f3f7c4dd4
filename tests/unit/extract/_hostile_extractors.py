"""Test-only hostile extractors for test_pool.py, loaded into scan workers with ``ScanPool(preload=[path])``.

Never imported by the gateway itself (the leading underscore keeps pytest from collecting it). In a worker it:
- wraps ``gateway.extract.walk.sniff`` so that part bytes starting with ``HOSTILE:<mode>`` are sniffed as
  ``hostile_<mode>`` (everything else goes to the real sniffer);
- registers one extractor per mode: ``canary`` yields its bytes as text; ``core`` and ``aslimit`` report the
  worker's limits as text lengths; ``slow`` takes 0.3 s; ``hang`` sleeps forever (a C call that ignores the
  Budget); ``stall`` writes half a reply frame to the parent, then hangs; ``abort``, ``segv`` and ``exit``
  kill the process; ``hog`` allocates 2 GiB; ``systemexit`` raises an exception that escapes ``scan_bytes``;
- registers the detector ``_test_canary`` that reports every ``CANARY-TOKEN`` (category ``confidential``),
  so findings exist without depending on the real detectors.

Security: test-only; crashes on purpose.
"""

from __future__ import annotations

import ctypes
import gc
import os
import resource
import time
from collections.abc import Iterable, Iterator
from multiprocessing.connection import Connection

from gateway.detect import DetectContext, Text, detector
from gateway.extract import walk
from gateway.extract.base import Budget, Item, extractor
from gateway.model import Category, Hit, Part, TextChunk

PREFIX = b"HOSTILE:"
_real_sniff = walk.sniff


def _sniff(data: bytes, declared_type: str, filename: str | None) -> str:
    if data.startswith(PREFIX):
        return "hostile_" + data[len(PREFIX):].split(b"\n", 1)[0].decode("ascii", "replace")
    return _real_sniff(data, declared_type, filename)


walk.sniff = _sniff


@extractor("hostile_canary")
def canary(part: Part, budget: Budget) -> Iterator[Item]:
    yield TextChunk(part.location, "attachment", part.data.decode("ascii", "replace"))


@extractor("hostile_core")
def core(part: Part, budget: Budget) -> Iterator[Item]:
    """Report the core-file soft limit as a text length (``PartInfo.chars`` = 1 + limit)."""
    yield TextChunk(part.location, "attachment", "x" * (1 + resource.getrlimit(resource.RLIMIT_CORE)[0]))


@extractor("hostile_aslimit")
def aslimit(part: Part, budget: Budget) -> Iterator[Item]:
    """Report the address-space soft limit in MiB as a text length."""
    yield TextChunk(part.location, "attachment", "x" * (resource.getrlimit(resource.RLIMIT_AS)[0] >> 20))


@extractor("hostile_slow")
def slow(part: Part, budget: Budget) -> Iterator[Item]:
    time.sleep(0.3)
    yield TextChunk(part.location, "attachment", "slow but fine")


@extractor("hostile_stall")
def stall(part: Part, budget: Budget) -> Iterator[Item]:
    """Write half a reply frame to the parent, then hang: the parent must not block reading it."""
    out = next(o for o in gc.get_objects() if isinstance(o, Connection) and o.writable and not o.closed)
    os.write(out.fileno(), b"\x00\x00\x10\x00partial")
    while True:
        time.sleep(1)
    yield  # pragma: no cover


@extractor("hostile_hang")
def hang(part: Part, budget: Budget) -> Iterator[Item]:
    while True:
        time.sleep(1)
    yield  # pragma: no cover


@extractor("hostile_abort")
def abort(part: Part, budget: Budget) -> Iterator[Item]:
    os.abort()
    yield  # pragma: no cover


@extractor("hostile_segv")
def segv(part: Part, budget: Budget) -> Iterator[Item]:
    ctypes.string_at(0)
    yield  # pragma: no cover


@extractor("hostile_exit")
def exit_(part: Part, budget: Budget) -> Iterator[Item]:
    os._exit(1)
    yield  # pragma: no cover


@extractor("hostile_hog")
def hog(part: Part, budget: Budget) -> Iterator[Item]:
    block = bytearray(2 * 1024**3)  # over RLIMIT_AS: MemoryError
    yield TextChunk(part.location, "attachment", str(len(block)))


@extractor("hostile_systemexit")
def systemexit(part: Part, budget: Budget) -> Iterator[Item]:
    raise SystemExit(3)
    yield  # pragma: no cover


@detector
class Canary:
    id = "_test_canary"
    category = Category.CONFIDENTIAL
    order = 50

    def detect(self, text: Text, ctx: DetectContext) -> Iterable[Hit]:
        start = text.text.find("CANARY-TOKEN")
        while start >= 0:
            yield Hit(self.id, self.category, (start, start + 12), 0.99, sample="canary")
            start = text.text.find("CANARY-TOKEN", start + 1)
