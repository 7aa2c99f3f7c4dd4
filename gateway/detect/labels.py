"""Sensitivity labels: Microsoft Purview/MIP ``msip_labels``, ``Sensitivity:``, Office label metadata (§6.6).

Input contract (what the MIME parser and the Office extractors emit; this detector reads nothing else):

* header chunks, origin ``"header"``, the unfolded raw value at location ``header[<lower-case name>]``:
  ``header[msip_labels]`` — ``MSIP_Label_<GUID>_Enabled=true; MSIP_Label_<GUID>_SiteId=<GUID>;
  MSIP_Label_<GUID>_Name=Konfidentiell; MSIP_Label_<GUID>_ContentBits=8; ...`` (separators ``;`` or
  newlines, spaces around them ignored); ``header[sensitivity]`` — ``Personal`` | ``Private`` |
  ``Company-Confidential``; and every header named in ``labels.yaml`` ``headers``
  (``header[x-titus-metadata-40]``).
* metadata chunks, origin ``"metadata"``: ``docProps/custom.xml`` (and ODF ``meta.xml`` user-defined
  properties) as one ``name=value`` line per property — ``MSIP_Label_<GUID>_Name=Konfidentiell``,
  ``MSIP_Label_<GUID>_Enabled=true``, ``MSIP_Label_<GUID>_ContentBits=8``,
  ``MSIP_Label_<GUID>_SiteId=<GUID>``;
  ``docMetadata/LabelInfo.xml`` as one line per (not removed) label —
  ``label id=<GUID> enabled=true siteId=<GUID> method=Privileged contentBits=8`` (GUIDs without braces;
  ``enabled`` ``true``/``false``; LabelInfo carries no name).

A label is keyed on GUID + SiteId and mapped by ``policies/labels.yaml`` (names are renamed by tenants, GUIDs
are not); an unmapped label is a finding when its name looks sensitive or ContentBits has the encryption bit
(0x8), not when it is Public/Offentlig/General/Intern; anything else is reported below the threshold so
``explain`` shows its GUID for mapping. ``Hit.sample`` is ``label:<Name>`` or ``label:<GUID8>…``.

Security: header values and document properties are hostile text: only the label name (cut at 40
characters, control characters dropped) and GUID prefix are shown; operator regexes run under ``regex`` with
a timeout over the raw and (when base64, at most 64 KiB) decoded value, and a timeout counts as a match
(fail closed). The YAML is operator configuration, loaded with ``yaml.safe_load`` and validated.
"""

from __future__ import annotations

import base64
import binascii
import functools
import logging
import re
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import regex
import yaml

from gateway.detect.base import DetectContext, Text, detector
from gateway.model import Category, Hit

log = logging.getLogger(__name__)

_MSIP = re.compile(
    r"msip_label_([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})_([a-z]+)"
    r"[ \t]*=[ \t]*([^;\r\n]*)",
    re.IGNORECASE,
)
_LABELINFO = re.compile(r"^[ \t]*label[ \t]+(.+)$", re.IGNORECASE | re.MULTILINE)
_PAIR = re.compile(r"([A-Za-z]+)=(\S*)")
_GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_UNSAFE = re.compile(r"[\x00-\x1f\x7f<>\"\\]")
REGEX_TIMEOUT = 0.05
MAX_DECODE = 65536
_BASE64 = re.compile(r"[A-Za-z0-9+/]+=*")


@dataclass(frozen=True, slots=True)
class LabelRule:
    """One mapped label (GUID, optionally tenant)."""

    guid: str
    site_id: str | None
    name: str
    finding: bool
    confidence: float
    category: Category


@dataclass(frozen=True, slots=True)
class HeaderRule:
    """An operator-defined classification header and the regex that makes its value a finding."""

    header: str
    name: str
    pattern: Any  # regex.Pattern[str]
    confidence: float


@dataclass(frozen=True, slots=True)
class LabelConfig:
    """Validated contents of a ``labels.yaml``."""

    labels: Mapping[tuple[str, str | None], LabelRule]
    sensitive: re.Pattern[str]
    public: re.Pattern[str]
    encrypted_bit: int
    confidence: float
    unknown_confidence: float
    sensitivity: Mapping[str, float]
    headers: tuple[HeaderRule, ...]


def bundled_labels_file() -> Path:
    """The shipped ``policies/labels.yaml``."""
    try:
        from gateway.paths import bundled_policy_dir

        return bundled_policy_dir() / "labels.yaml"
    except (ImportError, FileNotFoundError):  # pragma: no cover - only in odd installs
        return Path(__file__).resolve().parent.parent.parent / "policies" / "labels.yaml"


def _score(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0.0 <= float(value) <= 1.0:
        raise ValueError(f"{where}: confidence must be a number in [0, 1]")
    return float(value)


def _label_rule(item: Any, i: int) -> LabelRule:
    if not isinstance(item, dict):
        raise ValueError(f"labels[{i}]: expected a mapping")
    guid = str(item.get("id", "")).strip().strip("{}").lower()
    site = item.get("site_id")
    site_id = str(site).strip().strip("{}").lower() if site else None
    if not _GUID.match(guid) or (site_id is not None and not _GUID.match(site_id)):
        raise ValueError(f"labels[{i}]: id and site_id must be GUIDs")
    category = Category(str(item.get("category", "confidential")))
    return LabelRule(
        guid,
        site_id,
        str(item.get("name", guid[:8])),
        bool(item.get("finding", True)),
        _score(item.get("confidence", 0.9), f"labels[{i}]"),
        category,
    )


def _header_rule(item: Any, i: int) -> HeaderRule:
    if not isinstance(item, dict) or not item.get("header") or not item.get("pattern"):
        raise ValueError(f"headers[{i}]: needs header and pattern")
    try:
        pattern = regex.compile(str(item["pattern"]))
    except regex.error as exc:
        raise ValueError(f"headers[{i}]: pattern does not compile: {exc}") from None
    header = str(item["header"]).strip().lower()
    return HeaderRule(
        header, str(item.get("name", header)), pattern, _score(item.get("confidence", 0.9), f"headers[{i}]")
    )


def parse_config(data: Mapping[str, Any], base: LabelConfig | None = None) -> LabelConfig:
    """Validate a ``labels.yaml`` mapping; keys it leaves out come from ``base``. Raises ``ValueError``."""
    if not isinstance(data, Mapping):
        raise ValueError("labels.yaml: expected a mapping")
    unknown = set(data) - {"version", "labels", "default", "sensitivity", "headers"}
    if unknown:
        raise ValueError(f"labels.yaml: unknown keys {sorted(unknown)}")
    labels = (
        base.labels
        if base and "labels" not in data
        else {(r.guid, r.site_id): r for r in (_label_rule(x, i) for i, x in enumerate(data.get("labels") or []))}
    )
    headers = (
        base.headers
        if base and "headers" not in data
        else tuple(_header_rule(x, i) for i, x in enumerate(data.get("headers") or []))
    )
    if base and "sensitivity" not in data:
        sensitivity: Mapping[str, float] = base.sensitivity
    else:
        sensitivity = {
            str(k).lower(): _score(v, f"sensitivity.{k}") for k, v in (data.get("sensitivity") or {}).items()
        }
    default = data.get("default")
    if base and default is None:
        return LabelConfig(
            labels,
            base.sensitive,
            base.public,
            base.encrypted_bit,
            base.confidence,
            base.unknown_confidence,
            sensitivity,
            headers,
        )
    default = default or {}
    try:
        sensitive = re.compile(
            str(default.get("sensitive_names", r"konfidentiell|sekretess|confidential|secret")), re.IGNORECASE
        )
        public = re.compile(
            str(default.get("public_names", r"^\s*(?:public|offentlig|general|intern)\s*$")), re.IGNORECASE
        )
    except re.error as exc:
        raise ValueError(f"default: name pattern does not compile: {exc}") from None
    return LabelConfig(
        labels,
        sensitive,
        public,
        int(default.get("encrypted_bit", 8)),
        _score(default.get("confidence", 0.9), "default"),
        _score(default.get("unknown_confidence", 0.4), "default.unknown"),
        sensitivity,
        headers,
    )


def load_config(path: Path, base: LabelConfig | None = None) -> LabelConfig:
    """Read and validate one ``labels.yaml``."""
    with path.open(encoding="utf-8") as fh:
        return parse_config(yaml.safe_load(fh) or {}, base)


_CACHE: dict[tuple[str, float], LabelConfig] = {}
_RECHECK_SECONDS = 2.0  # how stale a file's mtime may be: a stat per chunk cost more than the detector
_STAT: dict[str, tuple[float, float]] = {}  # path -> (checked at, mtime)


def config_for(settings: Mapping[str, Any]) -> LabelConfig:
    """The bundled mapping overlaid with the policy's operator file (``file:``); cached by path and mtime."""
    bundled = _cached(_bundled_file(), None)
    extra = settings.get("file")
    return _cached(Path(str(extra)), bundled) if extra else bundled


@functools.lru_cache(maxsize=1)
def _bundled_file() -> Path:
    return bundled_labels_file()


def _mtime(path: Path) -> float:
    now = time.monotonic()
    seen = _STAT.get(str(path))
    if seen is not None and now - seen[0] < _RECHECK_SECONDS:
        return seen[1]
    try:
        mtime = path.stat().st_mtime
    except OSError:
        mtime = -1.0
    _STAT[str(path)] = (now, mtime)
    return mtime


def _cached(path: Path, base: LabelConfig | None) -> LabelConfig:
    key = (str(path), _mtime(path))
    if key not in _CACHE:
        try:
            _CACHE[key] = load_config(path, base)
        except (OSError, ValueError, yaml.YAMLError) as exc:
            log.warning("labels: %s unusable (%s); using the built-in defaults", path, type(exc).__name__)
            _CACHE[key] = base or parse_config({"sensitivity": {"company-confidential": 0.85}})
    return _CACHE[key]


def configured_headers(settings: Mapping[str, Any] | None = None) -> frozenset[str]:
    """Lower-case names of the headers this detector reads (for the MIME parser's list of scanned headers)."""
    cfg = config_for(settings or {})
    return frozenset({"msip_labels", "sensitivity"} | {h.header for h in cfg.headers})


@detector
class Labels:
    """Findings from sensitivity labels in headers and document metadata."""

    id = "labels"
    category = Category.CONFIDENTIAL
    order = 50

    def detect(self, text: Text, ctx: DetectContext) -> Iterable[Hit]:
        """Yield one hit per applied label; other chunks cost one comparison."""
        if text.origin not in ("header", "metadata"):
            return []
        cfg = config_for(ctx.settings.get(self.id, {}))
        where = text.location.path[-1].lower() if text.location.path else ""
        hits: list[Hit | None] = []
        if where == "header[sensitivity]":
            hits.extend(_sensitivity(text, cfg))
        for rule in cfg.headers:
            if where == f"header[{rule.header}]":
                hits.extend(_header(text, rule))
        if "msip_label_" in text.lower or (text.origin == "metadata" and "label id=" in text.lower):
            hits.extend(_label_hit(cfg, fields, (0, len(text.text))) for fields in _labels(text.text))
        return [h for h in hits if h is not None]


def _labels(value: str) -> Iterator[dict[str, str]]:
    """One field dict per enabled label, from msip/custom-property text and LabelInfo lines."""
    found: dict[str, dict[str, str]] = {}
    for m in _MSIP.finditer(value):
        found.setdefault(m.group(1).lower(), {"id": m.group(1).lower()})[m.group(2).lower()] = m.group(3).strip()
    for m in _LABELINFO.finditer(value):
        pairs = {k.lower(): v for k, v in _PAIR.findall(m.group(1))}
        guid = pairs.get("id", "").strip("{}").lower()
        if _GUID.match(guid):
            found.setdefault(guid, {"id": guid}).update({k: v for k, v in pairs.items() if k != "id"})
    for fields in found.values():
        if fields.get("enabled", "true").lower() not in ("false", "0") and fields.get("removed", "").lower() not in (
            "true",
            "1",
        ):
            yield fields


def _content_bits(raw: str) -> int:
    try:
        return int(raw.strip(), 0) if raw.strip() else 0
    except ValueError:
        return 0


def _label_hit(cfg: LabelConfig, fields: dict[str, str], span: tuple[int, int]) -> Hit | None:
    guid = fields["id"]
    site = fields.get("siteid", "").strip("{}").lower() or None
    name = _safe(fields.get("name", ""))
    rule = cfg.labels.get((guid, site)) or cfg.labels.get((guid, None))
    evidence = [f"label:{guid[:8]}"]
    if fields.get("method", "").lower() == "privileged":
        evidence.append("label:privileged")
    if rule is not None:
        if not rule.finding:
            return None
        return Hit(
            "labels",
            rule.category,
            span,
            rule.confidence,
            kind="label",
            sample=f"label:{_safe(rule.name)}",
            evidence=(*evidence, "label:mapped"),
        )
    sample = f"label:{name}" if name else f"label:{guid[:8]}…"

    def hit(confidence: float, why: str) -> Hit:
        return Hit("labels", Category.CONFIDENTIAL, span, confidence, kind="label", sample=sample,
                   evidence=(*evidence, why))

    if _content_bits(fields.get("contentbits", "")) & cfg.encrypted_bit:
        return hit(cfg.confidence, "label:encrypted")
    if name and cfg.sensitive.search(name):
        return hit(cfg.confidence, "label:name")
    if name and cfg.public.search(name):
        return None
    return hit(cfg.unknown_confidence, "label:unmapped")


def _sensitivity(text: Text, cfg: LabelConfig) -> Iterator[Hit]:
    value = text.lower.strip().strip(";").strip()
    score = cfg.sensitivity.get(value)
    if score is not None:
        yield Hit(
            "labels",
            Category.CONFIDENTIAL,
            (0, len(text.text)),
            score,
            kind="sensitivity",
            sample=f"sensitivity:{_safe(value)}",
            evidence=("header:sensitivity",),
        )


def _header(text: Text, rule: HeaderRule) -> Iterator[Hit]:
    evidence: tuple[str, ...] = (f"header:{rule.header}",)
    try:
        matched = any(rule.pattern.search(v, timeout=REGEX_TIMEOUT) is not None for v in _header_values(text.text))
    except TimeoutError:
        matched, evidence = True, (*evidence, "regex:timeout")
    if matched:
        yield Hit(
            "labels",
            Category.CONFIDENTIAL,
            (0, len(text.text)),
            rule.confidence,
            kind="header",
            sample=f"header:{_safe(rule.name)}",
            evidence=evidence,
        )


def _header_values(value: str) -> list[str]:
    """The raw value and, when it is base64 (Titus writes base64 JSON), the decoded text."""
    compact = "".join(value.split())
    if 8 <= len(compact) <= MAX_DECODE and _BASE64.fullmatch(compact):
        try:
            return [value, base64.b64decode(compact + "=" * (-len(compact) % 4)).decode("utf-8", "replace")]
        except (binascii.Error, ValueError):
            pass
    return [value]


def _safe(name: str) -> str:
    """A label name fit to show: no control or markup characters, at most 40 characters."""
    return _UNSAFE.sub("", name.replace("\\", "/")).strip()[:40]  # sub-labels: "Konfidentiell\\HR"
