"""pyproject.toml and environment.yml declare the same runtime dependencies."""

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Where a conda-forge package's name differs from its PyPI name.
PIP_TO_CONDA: dict[str, str] = {}


def _name_and_spec(requirement: str) -> tuple[str, str]:
    match = re.match(r"^\s*([A-Za-z0-9_.-]+)\s*(.*)$", requirement)
    assert match, requirement
    return match.group(1).lower().replace("_", "-"), match.group(2).replace(" ", "")


def test_conda_mirrors_pip_runtime_dependencies() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    pip_deps = dict(_name_and_spec(r) for r in pyproject["project"]["dependencies"])
    conda_lines = [
        line.strip()[2:]
        for line in (ROOT / "environment.yml").read_text().split("\ndependencies:")[1].splitlines()
        # conda packages, and PyPI-only ones in the pip section (not the project itself)
        if re.match(r"^  - [A-Za-z]|^      - [A-Za-z]", line)
    ]
    conda_deps = dict(_name_and_spec(r) for r in conda_lines)
    conda_deps.pop("python")
    conda_deps.pop("pip")
    expected = {PIP_TO_CONDA.get(name, name): spec for name, spec in pip_deps.items()}
    assert conda_deps == expected


def test_conda_python_matches_requires_python() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    env = (ROOT / "environment.yml").read_text()
    assert f"python{pyproject['project']['requires-python']}" in env
