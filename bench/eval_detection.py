"""Detection quality on our own municipal-mail corpus (``bench/corpus.py``): precision/recall per category.

Usage: ``python bench/eval_detection.py [--policy DIR] [--quiet] [--markdown] [--below]``. Every message is
decided in-process exactly as ``dlp-gateway scan --json`` would (``gateway.scan.scan_message`` with the loaded
policy, sender inside the municipality, one external recipient). Prints:

* message level: expected ``reroute`` (stop-worthy) vs ``deliver``; precision, recall, F1;
* per category (personnummer, health, confidential, special_category): a message counts as predicted when a
  reported finding of that category exists; precision/recall over messages;
* every misclassified message (wrong action, or a missed/extra category) with its findings — detector,
  category, location, confidence, masked sample, evidence — and, with ``--below``, the hits under the report
  threshold (what nearly fired).

The corpus is written by the project, not by the judges: these figures are a regression aid, not a claim
about unseen mail.

Security: synthetic data only (test identity numbers); samples printed are the detectors' masked samples.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from corpus import Mail, build_corpus  # noqa: E402

from gateway.model import Action, Finding, Verdict  # noqa: E402
from gateway.policy import load_policy  # noqa: E402
from gateway.scan import scan_message  # noqa: E402

CATS = ("personnummer", "health", "confidential", "special_category")
SENDER = "handlaggare@kommun.se"
RCPT = "mottagare@extern.example"


def _fmt(f: Finding) -> str:
    ev = ",".join(f.evidence[:4])
    return f"      {f.detector:16} {f.category:16} {f.location:34} c={f.confidence:.2f} {f.sample!r} [{ev}]"


def _pr(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f1


def evaluate(corpus: list[Mail], policy_dir: str | None) -> list[tuple[Mail, Verdict]]:
    """Scan every corpus message with the policy; (mail, verdict) pairs in corpus order."""
    policy = load_policy(policy_dir)
    return [(m, scan_message(m.raw, SENDER, [RCPT], policy, internal=["kommun.se"])) for m in corpus]


def report(results: list[tuple[Mail, Verdict]], quiet: bool, below: bool, markdown: bool) -> None:
    counts: Counter[str] = Counter()
    per_cat = {c: Counter[str]() for c in CATS}
    bad: list[tuple[Mail, Verdict, str]] = []
    for mail, verdict in results:
        stop = verdict.action != Action.DELIVER
        want = mail.action == "reroute"
        counts[("tp" if stop else "fn") if want else ("fp" if stop else "tn")] += 1
        got = {str(f.category) for f in verdict.result.findings}
        problems = []
        if stop != want:
            problems.append(f"action {verdict.action} (expected {mail.action})")
        for c in CATS:
            exp, has = c in mail.categories, c in got
            per_cat[c][("tp" if has else "fn") if exp else ("fp" if has else "tn")] += 1
            if exp != has:
                problems.append(("missed " if exp else "extra ") + c)
        if problems:
            bad.append((mail, verdict, "; ".join(problems)))
    p, r, f1 = _pr(counts["tp"], counts["fp"], counts["fn"])
    n_pos = sum(1 for m, _ in results if m.action == "reroute")
    print(f"corpus: {len(results)} messages ({n_pos} stop-worthy, {len(results) - n_pos} hard negatives)")
    rows = [("message (stop vs deliver)", counts["tp"], counts["fp"], counts["fn"], p, r, f1)]
    for c in CATS:
        k = per_cat[c]
        rows.append((c, k["tp"], k["fp"], k["fn"], *_pr(k["tp"], k["fp"], k["fn"])))
    if markdown:
        print("| level | TP | FP | FN | precision | recall | F1 |\n|---|---|---|---|---|---|---|")
        for name, tp, fp, fn, pp, rr, ff in rows:
            print(f"| {name} | {tp} | {fp} | {fn} | {pp:.3f} | {rr:.3f} | {ff:.3f} |")
    else:
        print(f"{'level':28} {'TP':>4} {'FP':>4} {'FN':>4} {'prec':>6} {'recall':>6} {'F1':>6}")
        for name, tp, fp, fn, pp, rr, ff in rows:
            print(f"{name:28} {tp:4} {fp:4} {fn:4} {pp:6.3f} {rr:6.3f} {ff:6.3f}")
    if quiet:
        return
    print(f"\nmisclassified: {len(bad)}")
    for mail, verdict, why in bad:
        atts = ",".join(mail.attachments) or "-"
        print(f"  {mail.name} [{atts}] {why}")
        for f in verdict.result.findings:
            print(_fmt(f))
        for u in verdict.result.unscannable:
            print(f"      unscannable {u.location} {u.reason}")
        if below:
            for f in verdict.result.below_threshold:
                print("   (below)" + _fmt(f)[9:])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--policy", metavar="DIR")
    ap.add_argument("--quiet", action="store_true", help="only the table")
    ap.add_argument("--below", action="store_true", help="also show hits below the report threshold")
    ap.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    ap.add_argument("--only", metavar="SUBSTR", help="only messages whose name contains SUBSTR")
    ap.add_argument("--batch", choices=("1", "2", "all"), default="all",
                    help="1 = scenarios written before reading the rules, 2 = written after the first round")
    args = ap.parse_args(argv)
    corpus = build_corpus()
    if args.only:
        corpus = [m for m in corpus if args.only in m.name]
    if args.batch != "all":
        corpus = [m for m in corpus if m.scenario.startswith("b2_") == (args.batch == "2")]
    t0 = time.perf_counter()
    results = evaluate(corpus, args.policy)
    report(results, args.quiet, args.below, args.markdown)
    print(f"\nscan time {time.perf_counter() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
