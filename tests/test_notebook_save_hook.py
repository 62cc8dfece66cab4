"""A notebook saved through a real Jupyter server started as `make lab` starts it keeps no
Password widget's value and no output holding a secret's AUTH form."""

import base64
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from outlook_kit.notebook import PRE_SAVE_HOOK, REMOVED
from outlook_kit.scan import scan

ROOT = Path(__file__).resolve().parents[1]
CANARY = "zxcvbnmasdfghjkl"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def leaky_notebook() -> dict[str, object]:
    blob = base64.b64encode(f"\0you@outlook.com\0{CANARY}".encode()).decode()
    output = {"output_type": "stream", "name": "stdout", "text": f"C: AUTH PLAIN {blob}\n"}
    kept = {"output_type": "stream", "name": "stdout", "text": "250 2.0.0 OK\n"}
    state = {
        "p1": {"model_name": "PasswordModel", "model_module": "@jupyter-widgets/controls",
               "model_module_version": "2.0.0", "state": {"value": CANARY}},
    }  # fmt: skip
    return {
        "cells": [
            {"cell_type": "code", "source": "send()", "metadata": {}, "execution_count": 1,
             "outputs": [output, kept]},
        ],
        "metadata": {"widgets": {"application/vnd.jupyter.widget-state+json": {
            "state": state, "version_major": 2, "version_minor": 0}}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }  # fmt: skip


def test_make_lab_installs_the_hook() -> None:
    assert f"--ContentsManager.pre_save_hook={PRE_SAVE_HOOK}" in (ROOT / "Makefile").read_text()


def test_a_notebook_saved_through_jupyter_holds_no_secret(tmp_path: Path) -> None:
    port, token = free_port(), "test-token-for-loopback"
    server = subprocess.Popen(
        [
            sys.executable, "-m", "jupyter_server", "--no-browser", "--ip=127.0.0.1",
            f"--port={port}", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={tmp_path}",
            f"--ContentsManager.pre_save_hook={PRE_SAVE_HOOK}",
            *(["--allow-root"] if os.geteuid() == 0 else []),
        ],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}/api/contents/saved.ipynb"
    headers = {"Authorization": f"token {token}"}
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                requests.get(f"http://127.0.0.1:{port}/api", headers=headers, timeout=2)
                break
            except requests.ConnectionError:
                if time.monotonic() > deadline:
                    pytest.fail("the Jupyter server did not start")
                time.sleep(0.2)
        body = {"type": "notebook", "format": "json", "content": leaky_notebook()}
        reply = requests.put(url, json=body, headers=headers, timeout=30)
        assert reply.status_code in (200, 201), reply.text
    finally:
        server.terminate()
        server.wait(timeout=30)
    saved = tmp_path / "saved.ipynb"
    text = saved.read_text()
    assert CANARY not in text and "AUTH PLAIN" not in text
    outputs = json.loads(text)["cells"][0]["outputs"]
    texts = ["".join(o["text"]) for o in outputs]  # nbformat writes text as a list of lines
    assert texts == [REMOVED, "250 2.0.0 OK\n"]  # the rest kept
    assert scan([saved]) == []
