"""Send logs: the kit's own JSON Lines log (written by the probe), and reading any log back.

    from outlook_kit.sendlog import load_send_log
    log = load_send_log("maillog-folder/", tz="Europe/Paris")
    log.report          # read, loaded, skipped: every row accounted for
    log.frame           # one normalised DataFrame (see `schema`)

Modules: `record` (writing the kit's log), `sources` (files, folders, .gz, encodings,
.xlsx), `detect` (format, columns, time layouts), `exports` (known exporters' files by their
header), `readers` (the kit's log, CSV/TSV), `mta` (Postfix, exim, msmtp), `normalise` (the
SQL every format goes through), `diagnose` (each distinct refusal diagnosed once), `load`
(`load_send_log`, `SendLog`), `report` (`LoadReport`), `sample` (makes the synthetic sample
data), `data` (`load_sample_log`).
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .data import SAMPLE_CREATED, load_sample_log
    from .load import SendLog, load_send_log
    from .record import LOG_FIELDS, append_to_log, log_record
    from .report import LoadReport, SendLogError, Skip
    from .schema import COLUMNS, LogFormat, Status

__all__ = [
    "COLUMNS",
    "LOG_FIELDS",
    "SAMPLE_CREATED",
    "LoadReport",
    "LogFormat",
    "SendLog",
    "SendLogError",
    "Skip",
    "Status",
    "append_to_log",
    "load_sample_log",
    "load_send_log",
    "log_record",
]

# the module behind each public name: writing the kit's log (the probe's `--log`) must not
# load pandas and DuckDB, which reading logs needs
_MODULES = {
    "data": ("SAMPLE_CREATED", "load_sample_log"),
    "load": ("SendLog", "load_send_log"),
    "record": ("LOG_FIELDS", "append_to_log", "log_record"),
    "report": ("LoadReport", "SendLogError", "Skip"),
    "schema": ("COLUMNS", "LogFormat", "Status"),
}
_WHERE = {name: module for module, names in _MODULES.items() for name in names}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value
