"""Where the bundled files live, found relative to the package (never the working directory).

In a source checkout or editable install the bundled policies are the repository's top-level ``policies/``;
in a wheel they are installed as ``gateway/_policies`` (see ``setup.py``-free packaging in pyproject).

Security: paths are computed, never taken from mail content.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def bundled_policy_dir() -> Path:
    """The shipped ``policies/`` directory."""
    for candidate in (_PACKAGE / "_policies", _PACKAGE.parent / "policies"):
        if (candidate / "default.yaml").is_file():
            return candidate
    raise FileNotFoundError("bundled policies/ not found next to the gateway package")
