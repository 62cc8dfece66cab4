"""Daily volume and the rolling 24-hour count: two DuckDB passes over the log.

1. One aggregation per account and day: messages, recipients, refusals, cap hits.
2. The rolling 24-hour recipient count at every send (and before every cap hit), where
   it matters: DuckDB picks those rows, and prefix sums over them sorted by account and
   time (numpy) give each (t - 24 h, t] count, as a RANGE window would, at a fraction of a
   window's cost. A window over every send costs more than twice the
   aggregation, and the rolling maximum of a day can only come near the cap where that day
   and the day before together come near it: their sum bounds every 24-hour window ending
   that day. So the window runs over those days only (and over every day of an account
   that was refused at the cap, whose hits and pauses need every send), unless asked for
   everywhere. The other days keep that bound (`rolling_bound`) and no exact maximum.

Small logs (a frame in memory) get the exact rolling maximum on every day by default.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from ..caps import MICROSOFT_365, OUTLOOK_COM, CapModel
from ..sendlog.load import SendLog
from ._common import (
    Created,
    LogLike,
    Opened,
    age_days,
    check_tz,
    created_times,
    messages_sql,
    model_caps,
    open_log,
)
from .providers import Service, account_services, model_for

if TYPE_CHECKING:
    import pandas as pd

Rolling = Literal["auto", "all", "near_cap"]
BUCKET_US = 6 * 3600 * 1_000_000
"""The rolling bound's bucket: 6 hours, in microseconds."""
DAY_US = 24 * 3600 * 1_000_000
NEAR_CAP = 0.8
"""Days whose two-day sum reaches this share of the assumed cap get the exact rolling maximum."""


@dataclass
class Passes:
    """The passes over one log, each run once and kept for every result that needs it."""

    log: LogLike
    tz: str = "UTC"
    cap_model: CapModel = field(default_factory=lambda: OUTLOOK_COM)  # Outlook.com's, and
    # the unknown's; a Microsoft 365 account's is MICROSOFT_365 (`services` tells which)
    created: Created | None = None
    rolling: Rolling = "auto"
    opened: Opened | None = None
    _groups: pd.DataFrame | None = None
    _buckets: pd.DataFrame | None = None
    _days: pd.DataFrame | None = None
    _numbers: dict[str, Any] | None = None
    _events_made: bool = False
    _maxima: pd.DataFrame | None = None
    _hits: pd.DataFrame | None = None
    _born: pd.Series | None = None
    _services: pd.DataFrame | None = None

    def __post_init__(self) -> None:
        self.tz = check_tz(self.tz)
        if self.rolling not in ("auto", "all", "near_cap"):
            raise ValueError(f"rolling must be 'auto', 'all' or 'near_cap', not {self.rolling!r}")

    @property
    def con(self) -> Any:
        if self.opened is None:
            self.opened = open_log(self.log)
        return self.opened.con

    @property
    def lazy(self) -> bool:
        return isinstance(self.log, SendLog) and self.log.in_place

    # --- pass 1: per account, local day and UTC day ------------------------------------------

    @property
    def groups(self) -> pd.DataFrame:
        """Pass 1, the one full aggregation: per account, day (in tz) and UTC day, the
        messages, recipients, refusals and cap hits."""
        import pandas as pd

        if self._groups is None:
            con = self.con
            assert self.opened is not None
            utc_day = f"epoch_us(time) // {DAY_US}"  # integer arithmetic: no calendar needed
            if self.tz == "UTC" and not self.opened.distinct_messages:
                both = self._groups_from_buckets()
            else:
                local = utc_day if self.tz == "UTC" else self.local_day("time")
                both = con.execute(
                    f"""SELECT account, {local} AS day, {utc_day} AS utc_day,
                      epoch_us(time) // {BUCKET_US} AS bucket,
                      count(*) FILTER (status = 'sent') AS sent_rows,
                      {messages_sql(self.opened.distinct_messages)} AS messages,
                      coalesce(sum(n_recipients) FILTER (status = 'sent'), 0) AS recipients,
                      count(*) FILTER (status = 'rejected') AS rejections,
                      count(*) FILTER (status = 'deferred') AS deferrals,
                      count(*) FILTER (hit) AS cap_hits,
                      min(time) AS first_time, max(time) AS last_time,
                      grouping(bucket) AS by_day
                    FROM log
                    GROUP BY GROUPING SETS ((account, day, utc_day), (account, bucket))"""
                ).fetchdf()
                # one read gives the days and the 6-hour buckets the rolling bound needs
                self._buckets = both.loc[both["by_day"] == 0, ["account", "bucket", "recipients"]]
                con.register("recipient_buckets", self._buckets)
            groups = both[both["by_day"] == 1].drop(columns=["bucket", "by_day"])
            # the accounts as a categorical (sorted names): every later step groups by them
            groups["account"] = pd.Categorical(groups["account"].astype(str))
            groups = groups.sort_values(["account", "day", "utc_day"], ignore_index=True)
            groups["utc_day"] = pd.to_datetime(groups["utc_day"] * 86400, unit="s")
            if self.tz == "UTC":
                groups["day"] = groups["utc_day"]
            else:
                groups["day"] = pd.to_datetime(groups["day"])
            self._groups = groups
        return self._groups

    def _groups_from_buckets(self) -> pd.DataFrame:
        """Pass 1 in UTC when messages are rows: one aggregation per account and 6-hour
        bucket, kept in DuckDB for the rolling bound; the days sum their four buckets (every
        aggregate here adds up, and a UTC day is four whole buckets)."""
        con = self.con
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE recipient_buckets AS
            SELECT account, epoch_us(time) // {BUCKET_US} AS bucket,
              count(*) FILTER (status = 'sent') AS sent_rows,
              coalesce(sum(n_recipients) FILTER (status = 'sent'), 0) AS recipients,
              count(*) FILTER (status = 'rejected') AS rejections,
              count(*) FILTER (status = 'deferred') AS deferrals,
              count(*) FILTER (hit) AS cap_hits,
              min(epoch_us(time)) AS first_us, max(epoch_us(time)) AS last_us
            FROM log GROUP BY ALL"""
        )
        per_day = DAY_US // BUCKET_US
        frame: pd.DataFrame = con.execute(
            f"""SELECT account, bucket // {per_day} AS day, bucket // {per_day} AS utc_day,
              NULL::BIGINT AS bucket, CAST(sum(sent_rows) AS BIGINT) AS sent_rows,
              CAST(sum(sent_rows) AS BIGINT) AS messages, sum(recipients) AS recipients,
              CAST(sum(rejections) AS BIGINT) AS rejections,
              CAST(sum(deferrals) AS BIGINT) AS deferrals,
              CAST(sum(cap_hits) AS BIGINT) AS cap_hits,
              CAST(make_timestamp(min(first_us)) AS TIMESTAMPTZ) AS first_time,
              CAST(make_timestamp(max(last_us)) AS TIMESTAMPTZ) AS last_time, 1::BIGINT AS by_day
            FROM recipient_buckets GROUP BY account, bucket // {per_day}"""
        ).fetchdf()
        self._buckets = None  # the buckets stay in DuckDB
        return frame

    def local_day(self, column: str) -> str:
        """SQL: the calendar day (DATE) of a UTC time in the analysis's zone."""
        if self.tz == "UTC":
            return f"CAST({column} AS DATE)"
        return f"CAST(timezone('{self.tz}', {column}) AS DATE)"

    @property
    def services(self) -> pd.DataFrame:
        """Per account: its usual relay and the service it sends through (`providers`)."""
        if self._services is None:
            files = self.log.report.files if isinstance(self.log, SendLog) else []
            traces = [f.source for f in files if f.format == "m365"]
            self._services = account_services(self.con, traces)
        return self._services

    def models(self) -> dict[str, CapModel]:
        """Account -> its cap model."""
        services = self.services
        return {
            a: model_for(s, self.cap_model)
            for a, s in zip(services["account"], services["service"], strict=True)
        }

    def caps_assumed(self, accounts: pd.Series, ages: pd.Series) -> pd.Series:
        """The model's cap at each (account, age): `cap_model`, Microsoft 365's where the
        account is one (all rows at once, a pass per model)."""
        caps = model_caps(self.cap_model, ages)
        services = self.services
        work = services.loc[services["service"] == Service.MICROSOFT_365, "account"]
        if len(work):
            rows = accounts.astype(str).isin(set(work)).to_numpy()
            if rows.any():
                caps[rows] = model_caps(MICROSOFT_365, ages[rows]).to_numpy()
        return caps

    @property
    def born(self) -> pd.Series:
        """Account -> creation time (given, else the first send in the log)."""
        if self._born is None:
            firsts = self.groups.groupby("account")["first_time"].min()
            self._born = created_times(self.created, firsts)
        return self._born

    def utc_days(self) -> pd.DataFrame:
        """Per account and UTC day, sorted so: recipients, cap hits, last time, the two-day
        bound, and the account's age and assumed cap at the day's start."""
        import numpy as np
        import pandas as pd

        if self._days is not None:
            return self._days
        if self.tz == "UTC":  # the groups are the UTC days already, in order
            days = self.groups[["account", "utc_day", "recipients", "cap_hits", "last_time"]]
            days = days.copy()
        else:
            days = (
                self.groups.groupby(["account", "utc_day"], as_index=False, observed=True)
                .agg(
                    recipients=("recipients", "sum"),
                    cap_hits=("cap_hits", "sum"),
                    last_time=("last_time", "max"),
                )
                .sort_values(["account", "utc_day"], ignore_index=True)
            )
        code = days["account"].cat.codes.to_numpy()
        number = _day_numbers(days["utc_day"])
        recipients = days["recipients"].to_numpy(np.int64)
        follows = np.zeros(len(days), dtype=bool)  # the day before is in the log too
        follows[1:] = (code[1:] == code[:-1]) & (number[1:] - number[:-1] == 1)
        previous = np.zeros(len(days), dtype=np.int64)
        previous[1:] = recipients[:-1]
        days["rolling_bound"] = recipients + np.where(follows, previous, 0)
        start = days["utc_day"].dt.tz_localize("UTC")
        days["utc_start"] = start
        days["age_days"] = age_days(start - pd.Timedelta(days=1), self.born, days["account"])
        days["cap_assumed"] = self.caps_assumed(days["account"], days["age_days"])
        self._days = days
        return days

    # --- pass 2: the rolling count at each send, where it matters ---------------------------

    def exact_everywhere(self) -> bool:
        if self.rolling == "all":
            return True
        if self.rolling == "near_cap":
            return False
        return not self.lazy

    def flagged_days(self) -> pd.DataFrame:
        """(account, acc_no, day, keep): the UTC days (as day numbers since 1970) the window
        reads; acc_no is the account's position among pass 1's (sorted) accounts.

        `keep` marks the days whose rolling maximum is wanted; the day before each of them
        is read too (keep false, unless wanted itself), since a window ending in a day
        reaches back into the day before and no further.
        """
        import numpy as np
        import pandas as pd

        days = self.utc_days()
        code = days["account"].cat.codes.to_numpy().astype(np.int64)
        number = _day_numbers(days["utc_day"])
        if self.exact_everywhere():
            near = np.ones(len(days), dtype=bool)
        else:
            caps = days["cap_assumed"].to_numpy(dtype=float, na_value=np.nan)
            near = self.quarter_bound(code, number) >= NEAR_CAP * caps
            near |= days["cap_hits"].to_numpy() > 0
        wanted = _keys(code[near], number[near])
        if self.tz != "UTC":  # a local day spans two UTC days: want its other one too
            wanted = np.unique(np.concatenate((wanted - 1, wanted, wanted + 1)))
        both = np.unique(np.concatenate((wanted, wanted - 1)))  # wanted days and the day before
        acc_no, day = _unkeys(both)
        names = np.asarray(days["account"].cat.categories, dtype=object)
        return pd.DataFrame(
            {
                "account": pd.array(names[acc_no], dtype="string"),
                "acc_no": acc_no.astype(np.int32),
                "day": day,
                "keep": np.isin(both, wanted),
            }
        )

    def quarter_bound(self, code: Any, number: Any) -> Any:
        """For each (account code, UTC day number): a tight bound on its rolling 24-hour
        maximum (0 for a day without accepted recipients).

        A window (t - 24 h, t] ending in one 6-hour bucket lies within that bucket and the
        four before it, so the largest sum of five consecutive buckets ending in the day
        bounds every window ending that day (tighter than the two-day sum). Prefix sums over
        the buckets sorted by account and bucket give each five-bucket sum.
        """
        import numpy as np

        self.groups  # noqa: B018 - pass 1 fills the buckets (table recipient_buckets)
        got = self.con.execute(
            "SELECT account, bucket, recipients FROM recipient_buckets WHERE recipients > 0"
        ).fetchdf()
        bucket_code = self.codes(got["account"])
        buckets = got["bucket"].to_numpy(np.int64)
        order = np.lexsort((buckets, bucket_code))
        key = _keys(bucket_code[order], buckets[order])
        total = np.concatenate(([0], np.cumsum(got["recipients"].to_numpy(np.int64)[order])))
        five = total[1:] - total[np.searchsorted(key, key - 4, side="left")]
        day_key = _keys(bucket_code[order], np.floor_divide(buckets[order], DAY_US // BUCKET_US))
        bound = np.zeros(len(code), dtype=np.int64)
        if len(day_key) == 0:
            return bound
        starts = np.flatnonzero(np.concatenate(([True], day_key[1:] != day_key[:-1])))
        maxima, firsts = np.maximum.reduceat(five, starts), day_key[starts]
        wanted = _keys(code, number)
        at = np.minimum(np.searchsorted(firsts, wanted), len(firsts) - 1)
        found = firsts[at] == wanted
        bound[found] = maxima[at[found]]
        return bound

    def account_numbers(self) -> pd.DataFrame:
        """(account, acc_no): each account's position among pass 1's (sorted) accounts."""
        import numpy as np
        import pandas as pd

        names = np.asarray(self.groups["account"].cat.categories, dtype=object)
        return pd.DataFrame(
            {
                "account": pd.array(names, dtype="string"),
                "acc_no": np.arange(len(names), dtype=np.int32),
            }
        )

    def codes(self, accounts: pd.Series) -> Any:
        """Each account's position among pass 1's (sorted) accounts."""
        import numpy as np
        import pandas as pd

        categories = self.groups["account"].cat.categories
        return pd.Categorical(accounts.astype(str), categories=categories).codes.astype(np.int64)

    def numbers(self) -> dict[str, Any]:
        """The accepted sends and cap hits of the wanted days, as numpy arrays sorted by
        account and time: acc_no, t (microseconds), sent, hit, n, n_null, row_id, and the
        rolling count at each (`rolling`, and `known`: whether any row in its window had a
        count). The day before each wanted day is read for the windows, not kept."""
        if self._numbers is None:
            import numpy as np

            con = self.con
            columns = """epoch_us(l.time) AS t, l.status = 'sent' AS sent, l.hit,
                  coalesce(l.n_recipients, 0) AS n, l.n_recipients IS NULL AS n_null, l.row_id"""
            if self.exact_everywhere():  # every day: no day list to join, only the accounts
                con.register("numbered_accounts", self.account_numbers())
                rows = con.execute(
                    f"""SELECT a.acc_no, {columns}, true AS keep
                    FROM log AS l JOIN numbered_accounts AS a ON l.account = a.account
                    WHERE l.status = 'sent' OR l.hit"""
                ).fetchnumpy()
                con.unregister("numbered_accounts")
            else:
                con.register("flagged_days", self.flagged_days())
                rows = con.execute(
                    f"""SELECT f.acc_no, {columns}, f.keep
                    FROM log AS l JOIN flagged_days AS f
                      ON l.account = f.account AND epoch_us(l.time) // {DAY_US} = f.day
                    WHERE l.status = 'sent' OR l.hit"""
                ).fetchnumpy()
                con.unregister("flagged_days")
            got = {name: np.asarray(values) for name, values in rows.items()}
            t = got["t"]
            if len(t) < 2 or bool((t[1:] >= t[:-1]).all()):  # a log in time order (the usual):
                order = np.argsort(got["acc_no"], kind="stable")  # a radix sort by account
            else:
                order = np.lexsort((t, got["acc_no"]))
            got = {name: values[order] for name, values in got.items()}
            sent = got["sent"].astype(bool)
            # an accepted send counts its recipients, a hit none; an accepted send without
            # a count is left out, as SQL's sum leaves out NULL
            accepted = np.where(sent, got["n"], 0).astype(np.int64)
            counted = ~sent | ~got["n_null"].astype(bool)
            got["rolling"], got["known"] = _rolling_sums(got["acc_no"], got["t"], accepted, counted)
            keep = got.pop("keep").astype(bool)
            self._numbers = {name: values[keep] for name, values in got.items()}
        return self._numbers

    def events_table(self) -> str:
        """Temp table `events`: sends and cap hits in the wanted days, with their counts.

        rolling_24h: accepted recipients in (t - 24 h, t], an accepted send's own included
        (a hit's not). The count since midnight (UTC) that hits need is worked out on the
        days with hits only (`hits`, `rolling_24h`).
        """
        if not self._events_made:
            import numpy as np
            import pandas as pd

            con = self.con
            got = self.numbers()
            numbers = pd.DataFrame({name: got[name] for name in _EVENT_COLUMNS})
            categories = self.groups["account"].cat.categories
            names = pd.DataFrame(
                {
                    "acc_no": np.arange(len(categories), dtype=np.int32),
                    "account": pd.Series(np.asarray(categories, dtype=object), dtype="string"),
                }
            )
            con.register("events_numbers", numbers)
            con.register("events_accounts", names)
            # the account as the log types it (a frame's categories come back as such)
            account_column, account_join = ("a.account", "")
            if not self.lazy:
                account_column = "d.account"
                account_join = (
                    "JOIN (SELECT DISTINCT account FROM log) AS d ON d.account = a.account"
                )
            con.execute(
                f"""CREATE OR REPLACE TEMP TABLE events AS
                SELECT *, {self.local_day("time")} AS day FROM (
                  SELECT {account_column} AS account,
                    CAST(make_timestamp(e.t) AS TIMESTAMPTZ) AS time, e.sent,
                    e.hit, CAST(CASE WHEN NOT e.n_null THEN e.n END AS INTEGER) AS n_recipients,
                    e.row_id, CASE WHEN e.known THEN e.rolling END AS rolling_24h
                  FROM events_numbers AS e JOIN events_accounts AS a ON a.acc_no = e.acc_no
                  {account_join}
                )"""
            )
            con.unregister("events_numbers")
            con.unregister("events_accounts")
            self._events_made = True
        return "events"

    @property
    def day_maxima(self) -> pd.DataFrame:
        """Per account, local day and UTC day of the wanted days: the most in 24 hours at an
        accepted send, the last accepted send, and how many accepted sends the window saw.

        Straight from the sorted numbers: each (account, local day, UTC day) is a run of
        rows, reduced in one step per column."""
        if self._maxima is None:
            import numpy as np
            import pandas as pd

            got = self.numbers()
            code, t = got["acc_no"].astype(np.int64), got["t"].astype(np.int64)
            utc = np.floor_divide(t, DAY_US)
            local = utc if self.tz == "UTC" else self._local_day_numbers(t)
            change = np.ones(len(t), dtype=bool)
            change[1:] = (code[1:] != code[:-1]) | (utc[1:] != utc[:-1])
            change[1:] |= local[1:] != local[:-1]
            starts = np.flatnonzero(change)
            sent = got["sent"].astype(bool)
            if len(t):
                counted = sent & got["known"].astype(bool)
                best = np.maximum.reduceat(np.where(counted, got["rolling"], -1), starts)
                last = np.maximum.reduceat(np.where(sent, t, np.iinfo(np.int64).min), starts)
                seen = np.add.reduceat(sent.astype(np.int64), starts)
            else:
                best = last = seen = np.zeros(0, dtype=np.int64)
            categories = self.groups["account"].cat.categories
            self._maxima = pd.DataFrame(
                {
                    "account": pd.Categorical.from_codes(code[starts], categories=categories),
                    "day": pd.to_datetime(local[starts], unit="D"),
                    "utc_day": pd.to_datetime(utc[starts], unit="D"),
                    "max_rolling_24h": pd.Series(best, dtype="Int64").where(best >= 0),
                    "last_time": pd.to_datetime(last, unit="us", utc=True).where(seen > 0),
                    "seen": seen,
                }
            )
        return self._maxima

    def _local_day_numbers(self, t: Any) -> Any:
        """The calendar day (days since 1970) in the analysis's zone of UTC microseconds."""
        import numpy as np
        import pandas as pd

        stamps = pd.DatetimeIndex(t.astype("datetime64[us]")).tz_localize("UTC")
        local = stamps.tz_convert(self.tz).tz_localize(None)
        return local.to_numpy().astype("datetime64[D]").astype(np.int64)

    @property
    def hits(self) -> pd.DataFrame:
        """Every cap hit in the log, with its counts, its reply, and the first accepted send
        after it (`next_send`: hits that share it make one pause). Every day with a hit is
        in the flagged spans."""
        if self._hits is None and self.exact_everywhere():
            self._hits = self._hits_from_numbers()
        if self._hits is None:
            table = self.events_table()
            self._hits = self.con.execute(
                f"""WITH hit_days AS (
                  SELECT DISTINCT account, CAST(time AS DATE) AS utc_day FROM {table} WHERE hit
                ), hits AS (
                  SELECT * EXCLUDE (hit) FROM (
                    SELECT e.account, e.time, e.rolling_24h AS recipients_24h,
                      CAST(sum(CASE WHEN e.sent THEN e.n_recipients ELSE 0 END) OVER (
                        PARTITION BY e.account, d.utc_day ORDER BY e.time
                        ROWS UNBOUNDED PRECEDING) AS BIGINT) AS recipients_today_utc,
                      e.n_recipients, e.row_id, e.hit
                    FROM {table} AS e
                    JOIN hit_days AS d
                      ON d.account = e.account AND d.utc_day = CAST(e.time AS DATE)
                  ) WHERE hit
                ), sends AS (
                  SELECT account, time AS next_send FROM log
                  WHERE status = 'sent' AND account IN (SELECT account FROM hits)
                ), paired AS (  -- each hit and the first accepted send after it
                  SELECT h.*, s.next_send FROM hits AS h ASOF LEFT JOIN sends AS s
                    ON h.account = s.account AND h.time < s.next_send
                ){_WITH_REPLIES}"""
            ).fetchdf()
            self._hits["account"] = self._hits["account"].astype(str)
        return self._hits

    def _hits_from_numbers(self) -> pd.DataFrame:
        """`hits` when the numbers hold every accepted send and hit (the rolling count
        everywhere): the count since midnight and the next accepted send in numpy over the
        sorted numbers; only the hits' replies are read from the log."""
        import numpy as np
        import pandas as pd

        got = self.numbers()
        code, t = got["acc_no"].astype(np.int64), got["t"].astype(np.int64)
        sent, hit = got["sent"].astype(bool), got["hit"].astype(bool)
        n = len(t)
        accepted = np.where(sent & ~got["n_null"].astype(bool), got["n"], 0).astype(np.int64)
        day = np.floor_divide(t, DAY_US)
        new_day = np.ones(n, dtype=bool)
        new_day[1:] = (code[1:] != code[:-1]) | (day[1:] != day[:-1])
        total = np.cumsum(accepted)
        before = np.where(new_day, total - accepted, 0)
        today = total - np.maximum.accumulate(before)  # since 00:00 UTC, a row's own included
        # the first accepted send strictly later than each row, in its account
        later = np.ones(n, dtype=bool)
        later[1:] = (code[1:] != code[:-1]) | (t[1:] != t[:-1])
        run_end = np.append(np.flatnonzero(later)[1:], n)[np.cumsum(later) - 1]
        sent_at = np.where(sent, np.arange(n), n)
        next_sent = np.append(np.minimum.accumulate(sent_at[::-1])[::-1], n)[run_end]
        found = next_sent < n
        found[found] = code[next_sent[found]] == code[found]
        at = np.flatnonzero(hit)
        next_us = np.where(found, t[np.minimum(next_sent, n - 1)], np.iinfo(np.int64).min)[at]
        numbers = pd.DataFrame(
            {
                "acc_no": code[at].astype(np.int32),  # the name joined in SQL: no 5M strings
                "t": t[at],
                "recipients_24h": np.where(got["known"][at], got["rolling"][at], -1),
                "recipients_today_utc": today[at],
                "n_recipients": np.where(got["n_null"][at], -1, got["n"][at]),
                "next_us": next_us,
                "row_id": got["row_id"][at],
            }
        )
        con = self.con
        con.register("hit_numbers", numbers)
        con.register("hit_accounts", self.account_numbers())
        frame: pd.DataFrame = con.execute(
            f"""WITH paired AS (
              SELECT a.account, CAST(make_timestamp(h.t) AS TIMESTAMPTZ) AS time,
                NULLIF(h.recipients_24h, -1) AS recipients_24h,
                CAST(h.recipients_today_utc AS BIGINT) AS recipients_today_utc,
                CAST(NULLIF(h.n_recipients, -1) AS INTEGER) AS n_recipients,
                CASE WHEN h.next_us > -9223372036854775808
                  THEN CAST(make_timestamp(h.next_us) AS TIMESTAMPTZ) END AS next_send,
                h.row_id
              FROM hit_numbers AS h JOIN hit_accounts AS a ON a.acc_no = h.acc_no
            ){_WITH_REPLIES}"""
        ).fetchdf()
        con.unregister("hit_numbers")
        con.unregister("hit_accounts")
        frame["account"] = frame["account"].astype(str)
        return frame


_WITH_REPLIES = """
SELECT p.account, p.time, p.recipients_24h, p.recipients_today_utc, p.n_recipients,
  p.next_send,
  CASE WHEN row_number() OVER by_time = 1 THEN true
    ELSE p.next_send IS DISTINCT FROM lag(p.next_send) OVER by_time END AS first_in_pause,
  l.code, l.enhanced, l.stage, l.category, l.text, l.source, l.line
FROM paired AS p JOIN (SELECT * FROM log WHERE hit) AS l ON l.row_id = p.row_id
WINDOW by_time AS (PARTITION BY p.account ORDER BY p.time, l.source, l.line)
ORDER BY p.account, p.time, l.source, l.line"""
"""After a relation `paired` of hits (account, time, the counts, next_send, row_id): each
hit with its reply from the log, and whether it is the first of its pause."""

_EVENT_COLUMNS = ("acc_no", "t", "sent", "hit", "n", "n_null", "row_id", "rolling", "known")
_OFFSET = 1 << 31


def _keys(code: Any, number: Any) -> Any:
    """One sortable int64 per (account code, day or bucket number): code in the high half."""
    import numpy as np

    return (np.asarray(code, dtype=np.int64) << 32) | (np.asarray(number, dtype=np.int64) + _OFFSET)


def _unkeys(keys: Any) -> tuple[Any, Any]:
    """The (account code, number) pairs of `_keys`."""
    return keys >> 32, (keys & 0xFFFFFFFF) - _OFFSET


def _day_numbers(days: pd.Series) -> Any:
    """Days since 1970 of a column of (naive) dates."""
    import numpy as np

    return days.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]").astype(np.int64)


def _rolling_sums(accounts: Any, times: Any, accepted: Any, counted: Any) -> tuple[Any, Any]:
    """The accepted recipients in (t - 24 h, t] at each row (a RANGE frame: rows at the same
    time count together), over rows sorted by account and time; and whether any row in that
    span had a count at all (SQL's sum of no values is NULL)."""
    import numpy as np

    total = np.concatenate(([0], np.cumsum(accepted, dtype=np.int64)))
    seen = np.concatenate(([0], np.cumsum(counted.astype(np.int64))))
    rolling = np.zeros(len(times), dtype=np.int64)
    known = np.zeros(len(times), dtype=bool)
    breaks = np.flatnonzero(np.diff(accounts)) + 1
    starts = np.concatenate(([0], breaks)).astype(np.int64)
    ends = np.concatenate((breaks, [len(times)])).astype(np.int64)
    reach = DAY_US - 1  # the window (t - 24 h, t]: 24 hours less a microsecond back
    for start, end in zip(starts.tolist(), ends.tolist(), strict=True):
        if start == end:
            continue
        span = times[start:end]
        high = np.searchsorted(span, span, side="right") + start
        low = np.searchsorted(span, span - reach, side="left") + start
        rolling[start:end] = total[high] - total[low]
        known[start:end] = seen[high] - seen[low] > 0
    return rolling, known


def daily_volume(
    log: LogLike,
    *,
    tz: str = "UTC",
    cap_model: CapModel | None = None,
    created: Created | None = None,
    rolling: Rolling = "auto",
) -> pd.DataFrame:
    """Per account and calendar day: volume, refusals, cap hits, the rolling maximum, the cap.

    Args:
        log: a SendLog or a normalised frame.
        tz: the zone whose calendar days count (UTC by default).
        cap_model: the assumed cap of an Outlook.com account by age (the guide's figures by
            default); an account the log shows to be Microsoft 365's gets its published
            limits (`caps.MICROSOFT_365`).
        created: account -> creation date; the first send in the log when missing.
        rolling: "all" computes the exact rolling 24-hour maximum on every day; "near_cap"
            only on the days with cap hits and the days where a 24-hour window could reach
            80% of the assumed cap (a bound from 6-hour sums says which; in a zone other
            than UTC, the UTC days around such a day too, so local days come out whole);
            "auto" is "all" for a frame in memory and "near_cap" for a large log read in
            place.

    Returns:
        account, day (the local date), messages, recipients, rejections, deferrals,
        cap_hits, max_rolling_24h (exact, or <NA> where not computed), rolling_bound (the
        day's and the previous day's recipients: no 24-hour window ending that day holds
        more), age_days, cap_assumed (the model's cap for that age) and share_of_cap.
    """
    passes = Passes(
        log, tz=tz, cap_model=cap_model or OUTLOOK_COM, created=created, rolling=rolling
    )
    return daily_from(passes)


def daily_from(passes: Passes) -> pd.DataFrame:
    import pandas as pd

    groups = passes.groups
    utc = passes.utc_days()[["account", "utc_day", "rolling_bound"]]
    summed = ["sent_rows", "messages", "recipients", "rejections", "deferrals", "cap_hits"]
    if passes.tz == "UTC":  # one group per UTC day, in the same order as the UTC days
        daily = groups[["account", "day", *summed]].copy()
        daily["rolling_bound"] = utc["rolling_bound"].to_numpy()
    else:
        days = groups.merge(utc, on=["account", "utc_day"], how="left")
        daily = (
            days.groupby(["account", "day"], as_index=False)
            .agg(
                **{name: (name, "sum") for name in summed},
                rolling_bound=("rolling_bound", "max"),
            )
            .sort_values(["account", "day"], ignore_index=True)
        )
    maxima = passes.day_maxima
    exact = maxima.groupby(["account", "day"], as_index=False).agg(
        max_rolling_24h=("max_rolling_24h", "max"), seen=("seen", "sum")
    )
    exact["day"] = pd.to_datetime(exact["day"])
    daily["day"] = pd.to_datetime(daily["day"])
    daily = daily.merge(exact, on=["account", "day"], how="left")
    complete = daily["seen"].fillna(0).astype("int64") == daily["sent_rows"]
    rolling_max = daily["max_rolling_24h"].where(complete & (daily["sent_rows"] > 0))
    daily["max_rolling_24h"] = rolling_max.astype("Int64")
    daily.loc[daily["sent_rows"] == 0, "max_rolling_24h"] = 0
    start = daily["day"].dt.tz_localize(passes.tz, ambiguous="NaT", nonexistent="shift_forward")
    daily["age_days"] = age_days(start.dt.tz_convert("UTC"), passes.born, daily["account"])
    daily["cap_assumed"] = passes.caps_assumed(daily["account"], daily["age_days"].fillna(0))
    daily["share_of_cap"] = daily["recipients"] / daily["cap_assumed"].astype(float)
    for name in ("messages", "recipients", "rejections", "deferrals", "cap_hits"):
        daily[name] = daily[name].astype("int64")
    daily["rolling_bound"] = daily["rolling_bound"].astype("Int64")
    daily["account"] = daily["account"].astype("category")
    return daily.drop(columns=["seen", "sent_rows"])[
        [
            "account", "day", "messages", "recipients", "rejections", "deferrals", "cap_hits",
            "max_rolling_24h", "rolling_bound", "age_days", "cap_assumed", "share_of_cap",
        ]
    ]  # fmt: skip


def rolling_24h(log: LogLike) -> pd.DataFrame:
    """The rolling 24-hour recipient count at every accepted send and at every cap hit.

    Returns:
        account, time, sent, hit, n_recipients, rolling_24h (accepted recipients in
        (t - 24 h, t], an accepted send's own included, a hit's not) and midnight_utc (the
        same since 00:00 UTC).
    """
    passes = Passes(log, rolling="all")
    frame: pd.DataFrame = passes.con.execute(
        f"""SELECT account, time, sent, hit, n_recipients, rolling_24h,
          CAST(sum(CASE WHEN sent THEN n_recipients ELSE 0 END) OVER (
            PARTITION BY account, CAST(time AS DATE) ORDER BY time ROWS UNBOUNDED PRECEDING)
            AS BIGINT) AS midnight_utc
        FROM {passes.events_table()} ORDER BY account, time"""
    ).fetchdf()
    return frame
