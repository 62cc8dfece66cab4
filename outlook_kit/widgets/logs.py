"""The send-log explorer: load the sample log or upload your own export (any supported
format), see the load report, then the daily volume against the cap, the cap against account
age, the hits and pauses, the headroom and forecast, and the fleet; pick the account, the
time zone and the cap model's parameters, and the charts are drawn again.

Charts are matplotlib Figures (no pyplot state) drawn by `outlook_kit.plots` and shown as
PNG images; the Axes of the last drawing stay in `axes`, so tests read their artists.
"""

from __future__ import annotations

import io
import re
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import ipywidgets as w

from ..caps import CapModel
from ._ui import Shown, bullets, card, error_html, esc, plain_error

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from ..analysis import Analysis, Hit, Pause
    from ..sendlog import LoadReport, SendLog

ZONES = (
    "UTC",
    "Europe/London",
    "Europe/Paris",
    "Europe/Berlin",
    "America/New_York",
    "America/Chicago",
    "America/Los_Angeles",
    "Asia/Kolkata",
    "Asia/Tokyo",
    "Australia/Sydney",
)
FORMATS = [
    ("detect it", ""),
    ("the kit's own log (JSON Lines)", "jsonl"),
    ("CSV / TSV from a mailer or a spreadsheet", "csv"),
    ("Postfix maillog", "postfix"),
    ("Microsoft 365 message trace", "m365"),
]
CHARTS = ("daily", "age", "fleet")
_STYLE = {"description_width": "13em"}
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def _png(draw: Callable[[Axes], Axes], size: tuple[float, float]) -> tuple[bytes, Axes]:
    """Draw on a new Figure (no pyplot), return the PNG and the Axes."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=size, layout="constrained")
    ax = draw(figure.subplots())
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    return buffer.getvalue(), ax


class LogExplorer(Shown):
    """Load a send log and see it against the daily cap.

    Args:
        tz: the time zone whose calendar days count.
    """

    def __init__(self, *, tz: str = "UTC") -> None:
        self.sample_button = w.Button(
            description="Load the sample log", button_style="primary", icon="database"
        )
        self.sample_button.layout.width = "auto"
        self.upload = w.FileUpload(
            accept=".jsonl,.json,.gz,.csv,.tsv,.txt,.log",
            multiple=True,
            description="Upload your log",
            layout=w.Layout(width="auto"),
        )
        self.format = w.Dropdown(options=FORMATS, value="", description="Format", style=_STYLE)
        self.log_tz = w.Combobox(
            options=ZONES,
            value="",
            placeholder="only if the log's times carry no zone",
            description="Times in the log are in",
            style=_STYLE,
            ensure_option=False,
        )
        self.progress = w.IntProgress(
            min=0, max=3, value=0, layout=w.Layout(width="20em", display="none")
        )
        self.status = w.HTML()
        self.message = w.HTML()
        self.report = w.HTML()
        self.account = w.Dropdown(
            options=[], description="Account", style=_STYLE, layout=w.Layout(width="32em")
        )
        self.tz = w.Combobox(
            options=ZONES,
            value=tz,
            description="Count days in",
            style=_STYLE,
            ensure_option=False,
            continuous_update=False,
        )
        model = CapModel()
        self.new_account_cap = w.BoundedIntText(
            value=model.new_account_cap,
            min=1,
            max=5000,
            description="Cap of a new account",
            style=_STYLE,
        )
        self.growth_per_step = w.BoundedIntText(
            value=model.growth_per_step,
            min=0,
            max=1000,
            description="Growth per step",
            style=_STYLE,
        )
        self.step_days = w.BoundedIntText(
            value=model.step_days, min=1, max=365, description="Step (days)", style=_STYLE
        )
        self.mature_after_days = w.BoundedIntText(
            value=model.mature_after_days,
            min=0,
            max=3650,
            description="Established after (days)",
            style=_STYLE,
        )
        self.mature_cap = w.BoundedIntText(
            value=model.mature_cap,
            min=0,
            max=5000,
            description="Cap when established",
            style=_STYLE,
        )
        self.pause_hours = w.BoundedFloatText(
            value=model.pause_hours,
            min=0,
            max=168,
            description="Pause after a hit (hours)",
            style=_STYLE,
        )
        self.model_note = w.HTML(
            f"<div style='color:#555;font-size:0.9em'>{esc(model.label)}. Microsoft publishes "
            "no cap for free accounts: change these to match what your own log shows.</div>"
        )
        self.images = {name: w.Image(format="png") for name in CHARTS}
        self.charts = {name: w.Box([self.images[name]]) for name in CHARTS}
        for box in self.charts.values():
            box.add_class("ok-chart")
            box.layout.display = "none"
        self.account_table = w.HTML()
        self.sample_button.on_click(self._load_sample)
        self.upload.observe(self._uploaded, names="value")
        self.account.observe(self._account_changed, names="value")
        self.tz.observe(self._settings_changed, names="value")
        self._model_fields = (
            self.new_account_cap,
            self.growth_per_step,
            self.step_days,
            self.mature_after_days,
            self.mature_cap,
            self.pause_hours,
        )
        for field in self._model_fields:
            field.observe(self._settings_changed, names="value")
        model_box = w.Accordion(
            children=[w.VBox([*self._model_fields, self.model_note])],
            titles=("The cap model (assumptions you can change)",),
        )
        model_box.selected_index = None
        self.view = w.VBox(
            [
                w.HBox([self.sample_button, self.upload]),
                self.format,
                self.log_tz,
                w.HBox([self.progress, self.status]),
                self.message,
                self.report,
                self.account,
                self.tz,
                model_box,
                self.charts["daily"],
                self.account_table,
                self.charts["age"],
                self.charts["fleet"],
            ]
        )
        # what the handlers found
        self.last_log: SendLog | None = None
        self.last_report: LoadReport | None = None
        self.last_analysis: Analysis | None = None
        self.last_error: str | None = None
        self.axes: dict[str, Axes] = {}
        self.draws = 0
        self._created: dict[str, Any] | None = None
        self._quiet = False

    # --- loading ----------------------------------------------------------------------------

    def load_sample(self) -> LoadReport | None:
        """What *Load the sample log* does."""
        self._load_sample()
        return self.last_report

    def load(
        self, path: str | None = None, *, format: str | None = None, log_tz: str | None = None
    ) -> LoadReport | None:
        """Load a log from a path (a file or a folder), or the sample when `path` is empty."""
        if not path:
            return self.load_sample()
        if format is not None:
            self.format.value = format
        if log_tz is not None:
            self.log_tz.value = log_tz
        self._load([Path(path)], created=None, label=Path(path).name)
        return self.last_report

    def _load_sample(self, _button: Any = None) -> None:
        from ..sendlog.data import SAMPLE_CREATED, sample_path

        try:
            path = sample_path()
        except Exception as error:
            self._fail(error)
            return
        self.format.value = ""
        self.log_tz.value = ""
        self._load([path], created=dict(SAMPLE_CREATED), label="the sample log")

    def _uploaded(self, change: dict[str, Any]) -> None:
        files = change["new"]
        if not files:
            return
        folder = Path(tempfile.mkdtemp(prefix="outlook-kit-upload-"))
        try:
            paths = []
            for index, item in enumerate(files):
                name = _SAFE_NAME.sub("_", str(item.get("name") or f"upload-{index}"))
                path = folder / f"{index:02d}-{name}"
                path.write_bytes(bytes(item["content"]))
                paths.append(path)
            names = ", ".join(str(item.get("name")) for item in files)
            self._load(paths, created=None, label=names)
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def _load(self, paths: list[Path], *, created: dict[str, Any] | None, label: str) -> None:
        from ..sendlog import load_send_log

        self.last_error = None
        self.message.value = self.report.value = ""
        self._step(1, f"Reading {label}\u2026")
        try:
            log = load_send_log(
                paths, format=self.format.value or None, tz=self.log_tz.value.strip() or None
            )
        except Exception as error:
            self._fail(error)
            return
        self.last_log, self.last_report, self._created = log, log.report, created
        self.report.value = _report_html(log.report, label)
        self._analyse()

    # --- analysing and drawing --------------------------------------------------------------

    def cap_model(self) -> CapModel:
        """The cap model as the fields say."""
        return replace(
            CapModel(),
            new_account_cap=self.new_account_cap.value,
            growth_per_step=self.growth_per_step.value,
            step_days=self.step_days.value,
            mature_after_days=self.mature_after_days.value,
            mature_cap=self.mature_cap.value,
            pause_hours=float(self.pause_hours.value),
        )

    def redraw(self) -> None:
        """Analyse again with the current settings and draw every chart."""
        self._analyse()

    def _analyse(self) -> None:
        from ..analysis import analyze

        if self.last_log is None:
            return
        self.last_error = None
        self.message.value = ""
        self._step(2, "Analysing: daily volume, hits, pauses, the inferred cap, headroom\u2026")
        try:
            analysis = analyze(
                self.last_log,
                tz=self.tz.value.strip() or "UTC",
                cap_model=self.cap_model(),
                created=self._created,
            )
        except Exception as error:
            self._fail(error)
            return
        self.last_analysis = analysis
        names = [a.account for a in analysis.accounts]
        self._quiet = True
        try:
            current = self.account.value
            self.account.options = names
            if names:
                first = str(analysis.fleet["account"].iloc[0]) if len(analysis.fleet) else names[0]
                self.account.value = current if current in names else first
        finally:
            self._quiet = False
        self._draw(CHARTS)

    def _draw(self, which: tuple[str, ...]) -> None:
        from ..plots import plot_cap_by_age, plot_daily_volume, plot_fleet

        analysis = self.last_analysis
        if analysis is None or not analysis.accounts:
            if analysis is not None:
                self._fail(ValueError("the log has no sends to draw"))
            return
        self._step(3, "Drawing the charts\u2026")
        account = self.account.value or None
        painters: dict[str, tuple[Callable[[Axes], Axes], tuple[float, float]]] = {
            "daily": (lambda ax: plot_daily_volume(analysis, account, ax=ax), (11.0, 4.2)),
            "age": (lambda ax: plot_cap_by_age(analysis, ax=ax), (9.0, 4.0)),
            "fleet": (lambda ax: plot_fleet(analysis, ax=ax), (11.0, 3.6)),
        }
        try:
            for name in which:
                draw, size = painters[name]
                png, ax = _png(draw, size)
                self.images[name].value = png
                self.axes[name] = ax
                self.charts[name].layout.display = None
            self.account_table.value = _account_html(analysis, account)
        except Exception as error:
            self._fail(error)
            return
        self.draws += 1
        self.progress.layout.display = "none"
        self.status.value = ""

    def _account_changed(self, change: dict[str, Any]) -> None:
        if not self._quiet and change["new"]:
            self._draw(("daily",))

    def _settings_changed(self, _change: Any) -> None:
        if not self._quiet:
            self._analyse()

    def _step(self, value: int, text: str) -> None:
        self.progress.value = value
        self.progress.layout.display = None
        self.status.value = f"<span style='color:#555'>{esc(text)}</span>"

    def _fail(self, error: BaseException) -> None:
        self.last_error = plain_error(error)
        self.progress.layout.display = "none"
        self.status.value = ""
        self.message.value = error_html(self.last_error)


def _report_html(report: LoadReport, label: str) -> str:
    files = ", ".join(f"{f.source} ({f.format}, {f.encoding or '?'})" for f in report.files)
    lines = [
        f"<div class='ok-load-report'>Read {report.read:,} rows from {esc(label)}: loaded "
        f"{report.loaded:,}, skipped {report.skipped:,}.</div>"
    ]
    if files:
        lines.append(f"<div style='color:#555'>Files: {esc(files)}</div>")
    details = [str(s) for s in report.skips] + [f"note: {n}" for n in report.notes]
    if details:
        lines.append(bullets(details))
    kind = "ok" if not report.skipped else "warn"
    return card(kind, "The load report", "".join(lines))


def _local(moment: Any, tz: str) -> str:
    import pandas as pd

    return str(pd.Timestamp(moment).tz_convert(tz).strftime("%Y-%m-%d %H:%M"))


def _hit(hit: Hit, tz: str) -> str:
    reply = " ".join(str(x) for x in (hit.code, hit.enhanced) if x) or "a refusal"
    return (
        f"{_local(hit.at, tz)}: refused with {reply} after {hit.recipients_24h:,} recipients "
        "in 24 hours"
    )


_VERSUS = {
    "about": "about the guide's 24 hours",
    "shorter": "sending worked again sooner than the guide's 24 hours",
    "longer": "still refused after the guide's 24 hours",
    "later": "the account only tried again later",
    "open": "no send was accepted after it",
}


def _pause(pause: Pause, tz: str) -> str:
    versus = _VERSUS.get(pause.vs_guide, pause.vs_guide)
    if pause.end is None or pause.hours is None:
        return f"from {_local(pause.start, tz)}: {versus}"
    return (
        f"{_local(pause.start, tz)} to {_local(pause.end, tz)}: {pause.hours:.0f} hours ({versus})"
    )


def _account_html(analysis: Analysis, account: str | None) -> str:
    if not account:
        return ""
    summary = analysis.account(account)
    room = analysis.headroom[analysis.headroom["account"] == summary.account]
    row = room.to_dict("records")[0] if len(room) else {}

    def when(key: str) -> str:
        value = row.get(key)
        return "not within a year" if value is None or value != value else str(value)[:10]

    cap_basis = {"assumed": "assumed from its age", "inferred": "inferred from the log"}.get(
        summary.cap_basis, summary.cap_basis
    )
    facts = [
        f"Cap now: {summary.cap_now:,} recipients a day ({cap_basis}); in the last 24 hours "
        f"{row.get('used_24h', 0):,}, so {summary.headroom_now:,} left ({summary.level}).",
        f"Busiest day: {summary.busiest_day} with {summary.max_daily_recipients:,} recipients; "
        f"most in any 24 hours: {summary.most_in_24h}.",
        f"Cap hits: {len(summary.cap_hits)}; pauses: {len(summary.pauses)}.",
        f"At the pace of the last week, it reaches 80% of the cap: {when('reaches_80')}; "
        f"90%: {when('reaches_90')}; the cap: {when('reaches_cap')}.",
    ]
    if summary.inferred_cap is not None:
        facts.insert(1, f"The log shows a cap of {summary.inferred_cap.short}.")
    hits = [_hit(h, analysis.tz) for h in summary.cap_hits[-5:]]
    pauses = [_pause(p, analysis.tz) for p in summary.pauses[-5:]]
    body = bullets(facts)
    if hits:
        body += "<div><b>The last cap hits</b></div>" + bullets(hits)
    if pauses:
        body += "<div><b>The last pauses</b></div>" + bullets(pauses)
    level = str(summary.level)
    kind = "ok" if level == "ok" else "fail" if "cap" in level else "warn"
    title = f"{summary.account}: headroom and forecast (times in {analysis.tz})"
    return card(kind, title, body, css_class="ok-headroom")
