"""The ``dlp-gateway`` command: serve | scan | explain | check-policy | quarantine (design §12).

``scan`` decides each message exactly as the running gateway would (same parser, extractors, detectors and
policy). Directories are scanned on all cores; progress goes to stderr only when it is a terminal, never into
``--json`` output. Exit 0 when every message was scanned (whatever the verdicts), 2 on usage or I/O error.

Security: output carries masked samples only; a file that cannot be read is named, its content never shown.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections.abc import AsyncGenerator, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gateway import __version__
from gateway.envelope import DEFAULT_FROM, DEFAULT_TO, build_message, domain_of
from gateway.model import Verdict

if TYPE_CHECKING:
    from gateway.policy import Policy



def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script and ``python -m gateway``."""
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors, 0 on --help
        return int(exc.code or 0)
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    handler: Any = args.handler
    return int(handler(args))


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dlp-gateway", description="Outgoing-mail data-loss-prevention gateway")
    parser.add_argument("--version", action="version", version=f"dlp-gateway {__version__}")
    sub = parser.add_subparsers(dest="command")

    serve = sub.add_parser("serve", help="run the SMTP/LMTP gateway (embedded default without --config)")
    serve.add_argument("--config", metavar="FILE")
    serve.set_defaults(handler=_serve)

    scan = sub.add_parser("scan", help="scan .eml files and print the decision per message")
    _scan_args(scan)
    scan.add_argument("--json", action="store_true", help="JSON Lines output, one object per message")
    scan.set_defaults(handler=_scan)

    explain = sub.add_parser("explain", help="explain what was found where and which rule decided")
    _scan_args(explain)
    explain.set_defaults(handler=_explain)

    check = sub.add_parser("check-policy", help="validate a policy directory")
    check.add_argument("dir", nargs="?", metavar="DIR")
    check.set_defaults(handler=_check_policy)

    quarantine = sub.add_parser("quarantine", help="list, show, release or delete quarantined messages")
    quarantine.add_argument("action", choices=["list", "show", "release", "delete"])
    quarantine.add_argument("id", nargs="?", metavar="ID")
    quarantine.add_argument("--config", metavar="FILE")
    quarantine.set_defaults(handler=_quarantine)
    return parser


def _scan_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--policy", metavar="DIR", help="policy directory (default: the bundled policies/)")
    p.add_argument("--to", metavar="ADDR", action="append", help="envelope recipient (repeatable)")
    p.add_argument("--from", dest="sender", metavar="ADDR", help="envelope sender; its domain counts as internal")
    p.add_argument("paths", nargs="+", metavar="PATH", help=".eml file, directory of .eml files, or -")


def _serve(args: argparse.Namespace) -> int:
    from gateway.server import run

    return run(args.config)


def _quarantine(args: argparse.Namespace) -> int:
    from gateway.quarantine import main as quarantine_main

    return quarantine_main(args)


def _check_policy(args: argparse.Namespace) -> int:
    from gateway.policy import PolicyError, load_policy

    try:
        policy = load_policy(args.dir)
    except PolicyError as exc:
        for line in exc.errors:
            print(line, file=sys.stderr)
        return 1
    except FileNotFoundError as exc:
        print(f"dlp-gateway: {exc}", file=sys.stderr)
        return 1
    problems = _data_file_problems(policy)
    for line in problems:
        print(line, file=sys.stderr)
    if problems:
        return 1
    print(f"ok: {len(policy.rules)} rules ({policy.source})")
    return 0


def _data_file_problems(policy: Policy) -> list[str]:
    """``file:line`` problems in the lexicons and label mapping the policy uses."""
    from pathlib import Path as _Path

    import yaml

    from gateway.detect import labels, lexicon

    settings = policy.detector_settings()
    dirs = [*settings.get("health", {}).get("lexicon_dirs", ()), *settings.get("special_category", {}).get(
        "lexicon_dirs", ())]
    problems = lexicon.validate(list(dict.fromkeys(dirs)))
    label_file = settings.get("labels", {}).get("file")
    if label_file:
        try:
            labels.load_config(_Path(str(label_file)), labels.load_config(labels.bundled_labels_file()))
        except (OSError, ValueError, yaml.YAMLError) as exc:
            problems.append(f"{label_file}:0: {exc.__class__.__name__}: {exc}")
    return problems


# --- scan -------------------------------------------------------------------------------------------


def _inputs(paths: Sequence[str]) -> Iterator[tuple[str, Path | None]]:
    """(display name, path) for every message; ``None`` path means stdin. Raises OSError for missing paths."""
    for raw in paths:
        if raw == "-":
            yield "-", None
            continue
        path = Path(raw)
        if path.is_dir():
            for found in sorted(p for p in path.rglob("*.eml") if p.is_file()):
                yield str(found), found
        elif path.is_file():
            yield raw, path
        else:
            raise OSError(f"no such file or directory: {raw}")


def _scan_all(args: argparse.Namespace) -> Iterator[tuple[str, Verdict | None]]:
    """Yield (name, verdict) in input order; ``None`` for a file that could not be read.

    Scans run in the same killable worker pool as ``serve`` (one worker per core, never more than there are
    messages), so a hostile attachment costs that attachment, not the command.
    """
    from gateway.policy import load_policy

    policy = load_policy(args.policy)  # fail fast (PolicyError) before reading anything
    items = list(_inputs(args.paths))
    yield from _drive(_pooled(args, policy, items))


def _drive(agen: AsyncGenerator[tuple[str, Verdict | None], None]) -> Iterator[tuple[str, Verdict | None]]:
    """Run an async generator to completion on a private event loop, yielding as results arrive."""
    loop = asyncio.new_event_loop()
    try:
        while True:
            try:
                yield loop.run_until_complete(agen.__anext__())
            except StopAsyncIteration:
                break
    finally:
        loop.run_until_complete(agen.aclose())
        loop.close()


async def _pooled(args: argparse.Namespace, policy: Policy, items: list[tuple[str, Path | None]]
                  ) -> AsyncGenerator[tuple[str, Verdict | None], None]:
    from gateway.extract.pool import ScanPool

    sender = args.sender or DEFAULT_FROM
    internal = [domain_of(args.sender)] if args.sender else []
    settings = policy.scan_settings()
    pool = ScanPool(workers=max(1, min(os.cpu_count() or 1, len(items))), limits=settings.limits)
    await pool.start()
    window = asyncio.Semaphore(4 * (os.cpu_count() or 1))  # bounded read-ahead: memory stays flat

    async def one(path: Path | None) -> Verdict | None:
        async with window:
            raw = _read(path)
            if raw is None:
                return None
            msg = build_message(raw, sender, args.to or [DEFAULT_TO], internal)
            return policy.evaluate(msg, await pool.scan(msg.raw, settings))

    progress = sys.stderr.isatty() and len(items) > 1
    try:
        tasks = [asyncio.ensure_future(one(path)) for _, path in items]
        for n, ((name, _), task) in enumerate(zip(items, tasks, strict=True), 1):
            yield name, await task
            _progress(progress, n, len(items))
    finally:
        await pool.close()


def _read(path: Path | None) -> bytes | None:
    try:
        return sys.stdin.buffer.read() if path is None else path.read_bytes()
    except OSError as exc:
        print(f"dlp-gateway: cannot read {path}: {exc.strerror}", file=sys.stderr)
        return None


def _progress(enabled: bool, done: int, total: int) -> None:
    if enabled:
        end = "\n" if done == total else ""
        print(f"\rscanned {done}/{total}", end=end, file=sys.stderr, flush=True)


def verdict_json(name: str, verdict: Verdict) -> dict[str, Any]:
    """The `scan --json` object of design §12 (plus `mode` and `intended_action`)."""
    res = verdict.result
    first = next((d for d in verdict.decisions if d.action == verdict.action), None)
    return {
        "file": name,
        "action": str(verdict.action),
        "rule": verdict.rule,
        "categories": [str(c) for c in res.categories],
        "findings": [f.to_json() for f in res.findings],
        "unscannable": [
            {"location": str(u.location), "reason": str(u.reason), **({"detail": u.detail} if u.detail else {})}
            for u in res.unscannable
        ],
        "scan_ms": round(res.scan_ms, 1),
        "mode": str(first.mode) if first else "enforce",
        "intended_action": str(first.intended) if first else str(verdict.action),
    }


def _scan(args: argparse.Namespace) -> int:
    from gateway.policy import PolicyError

    status = 0
    try:
        for name, verdict in _scan_all(args):
            if verdict is None:
                status = 2
                continue
            if args.json:
                print(json.dumps(verdict_json(name, verdict), ensure_ascii=False), flush=True)
            else:
                print(_summary(name, verdict), flush=True)
    except PolicyError as exc:
        print("\n".join(exc.errors), file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"dlp-gateway: {exc}", file=sys.stderr)
        return 2
    return status


def _summary(name: str, verdict: Verdict) -> str:
    res = verdict.result
    cats = ", ".join(str(c) for c in res.categories) or "nothing found"
    lines = [f"{name}: {verdict.action} (rule {verdict.rule}) - {cats}"]
    lines += [f"    {f.category}: {f.sample} x{f.count} in {f.location} ({f.confidence:.2f})" for f in res.findings]
    for u in res.unscannable:
        lines.append(f"    unscannable: {u.location} ({u.reason}{': ' + u.detail if u.detail else ''})")
    return "\n".join(lines)


def _explain(args: argparse.Namespace) -> int:
    from gateway.explain import explain

    return explain(args)
