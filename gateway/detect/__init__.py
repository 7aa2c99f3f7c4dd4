"""Detection: registry of detectors; importing this package imports every detector module.

Discovery is explicit: every module of this package not in ``_SUPPORT`` is imported once, and each registers
itself with ``@detector``. A new detector is one file here, its tests, and (for a lexicon) its data file.
"""

from __future__ import annotations

import importlib
import pkgutil

from gateway.detect.base import DetectContext, Detector, Text, detector, registered

_SUPPORT = frozenset({"base", "normalize", "context", "lexicon", "person"})


def _import_all() -> None:
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name not in _SUPPORT and not info.name.startswith("_"):
            importlib.import_module(f"{__name__}.{info.name}")


_import_all()

__all__ = ["DetectContext", "Detector", "Text", "detector", "registered"]
