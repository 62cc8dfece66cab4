"""`outlook-kit diagnose` and `outlook-kit probe` start without pandas or DuckDB (the log
analysis's imports, about 0.3 s of every start), while the package's public names stay
where they are."""

import json
import os
import subprocess
import sys

import pytest

SCRIPT = """
import json, sys
from outlook_kit.cli import main
try:
    status = main(sys.argv[1:])
except SystemExit as exc:
    status = exc.code
heavy = sorted(m for m in ("pandas", "duckdb", "numpy", "matplotlib") if m in sys.modules)
print(json.dumps({"status": status, "heavy": heavy}))
"""


def run(*args: str) -> dict[str, object]:
    env = {**os.environ, "OUTLOOK_KIT_PASSWORD": "abcdabcdabcdabcd"}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, *args], capture_output=True, text=True, env=env, timeout=60
    )
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


@pytest.mark.parametrize(
    "args",
    [
        ("diagnose", "535 5.7.3 Authentication unsuccessful"),
        ("probe", "--user", "you@outlook.com", "--host", "127.0.0.1", "--port", "1"),
    ],
    ids=["diagnose", "probe"],
)
def test_the_everyday_commands_do_not_load_the_analysis(args: tuple[str, ...]) -> None:
    result = run(*args)
    assert result["heavy"] == []
    assert result["status"] != 2  # ran (a diagnosis; a probe refused at connect), no usage error


def test_the_public_names_are_still_there() -> None:
    import outlook_kit
    import outlook_kit.sendlog.record  # imports the module outlook_kit.probe

    assert callable(outlook_kit.analyze) and callable(outlook_kit.load_send_log)
    # the function, not the module of the same name that some import loaded first
    assert callable(outlook_kit.diagnose) and callable(outlook_kit.probe)
    from outlook_kit import probe

    assert callable(probe)
