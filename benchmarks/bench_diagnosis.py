"""The diagnosis, measured: how often it is right, how fast it is, and its cold start.

Accuracy on the two parts of the corpus of real error strings (tests/data/corpus/): the
part the catalogue was built from, and the held-out part, split once by source thread and
never looked at while writing patterns. Top-1 counts the top answer when it is the labelled
cause; top-3 counts the labelled cause among the top answer and the first two alternatives.
A row labelled `unknown` is a thread that never found its cause: there the answer counts as
right when it is one of the causes the text leaves open (its `alt_categories`). The "or
runner-up" figures accept the label's listed runner-ups on every row. By kind (a reply, a
bounce, a client's words, another language, a user's own words), top-1 and top-3 per part.

Speed, in the same run: the median time to diagnose one text of the corpus, against the
least any diagnosis must do (one regular-expression search for the enhanced status code:
what a lookup table keyed by code would cost); and `outlook-kit diagnose TEXT` as a whole
process, against `python -c 'import smtplib'` (a Python start with a mail library), in
turns, medians of N runs.

Run: `.venv/bin/python benchmarks/bench_diagnosis.py [--rounds N] [--starts N]`.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from outlook_kit.diagnosis import catalogue, diagnose

CORPUS = Path(__file__).resolve().parents[1] / "tests" / "data" / "corpus"
ENHANCED = re.compile(r"(?<![\d.])([245]\.\d{1,3}\.\d{1,3})(?![\d.]\d)")


def load(part: str) -> list[dict[str, Any]]:
    with (CORPUS / f"{part}.jsonl").open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines]


def accuracy(rows: list[dict[str, Any]]) -> dict[str, float]:
    """Top-1 and top-3, strict (the label) and lenient (the label or its runner-up)."""
    top1 = top3 = top1_alt = top3_alt = 0
    for row in rows:
        result = diagnose(row["text"])
        answers = [str(result.category)] + [str(a.category) for a in result.alternatives]
        accepted = {row["category"], *row.get("alt_categories", [])}
        right = {row["category"]}
        if row["category"] == "unknown" and row.get("alt_categories"):
            right = set(row["alt_categories"])  # no cause found: one the text leaves open
        top1 += answers[0] in right
        top3 += bool(right & set(answers[:3]))
        top1_alt += answers[0] in accepted
        top3_alt += bool(accepted & set(answers[:3]))
    n = len(rows)
    return {
        "n": n,
        "top1": top1 / n,
        "top3": top3 / n,
        "top1_or_runner_up": top1_alt / n,
        "top3_or_runner_up": top3_alt / n,
    }


def median_per_text_ms(fn: Callable[[str], object], texts: list[str], rounds: int) -> float:
    per_text: list[float] = []
    for _ in range(rounds):
        for text in texts:
            start = time.perf_counter()
            fn(text)
            per_text.append((time.perf_counter() - start) * 1000)
    return statistics.median(per_text)


def cold_starts(n: int) -> tuple[float, float]:
    """Medians, in seconds, of whole processes: the kit's diagnose and a bare Python start."""
    kit_cmd = [sys.executable, "-m", "outlook_kit", "diagnose", "535 5.7.3 Authentication failed"]
    base_cmd = [sys.executable, "-c", "import smtplib"]
    kit: list[float] = []
    base: list[float] = []
    for _ in range(n):  # in turns, so that a noisy spell slows both alike
        for cmd, times in ((kit_cmd, kit), (base_cmd, base)):
            start = time.perf_counter()
            subprocess.run(cmd, check=True, capture_output=True)
            times.append(time.perf_counter() - start)
    return statistics.median(kit), statistics.median(base)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20, help="passes over the corpus (20)")
    parser.add_argument("--starts", type=int, default=15, help="whole processes of each (15)")
    args = parser.parse_args()
    catalogue()  # loaded once, as a running program would
    print("Accuracy (top-1 / top-3: the labelled cause; with runner-up: its alternative too):")
    parts = {part: load(part) for part in ("build", "heldout")}
    for part, rows in parts.items():
        a = accuracy(rows)
        print(
            f"  {part:<8} n={a['n']:<4} top-1 {a['top1']:6.1%}  top-3 {a['top3']:6.1%}   "
            f"with runner-up: top-1 {a['top1_or_runner_up']:6.1%}  "
            f"top-3 {a['top3_or_runner_up']:6.1%}"
        )
    print("By kind (top-1 / top-3):")
    for part, rows in parts.items():
        kinds: dict[str, list[dict[str, Any]]] = {}
        for row in rows:
            kinds.setdefault(row.get("kind") or "first corpus", []).append(row)
        cells = []
        for kind, some in sorted(kinds.items()):
            a = accuracy(some)
            cells.append(f"{kind} {a['top1']:.0%}/{a['top3']:.0%} (n={a['n']})")
        print(f"  {part:<8} " + ", ".join(cells))
    texts = [row["text"] for rows in parts.values() for row in rows]
    kit = median_per_text_ms(diagnose, texts, args.rounds)
    base = median_per_text_ms(ENHANCED.search, texts, args.rounds)
    print(f"Diagnose one text, median over {len(texts)} texts x {args.rounds} rounds:")
    print(f"  kit diagnose          {kit:8.3f} ms")
    print(f"  baseline code search  {base:8.3f} ms")
    print(f"  ratio kit / baseline: {kit / base:.0f}")
    big = "x" * 1_000_000 + " 550 5.6.11 SMTPSEND.BareLinefeedsAreIllegal"
    start = time.perf_counter()
    result = diagnose(big)
    print(f"  one 1 MB text: {(time.perf_counter() - start) * 1000:.0f} ms ({result.category})")
    kit_start, base_start = cold_starts(args.starts)
    print(f"Cold start, median of {args.starts} whole processes each, in turns:")
    print(f"  outlook-kit diagnose TEXT     {kit_start:6.3f} s")
    print(f"  python -c 'import smtplib'    {base_start:6.3f} s")
    print(f"  ratio: {kit_start / base_start:.1f}")


if __name__ == "__main__":
    main()
