"""The guided notebooks run top to bottom in a real kernel against the simulator, offline,
with a canary App Password typed the way a user would; what the run saved and wrote holds no
form of it. The committed notebooks are clean and follow the house skeleton.

The canary reaches the kernel only through an environment variable whose NAME the notebook's
`APP_PASSWORD_ENV` parameter holds: the notebook types the value into the Password widget and
clicks Send, so the value is in no cell source, output or saved state.
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path
from typing import Any

import pytest

from outlook_kit.notebook import inject_parameters, problems, save_clean, strip_for_commit
from outlook_kit.secret import base64_forms
from outlook_kit.simulator import default_roster

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
GUIDED = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
ALL = sorted(NOTEBOOKS.glob("**/*.ipynb"))
CANARY = "canarynbkqzxwvjh"  # 16 lowercase letters: nothing normalises or hints at it
CANARY_ENV = "OUTLOOK_KIT_TEST_APP_PASSWORD"
SKELETON = ("Overview", "Prerequisites", "Imports", "Summary", "What next")

# What each notebook is run with, and the line its extra last cell prints: the results the
# widgets recorded (Output widgets stay empty under nbclient, so the objects are read).
RUNS: dict[str, tuple[dict[str, Any], str]] = {
    "01_set_up_outlook_smtp": (
        {"APP_PASSWORD_ENV": CANARY_ENV, "LOG_PATH": "{out}/sends.jsonl"},
        "{'ok': wizard.send.last_report.ok, 'sent': wizard.send.last_report.sent, "
        "'arrived': wizard.send.last_arrived, "
        "'arrival': [wizard.send.last_arrival.found, wizard.send.last_arrival.folder], "
        "'box_empty': wizard.form.password.value == '', "
        "'stages_live': [str(s.stage) for s in wizard.send.stage_events], "
        "'states': {n: str(s) for n, s in wizard.states.items()}, "
        "'verdict': str(wizard.send.last_verdict.kind), "
        "'oauth': [oauth.last_report.ok, oauth.signed_in_as, oauth.last_report.secret_kind]}",
    ),
    "02_why_did_my_send_fail": (
        {"OUTPUT_DIR": "{out}"},
        "{'pasted': str(troubleshooter.last_diagnosis.category), "
        "'traps': {k: [str(r.diagnosis.category), r.account.expect.category] "
        "for k, r in traps.results.items()}, 'bundle': str(bundle.last_path)}",
    ),
    "03_am_i_hitting_the_daily_cap": (
        {"ACCOUNT": "news.letter@outlook.com"},
        "{'loaded': explorer.last_report.loaded, 'skipped': explorer.last_report.skipped, "
        "'draws': explorer.draws, 'cap': analysis.cap_model.new_account_cap, "
        "'redrawn_with': explorer.last_analysis.cap_model.new_account_cap, "
        "'accounts': len(analysis.accounts)}",
    ),
    "04_teaching_lab": (
        {"DRY_RUN": True},
        "{k: f.last_check.passed for k, f in lab.forms.items()}",
    ),
    # the app: the canary typed into its Password box with a typo in the address, Send
    # clicked (the box must be empty at once, the canary held), then the address fixed and
    # Send clicked again; the value comes from the environment, never a cell's source
    "app": (
        {},
        "{'tabs': len(_.tabs.children) if hasattr(_, 'tabs') else 0, "
        "'typed': (lambda a: [setattr(a.wizard.form.address, 'value', 'healthy@@outlook.com'), "
        f"setattr(a.wizard.form.password, 'value', __import__('os').environ['{CANARY_ENV}']), "
        "a.wizard.send.button.click(), a.wizard.form.password.value == '', "
        "setattr(a.wizard.form.address, 'value', 'healthy@outlook.com'), "
        "a.wizard.send.button.click(), a.wizard.send.last_report is not None][3::3])(_)}",
    ),
}


def secret_forms(secret: str, user: str) -> list[str]:
    """The secret plain, base64 alone, inside AUTH PLAIN and XOAUTH2, at every offset."""
    import base64

    raw = secret.encode()
    return sorted(
        {
            secret,
            base64.b64encode(raw).decode(),
            base64.b64encode(b"\0" + user.encode() + b"\0" + raw).decode(),
            base64.b64encode(f"user={user}\x01auth=Bearer {secret}\x01\x01".encode()).decode(),
            *base64_forms(raw),
        }
    )


def leak_needles() -> dict[str, str]:
    """Every form of the canary, and of every simulator prop a notebook signs in with."""
    needles = {form: "the canary" for form in secret_forms(CANARY, "healthy@outlook.com")}
    for account in default_roster():
        for prop in (account.password, *account.app_passwords, *account.oauth_tokens):
            for form in secret_forms(prop, account.address):
                needles.setdefault(form, f"a prop of {account.address}")
    return needles


def leaks_in(data: bytes, needles: dict[str, str]) -> list[str]:
    return [f"{what}: {form!r}" for form, what in needles.items() if form.encode() in data]


@pytest.fixture(scope="module")
def kernel_home(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A kernel spec for this Python, and the folders the kernel may write to."""
    base = tmp_path_factory.mktemp("kernel")
    spec = base / "jupyter" / "kernels" / "python3"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(
        json.dumps(
            {
                "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                "display_name": "outlook-kit test kernel",
                "language": "python",
            }
        )
    )
    folders = {name: base / name for name in ("home", "tmp", "ipython", "mpl", "runtime")}
    for folder in folders.values():
        folder.mkdir()
    env = {
        **os.environ,
        "JUPYTER_PATH": str(base / "jupyter"),
        "HOME": str(folders["home"]),
        "TMPDIR": str(folders["tmp"]),
        "IPYTHONDIR": str(folders["ipython"]),
        "MPLCONFIGDIR": str(folders["mpl"]),
        "JUPYTER_RUNTIME_DIR": str(folders["runtime"]),
        CANARY_ENV: CANARY,
    }
    return {"base": base, "env": env}


def run_notebook(path: Path, out: Path, kernel_home: dict[str, Any]) -> Any:
    """Execute the notebook with its test parameters and a check cell; save it clean."""
    parameters, check = RUNS[path.stem]
    nb = nbformat.read(path, as_version=4)
    if parameters:
        inject_parameters(
            nb,
            {k: v.format(out=out) if isinstance(v, str) else v for k, v in parameters.items()},
        )
    nb.cells.append(nbformat.v4.new_code_cell(f"import json\nprint('RESULT', json.dumps({check}))"))
    for cell in nb.cells:
        cell.setdefault("id", f"c{nb.cells.index(cell)}")
    env = kernel_home["env"]
    old = os.environ.get("JUPYTER_PATH")
    os.environ["JUPYTER_PATH"] = env["JUPYTER_PATH"]  # where the kernel spec is looked up
    try:
        client = nbclient.NotebookClient(
            nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(out)}}
        )
        client.execute(env=env, cwd=str(out))
    finally:
        if old is None:
            os.environ.pop("JUPYTER_PATH")
        else:
            os.environ["JUPYTER_PATH"] = old
    save_clean(nb, out / f"{path.stem}.executed.ipynb")
    printed = "".join(o.get("text", "") for o in nb.cells[-1].outputs if o.output_type == "stream")
    match = re.search(r"^RESULT (.*)$", printed, re.M)
    assert match, f"{path.name}: the check cell printed {printed!r}"
    return nb, json.loads(match.group(1))


@pytest.fixture(scope="module")
def executed(
    tmp_path_factory: pytest.TempPathFactory, kernel_home: dict[str, Any]
) -> dict[str, tuple[Any, dict[str, Any], Path]]:
    runs = {}
    for path in [*GUIDED, NOTEBOOKS / "app.ipynb"]:
        out = tmp_path_factory.mktemp(path.stem)
        nb, result = run_notebook(path, out, kernel_home)
        runs[path.stem] = (nb, result, out)
    return runs


# --- the committed notebooks ---------------------------------------------------------------


def test_there_are_the_four_guided_notebooks_and_the_app() -> None:
    assert [p.stem for p in GUIDED] == [
        "01_set_up_outlook_smtp",
        "02_why_did_my_send_fail",
        "03_am_i_hitting_the_daily_cap",
        "04_teaching_lab",
    ]
    assert (NOTEBOOKS / "app.ipynb").exists()


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.name)
def test_committed_notebooks_are_clean(path: Path) -> None:
    nb = json.loads(path.read_text(encoding="utf-8"))
    assert problems(nb) == []
    # and stripping changes nothing: no run metadata hides anywhere
    assert strip_for_commit(json.loads(path.read_text(encoding="utf-8"))) == nb


@pytest.mark.parametrize("path", GUIDED, ids=lambda p: p.name)
def test_guided_notebooks_follow_the_skeleton(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    assert 20 <= len(nb.cells) <= 30, f"{len(nb.cells)} cells"
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# ")
    headings = [
        line[3:].strip()
        for c in nb.cells
        if c.cell_type == "markdown"
        for line in c.source.splitlines()
        if line.startswith("## ")
    ]
    positions = [headings.index(h) for h in SKELETON]  # each is there...
    assert positions == sorted(positions)  # ...in the skeleton's order
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
    if any("TARGET" in c.source for c in nb.cells if c not in tagged):
        assert 'TARGET = "simulator"' in tagged[0].source  # offline by default
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        assert (
            nb.cells[index - 1].cell_type == "markdown"
            or index == 0
            or ("skip-execution" in cell.metadata.get("tags", []))
        ), f"cell {index} has no prose before it"
        assert not re.search(r"^\s*(def|class) ", cell.source, re.M), f"cell {index} defines"
        if "skip-execution" in cell.metadata.get("tags", []):
            assert 'TARGET == "real"' in cell.source, f"cell {index} is not guarded"
        lines = [ln for ln in cell.source.splitlines() if ln.strip() and not ln.startswith("#")]
        imports_only = all(re.match(r"\s*(from |import |[A-Za-z]+,$|\))", ln) for ln in lines)
        assert len(lines) <= 4 or imports_only or "parameters" in cell.metadata.get("tags", []), (
            f"cell {index} is long"
        )


def test_save_clean_drops_the_widget_state_where_a_password_box_keeps_its_value(
    tmp_path: Path,
) -> None:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")])
    state = {"model-1": {"model_name": "PasswordModel", "state": {"value": CANARY}}}
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": state}}
    path = save_clean(nb, tmp_path / "saved.ipynb")
    assert CANARY not in path.read_text()
    assert "widgets" in nb.metadata  # the notebook passed in is left as it was


def test_injected_parameters_follow_the_parameters_cell() -> None:
    nb = nbformat.read(GUIDED[0], as_version=4)
    inject_parameters(nb, {"APP_PASSWORD_ENV": "SOME_NAME"})
    index = next(i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", []))
    injected = nb.cells[index + 1]
    assert injected.metadata["tags"] == ["injected-parameters"]
    assert injected.source.endswith("APP_PASSWORD_ENV = 'SOME_NAME'\n")
    nbformat.validate(nb)


# --- executed ------------------------------------------------------------------------------


def test_every_notebook_runs_and_nothing_it_saved_or_wrote_holds_a_secret(
    executed: dict[str, tuple[Any, dict[str, Any], Path]], kernel_home: dict[str, Any]
) -> None:
    needles = leak_needles()
    scanned = 0
    for name, (nb, _result, out) in executed.items():
        saved = out / f"{name}.executed.ipynb"
        assert "widgets" not in json.loads(saved.read_text())["metadata"]
        errors = [
            o
            for c in nb.cells
            if c.cell_type == "code"
            for o in c.outputs
            if o.output_type == "error"
        ]
        assert not errors, f"{name}: {errors}"
    for folder in [kernel_home["base"], *(out for _nb, _r, out in executed.values())]:
        for path in folder.rglob("*"):
            if path.is_file():
                scanned += 1
                assert not leaks_in(path.read_bytes(), needles), path
    assert scanned >= len(executed) + 2  # the executed notebooks, the send log, the bundle...


def test_saved_with_widget_state_as_nbclient_keeps_it_no_notebook_holds_the_canary(
    executed: dict[str, tuple[Any, dict[str, Any], Path]], tmp_path: Path
) -> None:
    """The App Password left its widget at the click, so even the widget state nbclient
    stores (its default, as JupyterLab's "save widget state") holds no form of it, and
    `outlook-kit scan` finds nothing."""
    from outlook_kit.scan import scan

    needles = leak_needles()
    saved = []
    for name, (nb, _result, _out) in executed.items():
        path = tmp_path / f"{name}.with-state.ipynb"
        nbformat.write(nb, path)
        saved.append(path)
        assert not leaks_in(path.read_bytes(), needles), name
    state = json.loads(saved[0].read_text())["metadata"]["widgets"]  # notebook 01's
    models = state["application/vnd.jupyter.widget-state+json"]["state"].values()
    assert any(m.get("model_name") == "PasswordModel" for m in models)  # the box was saved
    assert executed["app"][1]["typed"] == [True, True]  # emptied at the typo's click; sent
    assert scan(saved) == []


def test_notebook_01_sends_with_the_typed_app_password_and_the_stages_ticked_live(
    executed: dict[str, tuple[Any, dict[str, Any], Path]],
) -> None:
    nb, result, out = executed["01_set_up_outlook_smtp"]
    assert "widgets" in nb.metadata  # nbclient kept the widget state; save_clean dropped it
    assert result["ok"] and result["sent"] and result["box_empty"]
    assert result["stages_live"][:3] == ["dns", "connect", "banner"]
    assert result["arrived"] == "yes"  # answered by the arrival check over IMAP
    assert result["arrival"] == [True, "Inbox"]
    assert set(result["states"].values()) == {"done"}
    assert result["verdict"] == "app_password_works"
    assert result["oauth"] == [True, "basic.off@outlook.com", "oauth_token"]
    log = (out / "sends.jsonl").read_text().splitlines()
    assert len(log) == 1 and json.loads(log[0])["status"] == "sent"


def test_notebook_02_diagnoses_the_paste_and_every_trap_and_saves_a_bundle(
    executed: dict[str, tuple[Any, dict[str, Any], Path]],
) -> None:
    _nb, result, _out = executed["02_why_did_my_send_fail"]
    assert result["pasted"] == "basic_auth_disabled"
    assert {k: v[0] for k, v in result["traps"].items()} == {
        k: v[1] for k, v in result["traps"].items()
    }
    assert len(result["traps"]) == len(default_roster())
    assert Path(result["bundle"]).read_text().startswith("# outlook-kit support bundle")


def test_notebook_03_loads_the_sample_draws_and_redraws_with_a_new_cap(
    executed: dict[str, tuple[Any, dict[str, Any], Path]],
) -> None:
    nb, result, _out = executed["03_am_i_hitting_the_daily_cap"]
    assert result["loaded"] > 1000 and result["skipped"] == 0 and result["accounts"] == 5
    assert result["cap"] == 300 and result["redrawn_with"] == 250
    assert result["draws"] >= 2
    images = [
        o
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.outputs
        if "image/png" in o.get("data", {})
    ]
    assert len(images) == 3  # the three charts the cells draw


def test_notebook_04_dry_run_finds_every_exercise_broken(
    executed: dict[str, tuple[Any, dict[str, Any], Path]],
) -> None:
    _nb, result, _out = executed["04_teaching_lab"]
    assert result and not any(result.values())


def test_the_app_notebook_builds_the_three_tabs(
    executed: dict[str, tuple[Any, dict[str, Any], Path]],
) -> None:
    assert executed["app"][1]["tabs"] == 3
