"""What a scan depends on besides the bytes: limits, report threshold, per-detector settings.

Kept apart from ``gateway.scan`` so that the policy (which produces these settings) and the pipeline (which
consumes them) both depend on this small module, not on each other.

Security: plain data; picklable, it crosses into the scan workers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from gateway.detect.base import Detector
from gateway.extract.base import Limits


@dataclass(frozen=True, slots=True)
class ScanSettings:
    """Everything a scan depends on besides the bytes; picklable for the worker pool."""

    limits: Limits = field(default_factory=Limits)
    report_threshold: float = 0.7
    detectors: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # per-detector policy settings

    def enabled(self, det: Detector) -> bool:
        """A detector runs unless the policy says ``enabled: false``."""
        return bool(self.detectors.get(det.id, {}).get("enabled", True))
