"""Saving notebooks without secrets, and committing them clean.

Executing a notebook (nbclient, `nbconvert --execute`, papermill) stores the widget state
in the notebook's metadata by default, and with it the value of every widget, a Password
box's included. `save_clean` drops that state before writing; `strip_for_commit` also
drops outputs and execution counts, which is how the kit's notebooks are committed.

`nbformat` is imported only when a notebook is written (importing it takes a second or two).
"""

from __future__ import annotations

import copy
import importlib
import os
from pathlib import Path
from typing import Any

__all__ = [
    "drop_widget_state",
    "inject_parameters",
    "problems",
    "save_clean",
    "scrub_before_save",
    "strip_for_commit",
]

INJECTED_TAG = "injected-parameters"
PARAMETERS_TAG = "parameters"
_RUN_METADATA = ("execution", "scrolled", "collapsed", "jupyter")


def _nbformat() -> Any:
    return importlib.import_module("nbformat")


PRE_SAVE_HOOK = "outlook_kit.notebook.scrub_before_save"
"""What `make lab` passes as `--ContentsManager.pre_save_hook`."""
REMOVED = "[outlook-kit: an output that held a secret's AUTH form was not saved]\n"


def scrub_before_save(model: dict[str, Any], **_: Any) -> None:
    """JupyterLab's pre-save hook: a notebook is written without any Password widget's value
    (JupyterLab's "save widget state" would keep it) and without outputs that hold a secret's
    AUTH form (`scan`), whatever the user saves. Other files are left as they are."""
    if model.get("type") != "notebook" or not isinstance(model.get("content"), dict):
        return
    from .scan import WIDGET_STATE, output_texts, secret_kinds

    nb = model["content"]
    state = nb.get("metadata", {}).get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    for widget in state.values():
        values = widget.get("state", {})
        if widget.get("model_name") == "PasswordModel" and values.get("value"):
            values["value"] = ""
    for cell in nb.get("cells", []):
        outputs = cell.get("outputs")
        if not outputs:
            continue
        cell["outputs"] = [
            {"output_type": "stream", "name": "stderr", "text": REMOVED}
            if any(secret_kinds(text) for text in output_texts(output))
            else output
            for output in outputs
        ]


def drop_widget_state(nb: Any) -> Any:
    """The notebook without `metadata.widgets` (the saved widget state); changed in place."""
    nb.get("metadata", {}).pop("widgets", None)
    return nb


def save_clean(nb: Any, path: str | os.PathLike[str]) -> Path:
    """Write an executed notebook to `path` with no widget state in it; returns the path.

    The outputs stay (they are what the run showed); the widget state, which holds every
    widget's value, does not. The notebook passed in is not changed.
    """
    nbformat = _nbformat()
    clean = drop_widget_state(copy.deepcopy(nb))
    target = Path(path)
    nbformat.write(nbformat.from_dict(clean), str(target))
    return target


def strip_for_commit(nb: Any) -> Any:
    """The notebook as it is committed: no outputs, execution counts, widget state or run
    metadata; tags kept. Changed in place and returned."""
    drop_widget_state(nb)
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
        metadata = cell.get("metadata", {})
        for key in _RUN_METADATA:
            metadata.pop(key, None)
    return nb


def problems(nb: Any) -> list[str]:
    """What keeps a notebook from being committed clean (empty when it is clean)."""
    found = []
    if "widgets" in nb.get("metadata", {}):
        found.append("metadata.widgets (saved widget state) is present")
    for index, cell in enumerate(nb.get("cells", [])):
        if cell.get("cell_type") != "code":
            continue
        if cell.get("outputs"):
            found.append(f"cell {index} has outputs")
        if cell.get("execution_count") is not None:
            found.append(f"cell {index} has an execution count")
        if any(key in cell.get("metadata", {}) for key in ("execution",)):
            found.append(f"cell {index} has run metadata")
    return found


def inject_parameters(nb: Any, parameters: dict[str, Any]) -> Any:
    """Papermill's convention: a cell tagged `injected-parameters` right after the cell
    tagged `parameters`, overriding its defaults. Changed in place and returned.

    Values are written with `repr`: pass names of environment variables, never secrets.
    """
    nbformat = _nbformat()
    cells = nb["cells"]
    where = next(
        (i for i, c in enumerate(cells) if PARAMETERS_TAG in c.get("metadata", {}).get("tags", [])),
        None,
    )
    if where is None:
        raise ValueError("the notebook has no cell tagged 'parameters' to override")
    source = "# Parameters\n" + "".join(f"{k} = {v!r}\n" for k, v in parameters.items())
    cell = nbformat.v4.new_code_cell(source, metadata={"tags": [INJECTED_TAG]})
    cell.pop("id", None)
    if nb.get("nbformat_minor", 0) >= 5 or "id" in cells[where]:
        cell["id"] = f"injected-{where}"
    cells.insert(where + 1, cell)
    return nb
