"""Split gathered error strings once, by source thread, into the build and held-out parts.

    python tests/data/corpus/split.py GATHERED.jsonl [...]

Each row's part follows from its source alone (a hash of the thread or page it came from),
so every string of one thread lands in the same part and the split never depends on what
the strings say. Rows from a source already in the build part stay there. The catalogue's
patterns are written from `build.jsonl` only; `heldout.jsonl` is only measured on
(`benchmarks/bench_diagnosis.py`). Rows whose text is already in either part are dropped.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

HERE = Path(__file__).parent
KEYS = ("text", "stage", "category", "alt_categories", "source", "note", "kind", "lang")


def source_key(source: str) -> str:
    return source.strip().lower().split("#L")[0].rstrip("/")


def part_of(source: str) -> str:
    """About one source in three is held out."""
    digest = hashlib.sha256(source_key(source).encode("utf-8")).digest()
    return "heldout" if digest[0] % 3 == 0 else "build"


def text_key(text: str) -> str:
    return " ".join(text.lower().split())


def main(paths: list[str]) -> None:
    parts = {name: HERE / f"{name}.jsonl" for name in ("build", "heldout")}
    rows = {
        name: [json.loads(line) for line in path.read_text("utf-8").splitlines()]
        if path.exists()
        else []
        for name, path in parts.items()
    }
    seen = {text_key(r["text"]) for part in rows.values() for r in part}
    build_sources = {source_key(r["source"]) for r in rows["build"]}
    added = {"build": 0, "heldout": 0}
    lines = [line for path in paths for line in Path(path).read_text("utf-8").splitlines()]
    for row in map(json.loads, lines):
        key = text_key(row["text"])
        if not key or key in seen:
            continue
        seen.add(key)
        part = "build" if source_key(row["source"]) in build_sources else part_of(row["source"])
        rows[part].append({k: row.get(k) for k in KEYS})
        added[part] += 1
    for name, path in parts.items():
        with path.open("w", encoding="utf-8") as out:
            for row in rows[name]:
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"added: build {added['build']}, held out {added['heldout']}")


if __name__ == "__main__":
    main(sys.argv[1:])
