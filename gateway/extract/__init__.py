"""Extraction: registry of per-format extractors; importing this package imports every extractor module.

Each format module registers itself with ``@extractor("type", ...)`` for the types ``gateway.mime.sniff``
returns; ``walk.py`` drives them recursively within the ``Budget``.
"""

from __future__ import annotations

import importlib
import pkgutil

from gateway.extract.base import Budget, LimitExceeded, Limits, extractor, lookup, registered_types

_SUPPORT = frozenset({"base", "walk", "pool", "xmlsafe", "util"})


def _import_all() -> None:
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name not in _SUPPORT and not info.name.startswith("_"):
            importlib.import_module(f"{__name__}.{info.name}")


_import_all()

__all__ = ["Budget", "LimitExceeded", "Limits", "extractor", "lookup", "registered_types"]
