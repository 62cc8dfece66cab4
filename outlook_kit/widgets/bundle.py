"""A support bundle from a probe's report: Markdown safe to paste in a forum or a ticket,
addresses masked unless you untick the box; optionally saved to a file."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import ipywidgets as w

from ..bundle import support_bundle
from ..probe import ProbeReport
from ._ui import Shown, card, error_html, esc, plain_error


class BundleMaker(Shown):
    """Make a support bundle from the latest report.

    Args:
        source: where the report comes from: a form with a `last_report` (the trap runner,
            the Send test button), or a function returning a report.
        folder: where "Make" also saves the bundle as a Markdown file; None: not saved.
    """

    def __init__(
        self,
        source: Any,
        *,
        folder: str | os.PathLike[str] | None = None,
    ) -> None:
        self._source = source
        self.folder = Path(folder) if folder else None
        self.mask = w.Checkbox(value=True, description="Mask email addresses (s***@outlook.com)")
        self.button = w.Button(description="Make the support bundle", icon="file-text-o")
        self.button.layout.width = "auto"
        self.message = w.HTML()
        self.text = w.Textarea(layout=w.Layout(width="100%", height="18em", display="none"))
        self.button.on_click(self._make)
        self.view = w.VBox([self.mask, self.button, self.message, self.text])
        self.last_bundle: str | None = None
        self.last_path: Path | None = None
        self.last_error: str | None = None

    def make(self) -> str | None:
        """What clicking the button does; returns the bundle's text."""
        self._make()
        return self.last_bundle

    def _make(self, _button: Any = None) -> None:
        self.message.value = ""
        self.last_error = None
        source = self._source
        report = source() if callable(source) else getattr(source, "last_report", None)
        if report is not None and not isinstance(report, ProbeReport):
            self.last_error = "The bundle describes a test send; this source gave something else."
            self.message.value = error_html(self.last_error)
            return
        if report is None:
            self.last_error = "There is no test send to describe yet: run one first."
            self.message.value = error_html(self.last_error)
            return
        try:
            text = support_bundle(report, mask=self.mask.value)
            path = None
            if self.folder is not None:
                stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
                path = self.folder / f"outlook-kit-support-{stamp}.md"
                path.write_text(text, encoding="utf-8")
        except Exception as error:
            self.last_error = plain_error(error)
            self.message.value = error_html(self.last_error)
            return
        self.last_bundle, self.last_path = text, path
        self.text.value = text
        self.text.layout.display = None
        saved = f" Saved as <code>{esc(path)}</code>." if path else ""
        masked = "Addresses are masked. " if self.mask.value else "Addresses are NOT masked. "
        self.message.value = card(
            "ok",
            "Support bundle ready",
            f"<div>{masked}No password, App Password or token is in it (plain or base64).{saved} "
            "Copy it from the box below.</div>",
        )
