"""`analyze`: every analysis of one log at once, as a value the CLI and the charts read."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any, overload

from ..caps import OUTLOOK_COM, CapEstimate, CapModel, account_windows, infer_cap
from ..sendlog.load import SendLog
from ..sendlog.report import LoadReport
from ._common import Created, LogLike
from .events import evidence_from, hits_from, pauses_from
from .fleet import fleet_ranking
from .headroom import headroom_from
from .volume import Passes, Rolling, daily_from

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class Hit:
    """One send refused at the cap."""

    at: datetime
    recipients_24h: int
    code: int | None
    enhanced: str | None
    category: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "at": _iso(self.at),
            "recipients_24h": self.recipients_24h,
            "code": self.code,
            "enhanced": self.enhanced,
            "category": self.category,
        }


class Hits(Sequence[Hit]):
    """An account's cap hits, held as columns: a `Hit` is made when one is read, so an
    account refused millions of times pays no object per refusal up front."""

    __slots__ = ("_columns", "_start", "_stop")

    def __init__(self, columns: Mapping[str, Any], start: int = 0, stop: int | None = None):
        self._columns = columns  # iso (the time as `_iso` writes it), recipients_24h, code, ...
        self._start = start
        self._stop = len(columns["iso"]) if stop is None else stop

    def __len__(self) -> int:
        return self._stop - self._start

    @overload
    def __getitem__(self, index: int) -> Hit: ...
    @overload
    def __getitem__(self, index: slice) -> tuple[Hit, ...]: ...
    def __getitem__(self, index: int | slice) -> Hit | tuple[Hit, ...]:
        if isinstance(index, slice):
            return tuple(self[i] for i in range(*index.indices(len(self))))
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError("hit index out of range")
        row = self._start + index
        c = self._columns
        return Hit(
            at=datetime.fromisoformat(c["iso"][row].replace("Z", "+00:00")),
            recipients_24h=c["recipients_24h"][row],
            code=c["code"][row],
            enhanced=c["enhanced"][row],
            category=c["category"][row],
        )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sequence) and tuple(self) == tuple(other)

    def __hash__(self) -> int:
        return hash(tuple(self))

    def __repr__(self) -> str:
        return f"Hits({len(self)} refusals at the cap)"

    def to_dicts(self) -> list[dict[str, Any]]:
        """`[hit.to_dict() for hit in self]`, without making the hits."""
        c, rows = self._columns, range(self._start, self._stop)
        return [
            {
                "at": c["iso"][i],
                "recipients_24h": c["recipients_24h"][i],
                "code": c["code"][i],
                "enhanced": c["enhanced"][i],
                "category": c["category"][i],
            }
            for i in rows
        ]


@dataclass(frozen=True)
class Pause:
    """From a cap hit to the next accepted send."""

    start: datetime
    end: datetime | None
    hours: float | None
    vs_guide: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "start": _iso(self.start),
            "end": _iso(self.end) if self.end is not None else None,
            "hours": round(self.hours, 2) if self.hours is not None else None,
            "vs_guide": self.vs_guide,
        }


@dataclass(frozen=True)
class AccountSummary:
    """One account's figures, as `outlook-kit analyze` prints them."""

    account: str
    days_active: int
    messages: int
    recipients: int
    busiest_day: date | None
    max_daily_recipients: int
    max_rolling_24h_recipients: int | None  # None: no day came near the cap (see bound)
    rolling_24h_bound: int
    cap_hits: Sequence[Hit]
    pauses: tuple[Pause, ...]
    inferred_cap: CapEstimate | None
    cap_now: int
    cap_basis: str
    headroom_now: int
    level: str
    service: str = "unknown"  # outlook_com, microsoft_365, other, unknown (`providers`)
    relay: str | None = None  # the server it sent through most, where the log says

    def to_dict(self) -> dict[str, Any]:
        return {
            "account": self.account,
            "service": self.service,
            "relay": self.relay,
            "days_active": self.days_active,
            "messages": self.messages,
            "recipients": self.recipients,
            "busiest_day": self.busiest_day.isoformat() if self.busiest_day else None,
            "max_daily_recipients": self.max_daily_recipients,
            "max_rolling_24h_recipients": self.max_rolling_24h_recipients,
            "cap_hits": (
                self.cap_hits.to_dicts()
                if isinstance(self.cap_hits, Hits)
                else [h.to_dict() for h in self.cap_hits]
            ),
            "pauses": [p.to_dict() for p in self.pauses],
            "inferred_cap": self.inferred_cap.to_dict() if self.inferred_cap else None,
            "cap_now": self.cap_now,
            "cap_basis": self.cap_basis,
            "headroom_now": self.headroom_now,
            "level": self.level,
        }

    @property
    def most_in_24h(self) -> str:
        if self.max_rolling_24h_recipients is not None:
            return f"{self.max_rolling_24h_recipients:,}"
        return f"<{self.rolling_24h_bound:,}"


@dataclass(frozen=True)
class Analysis:
    """Every analysis of one log: the frames, and one summary per account."""

    report: LoadReport | None
    tz: str
    cap_model: CapModel
    now: datetime | None
    daily: pd.DataFrame = field(repr=False)
    hits: pd.DataFrame = field(repr=False)
    pauses: pd.DataFrame = field(repr=False)
    evidence: pd.DataFrame = field(repr=False)
    estimates: pd.DataFrame = field(repr=False)
    headroom: pd.DataFrame = field(repr=False)
    fleet: pd.DataFrame = field(repr=False)
    accounts: tuple[AccountSummary, ...] = ()
    created: Mapping[str, Any] = field(default_factory=dict, repr=False)
    models: Mapping[str, CapModel] = field(default_factory=dict, repr=False)

    @property
    def assumptions(self) -> list[str]:
        """The cap models the accounts were measured against, each with its accounts."""
        used: dict[str, list[str]] = {}
        for summary in self.accounts:
            model = self.models.get(summary.account, self.cap_model)
            used.setdefault(model.label, []).append(summary.account)
        if not used:
            return [self.cap_model.label]
        if len(used) == 1:
            return list(used)
        return [
            f"{label}: {', '.join(names) if len(names) <= 3 else f'{len(names):,} accounts'}"
            for label, names in used.items()
        ]

    def account(self, name: str) -> AccountSummary:
        key = name.strip().lower()
        for summary in self.accounts:
            if summary.account == key:
                return summary
        known = ", ".join(s.account for s in self.accounts)
        raise KeyError(f"no account {name!r} in the log (accounts: {known})")

    def to_dict(self) -> dict[str, Any]:
        """The object `outlook-kit analyze --json` prints."""
        rows = self.report.to_dict() if self.report else None
        return {
            "rows": {k: rows[k] for k in ("read", "loaded", "skipped", "skipped_reasons")}
            if rows
            else None,
            "tz": self.tz,
            "now": _iso(self.now) if self.now else None,
            "assumptions": "; ".join(self.assumptions),
            "accounts": [a.to_dict() for a in self.accounts],
        }

    def __str__(self) -> str:
        lines = [str(self.report)] if self.report else []
        lines.append("")
        lines.append(
            f"Per account (days in {self.tz}; 'cap now' is inferred from the log where it shows "
            "one, else assumed from the account's age):"
        )
        head = (
            f"{'account':<28} {'days':>5} {'messages':>9} {'recipients':>10} "
            f"{'busiest day':>18} {'most in 24h':>11} {'hits':>5} {'pauses':>6} "
            f"{'inferred cap':>17} {'window':>9} {'headroom now':>16}"
        )
        lines.append(head)
        windows = {"rolling_24h": "rolling", "midnight_utc": "midnight", "either": "either"}
        for a in self.accounts:
            busiest = (
                f"{a.busiest_day.isoformat()} {a.max_daily_recipients:>7,}"
                if a.busiest_day
                else "-"
            )
            estimate = a.inferred_cap
            inferred = estimate.short if estimate else "-"
            window = windows.get(estimate.window, "?") if estimate else "?"
            mark = {"assumed": "*", "at least (log)": "+"}.get(a.cap_basis, "")
            room = f"{a.headroom_now:,} of {a.cap_now:,}{mark}"
            lines.append(
                f"{a.account[:28]:<28} {a.days_active:>5} {a.messages:>9,} {a.recipients:>10,} "
                f"{busiest:>18} {a.most_in_24h:>11} {len(a.cap_hits):>5} {len(a.pauses):>6} "
                f"{inferred:>17} {window:>9} {room:>16}"
            )
        lines.append(
            "inferred cap: what the log shows for the account's current age band (>= when it "
            "shows no refusal there); window: which cap window explains all its refusals "
            "better (a rolling 24 h or a reset at midnight UTC; ? without refusals)."
        )
        lines.append(
            "* assumed: " + "; ".join(self.assumptions) + f" (pause after a hit: "
            f"{self.cap_model.pause_hours:g} h); + the log shows at least this, above the model"
        )
        return "\n".join(lines)


def _iso(value: Any) -> str:
    if isinstance(value, datetime) and value.tzinfo is not None:  # one per hit: no pandas
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    import pandas as pd

    stamp = pd.Timestamp(value)
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert("UTC")
    return stamp.isoformat().replace("+00:00", "Z")


def analyze(
    log: LogLike,
    *,
    tz: str = "UTC",
    cap_model: CapModel | None = None,
    created: Created | None = None,
    now: datetime | None = None,
    rolling: Rolling = "all",
) -> Analysis:
    """Daily volume, cap hits, pauses, the inferred cap, headroom and the fleet ranking.

    Args:
        log: a SendLog (from `load_send_log`) or a normalised frame.
        tz: the zone whose calendar days count.
        cap_model: the assumed cap of an Outlook.com account by age; the guide's figures by
            default. An account the log shows to be Microsoft 365's (its relay, a message
            trace) is measured against Microsoft 365's published limits instead.
        created: account -> creation date (the model's cap depends on age); the first send
            in the log when missing.
        now: the moment headroom is measured at; the log's last event by default.
        rolling: where the exact rolling 24-hour maximum is computed (see `daily_volume`);
            every day by default, so that each account's most in 24 hours is exact (a large
            log too: "near_cap" trades that for speed, and the summary then gives a bound).
    """
    model = cap_model or OUTLOOK_COM
    passes = Passes(log, tz=tz, cap_model=model, created=created, rolling=rolling)
    models = passes.models()
    daily = daily_from(passes)
    hits = hits_from(passes)
    pauses = pauses_from(passes)
    evidence = evidence_from(passes)
    born = {str(k): v for k, v in passes.born.items()}
    estimates = infer_cap(evidence, model=models, created=passes.born)
    room = headroom_from(passes, now=now, estimates=estimates)
    fleet = fleet_ranking(daily)
    report = log.report if isinstance(log, SendLog) else None
    moment = room["now"].iloc[0] if len(room) else None
    accounts = _summaries(daily, hits, pauses, estimates, room, passes.services)
    return Analysis(
        report=report,
        tz=passes.tz,
        cap_model=model,
        now=_timestamp(moment) if moment is not None else None,
        daily=daily,
        hits=hits,
        pauses=pauses,
        evidence=evidence,
        estimates=estimates,
        headroom=room,
        fleet=fleet,
        accounts=accounts,
        created=born,
        models=models,
    )


def _summaries(
    daily: pd.DataFrame,
    hits: pd.DataFrame,
    pauses: pd.DataFrame,
    estimates: pd.DataFrame,
    room: pd.DataFrame,
    services: pd.DataFrame,
) -> tuple[AccountSummary, ...]:
    """Every account's summary, each figure computed for all accounts at once (a log of
    100,000 small accounts must not pay a pandas step per account)."""
    import pandas as pd

    if daily.empty:
        return ()
    days = daily.assign(account=daily["account"].astype(str))
    active = days["messages"] > 0
    exact = days["max_rolling_24h"].astype("Float64")
    per = (
        days.assign(
            active=active,
            active_recipients=days["recipients"].where(active),
            exact=exact,
            unknown=days["rolling_bound"].astype("Float64").where(exact.isna()),
        )
        .groupby("account", sort=True)
        .agg(
            days_active=("active", "sum"),
            messages=("messages", "sum"),
            recipients=("recipients", "sum"),
            max_daily=("recipients", "max"),
            top=("active_recipients", "max"),
            best=("exact", "max"),
            bound_left=("unknown", "max"),
        )
    )
    tops = days["account"].map(per["top"])
    busiest = days.loc[active & (days["recipients"] == tops)].groupby("account")["day"].max()
    per["busiest"] = busiest.reindex(per.index)
    per["bound_left"] = per["bound_left"].fillna(0)
    names = per.index.tolist()
    hits_of = _hits(hits)
    pauses_of = _grouped(_pauses(pauses), pauses)
    windows = account_windows(estimates)
    last_band: dict[Any, Any] = (
        estimates.groupby("account", sort=False)["estimate"].last().to_dict()
        if len(estimates)
        else {}
    )
    room_of = (
        {
            str(a): (int(c), str(b), int(h), str(lv))
            for a, c, b, h, lv in zip(
                room["account"], room["cap_now"], room["cap_basis"], room["headroom_now"],
                room["level"], strict=True,
            )
        }
        if len(room)
        else {}
    )  # fmt: skip
    service_of = dict(zip(services["account"], services["service"], strict=True))
    relay_of = dict(zip(services["account"], services["relay"], strict=True))
    out = []
    columns = zip(
        names,
        per["days_active"].tolist(),
        per["messages"].tolist(),
        per["recipients"].tolist(),
        per["max_daily"].tolist(),
        per["busiest"].tolist(),
        per["best"].tolist(),
        per["bound_left"].tolist(),
        strict=True,
    )
    for account, active_days, messages, recipients, max_daily, busy, best, left in columns:
        best_value = None if _missing(best) else int(best)
        bound_left = int(left)
        estimate = last_band.get(account)
        if estimate is not None:  # the current band's interval; the window over all bands
            estimate = replace(estimate, window=windows.get(account, estimate.window))
        cap_now, basis, headroom_now, level_now = room_of.get(account, (0, "assumed", 0, "ok"))
        out.append(
            AccountSummary(
                account=account,
                days_active=int(active_days),
                messages=int(messages),
                recipients=int(recipients),
                busiest_day=None if _missing(busy) else pd.Timestamp(busy).date(),
                max_daily_recipients=int(max_daily),
                max_rolling_24h_recipients=(
                    best_value if best_value is not None and best_value >= bound_left else None
                ),
                rolling_24h_bound=max(bound_left, best_value or 0),
                cap_hits=hits_of.get(account, ()),
                pauses=pauses_of.get(account, ()),
                inferred_cap=estimate,
                cap_now=cap_now,
                cap_basis=basis,
                headroom_now=headroom_now,
                level=level_now,
                service=str(service_of.get(account, "unknown")),
                relay=_text_or_none(relay_of.get(account)),
            )
        )
    return tuple(out)


def _grouped(items: list[Any], frame: pd.DataFrame) -> dict[str, tuple[Any, ...]]:
    """`items` (one per row of `frame`) as a tuple per account, in the frame's order."""
    if not items:
        return {}
    groups = frame.groupby(frame["account"].astype(str), sort=False).indices
    return {str(account): tuple(items[i] for i in rows) for account, rows in groups.items()}


def _hits(rows: pd.DataFrame) -> dict[str, Hits]:
    """Each account's hits (the frame holds them by account, in time order), as columns."""
    import numpy as np

    if rows is None or rows.empty:
        return {}
    columns = {
        "iso": _iso_column(rows["time"]),
        "recipients_24h": _values(rows["recipients_24h"], int),
        "code": _values(rows["code"], int),
        "enhanced": _values(rows["enhanced"], str),
        "category": _values(rows["category"], str),
    }
    accounts = rows["account"].astype(str).to_numpy()
    starts = np.flatnonzero(np.concatenate(([True], accounts[1:] != accounts[:-1])))
    stops = np.append(starts[1:], len(accounts))
    return {
        str(accounts[a]): Hits(columns, int(a), int(b)) for a, b in zip(starts, stops, strict=True)
    }


def _iso_column(times: pd.Series) -> list[str]:
    """Times as `_iso` writes them (`2026-01-05T09:00:00Z`, microseconds only when there are
    any), for a whole column at once."""
    import numpy as np
    import pandas as pd

    stamps = pd.to_datetime(times, utc=True).to_numpy(dtype="datetime64[us]")
    seconds = np.datetime_as_string(stamps, unit="s")
    micros = stamps.astype(np.int64) % 1_000_000
    fraction = np.char.add(".", np.char.zfill(micros.astype(str), 6))
    text = np.where(micros != 0, np.char.add(seconds, fraction), seconds)
    return [f"{t}Z" for t in text.tolist()]


def _pauses(rows: pd.DataFrame) -> list[Pause]:
    if rows is None or rows.empty:
        return []
    hours = _values(rows["hours"], float)
    ends = [None if _missing(e) else e for e in _datetimes(rows["end"])]
    return [
        Pause(start=start, end=end, hours=h, vs_guide=str(v))
        for start, end, h, v in zip(
            _datetimes(rows["start"]), ends, hours, rows["vs_guide"].tolist(), strict=True
        )
    ]


def _values(column: pd.Series, kind: type) -> list[Any]:
    """A column as Python values of `kind`, None where missing (in one step per column)."""
    present = column.notna().tolist()
    return [kind(v) if ok else None for v, ok in zip(column.tolist(), present, strict=True)]


def _datetimes(times: pd.Series) -> list[datetime]:
    """A column of times as datetimes, in one step (an account may have many hits)."""
    import pandas as pd

    return list(pd.to_datetime(times, utc=True).dt.to_pydatetime())


def _text_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _timestamp(value: Any) -> datetime:
    import pandas as pd

    stamp: datetime = pd.Timestamp(value).to_pydatetime()
    return stamp


def _missing(value: Any) -> bool:
    import pandas as pd

    return (
        value is None
        or value is pd.NaT
        or value is pd.NA
        or (isinstance(value, float) and value != value)
    )
