"""``dlp-gateway explain FILE.eml``: what was found where (masked), which rule decided, and why.

Security: prints masked samples and rule names only, like every other output.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping
from pathlib import Path

from gateway.envelope import DEFAULT_FROM, DEFAULT_TO, build_message, domain_of
from gateway.model import Finding, Verdict
from gateway.policy import PolicyError, load_policy
from gateway.policy.evaluate import evaluate
from gateway.replies import DEFAULT_TEMPLATES, BlockTemplate, block_reply_for, load_templates


def explain(args: argparse.Namespace) -> int:
    """Print an account per message; exit 0, or 2 on usage/I/O errors."""
    from gateway.scan import scan_bytes

    try:
        policy = load_policy(args.policy)
    except PolicyError as exc:
        print("\n".join(exc.errors), file=sys.stderr)
        return 2
    templates = load_templates(Path(policy.source) if policy.source else None)
    status = 0
    for name in args.paths:
        try:
            raw = sys.stdin.buffer.read() if name == "-" else open(name, "rb").read()  # noqa: SIM115
        except OSError as exc:
            print(f"dlp-gateway: cannot read {name}: {exc.strerror}", file=sys.stderr)
            status = 2
            continue
        sender = args.sender or DEFAULT_FROM
        internal = [domain_of(args.sender)] if args.sender else []
        msg = build_message(raw, sender, args.to or [DEFAULT_TO], internal)
        verdict = evaluate(policy, msg, scan_bytes(msg.raw, policy.scan_settings()))
        print(render(name, verdict, templates))
    return status


def _finding(f: Finding) -> str:
    ev = ", ".join(f.evidence)
    head = f"    {f.detector:<18} {f.category:<16} {f.sample:<22} x{f.count} conf {f.confidence:.2f}"
    return f"{head} [{ev}] in {f.location}"


def render(name: str, verdict: Verdict, templates: Mapping[str, BlockTemplate] | None = None) -> str:
    """The human-readable account of one verdict."""
    res = verdict.result
    templates = templates if templates is not None else DEFAULT_TEMPLATES
    out = [f"== {name}  (incident {verdict.incident}, scan {res.scan_ms:.1f} ms)", "parts:"]
    out += [f"    {p.location or 'message'}: declared {p.declared_type}, sniffed {p.sniffed_type}, "
            f"extractor {p.extractor}, {p.chars} chars, {p.size} bytes" for p in res.parts] or ["    (body only)"]
    out.append("findings:")
    out += [_finding(f) for f in res.findings] or ["    none"]
    if res.below_threshold:
        out.append("below the report threshold (not findings):")
        out += [_finding(f) for f in res.below_threshold]
    if res.unscannable:
        out.append("unscannable:")
        out += [f"    {u.location}: {u.reason} {u.detail}".rstrip() for u in res.unscannable]
    out.append("decisions:")
    for d in verdict.decisions:
        out.append(f"    {d.recipient.domain} ({d.recipient.scope}): {d.action} by rule {d.rule} "
                   f"(mode {d.mode}, intended {d.intended})")
        if d.action == "block":
            cats = [str(c) for c in res.categories]
            reply = block_reply_for(templates, d.reply, verdict.incident, cats, d.rule)
            out += ["      reply: " + line for line in reply.render().split("\r\n")]
    return "\n".join(out)
