"""Time to diagnose one error text, over the public corpus; prints medians and the ratio.

Baseline: the least any diagnosis must do, one regular-expression search for the enhanced
status code in the same text (what a lookup table keyed by code would cost). The kit's
`diagnose` reads the codes, the stage and every catalogue pattern.

Run: `.venv/bin/python benchmarks/bench_diagnosis.py [--rounds N]`.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import time
from pathlib import Path

from outlook_kit.diagnosis import catalogue, diagnose

CORPUS = Path(__file__).resolve().parents[1] / "tests" / "data" / "outlook_errors_public.jsonl"
ENHANCED = re.compile(r"(?<![\d.])([245]\.\d{1,3}\.\d{1,3})(?![\d.]\d)")


def median_per_text_ms(fn: object, texts: list[str], rounds: int) -> float:
    per_text: list[float] = []
    for _ in range(rounds):
        for text in texts:
            start = time.perf_counter()
            fn(text)  # type: ignore[operator]
            per_text.append((time.perf_counter() - start) * 1000)
    return statistics.median(per_text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20, help="passes over the corpus (20)")
    args = parser.parse_args()
    texts = [json.loads(line)["text"] for line in CORPUS.open(encoding="utf-8")]
    catalogue()  # load once, as a running program would
    kit = median_per_text_ms(diagnose, texts, args.rounds)
    base = median_per_text_ms(ENHANCED.search, texts, args.rounds)
    print(f"Diagnose one text, median over {len(texts)} corpus texts x {args.rounds} rounds:")
    print(f"  kit diagnose          {kit:8.3f} ms")
    print(f"  baseline code search  {base:8.3f} ms")
    print(f"  ratio kit / baseline: {kit / base:.0f}")
    big = "x" * 1_000_000 + " 550 5.6.11 SMTPSEND.BareLinefeedsAreIllegal"
    start = time.perf_counter()
    result = diagnose(big)
    print(f"  one 1 MB text: {(time.perf_counter() - start) * 1000:.0f} ms ({result.category})")


if __name__ == "__main__":
    main()
