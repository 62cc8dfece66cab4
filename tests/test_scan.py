"""`outlook-kit scan` finds a secret saved in a notebook, in each form it is saved in, and
says where without saying what; the repository's own notebooks are clean."""

import base64
import json
from pathlib import Path

import pytest

from outlook_kit.cli import main
from outlook_kit.scan import scan

CANARY = "qwertyuiopasdfgh"  # an App Password's shape
USER = "canary@outlook.com"
NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJjYW5hcnkifQ.c2lnbmF0dXJlLW9mLXRoZS10b2tlbg"


def notebook(cells: list[dict[str, object]], widgets: dict[str, object] | None = None) -> str:
    metadata: dict[str, object] = {}
    if widgets is not None:
        metadata["widgets"] = {
            "application/vnd.jupyter.widget-state+json": {
                "state": widgets, "version_major": 2, "version_minor": 0,
            }
        }  # fmt: skip
    return json.dumps({"cells": cells, "metadata": metadata, "nbformat": 4, "nbformat_minor": 5})


def code(source: str, output: str = "") -> dict[str, object]:
    outputs = [{"output_type": "stream", "name": "stdout", "text": output}] if output else []
    return {"cell_type": "code", "source": source, "outputs": outputs, "metadata": {}}


@pytest.fixture
def planted(tmp_path: Path) -> Path:
    transcript = (
        "C: AUTH LOGIN\nS: 334 VXNlcm5hbWU6\n"
        f"C: {b64(USER)}\nS: 334 UGFzc3dvcmQ6\nC: {b64(CANARY)}\nS: 235 2.7.0 OK\n"
    )
    xoauth2 = b64("user=" + USER + "\x01auth=Bearer " + JWT + "\x01\x01")
    cells = [
        code("send()", f"C: AUTH PLAIN {b64(chr(0) + USER + chr(0) + CANARY)}\n"),
        code("oauth()", f"AUTH XOAUTH2 {xoauth2}"),
        code("show(transcript)", transcript),
        code(f"token = '{JWT}'"),
        code("print('nothing secret here')", "250 2.0.0 OK\n"),
    ]
    widgets = {
        "m1": {"model_name": "PasswordModel", "state": {"value": CANARY}},
        "m2": {"model_name": "TextModel", "state": {"value": USER}},
        "m3": {"model_name": "PasswordModel", "state": {"value": ""}},
    }
    path = tmp_path / "leaky.ipynb"
    path.write_text(notebook(cells, widgets))
    return path


def test_every_saved_form_of_the_secret_is_found_by_place(planted: Path) -> None:
    found = {(f.where, f.kind.split(" (")[0]) for f in scan([planted])}
    assert found == {
        ("widget state, model m1", "a Password widget's value"),
        ("cell 1 output", "an AUTH PLAIN blob"),
        ("cell 2 output", "an AUTH XOAUTH2 blob"),
        ("cell 3 output", "an AUTH LOGIN exchange with its base64 answers"),
        ("cell 4 source", "an OAuth2 access token"),
    }


def test_the_command_exits_1_and_never_prints_the_secret(
    planted: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["scan", str(planted.parent)]) == 1
    out = capsys.readouterr().out
    assert "leaky.ipynb: widget state, model m1: a Password widget's value" in out
    for form in (CANARY, b64(CANARY), b64(chr(0) + USER + chr(0) + CANARY), JWT):
        assert form not in out


def test_a_clean_notebook_and_the_repositorys_notebooks_pass(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    clean = tmp_path / "clean.ipynb"
    clean.write_text(notebook([code("probe()", "235 2.7.0 Authentication successful\n")], {}))
    assert main(["scan", str(clean), str(NOTEBOOKS)]) == 0
    assert "no saved secrets in 6 notebook(s)" in capsys.readouterr().out


def test_a_missing_path_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scan", "no/such/notebook.ipynb"]) == 2
    assert "no such file or folder" in capsys.readouterr().err
