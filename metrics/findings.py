"""Findings the data proposes and people confirm: where the time goes, what changed, what explains slow cases.

Software surfaces the patterns of an offering's event log; a person decides
whether each is real and worth acting on (an algorithm cannot tell a needed
review from waste). Each finding is one dict:

    {"id", "kind", "step", "headline", "evidence", "at_stake_s"}

- `kind`: one of FINDING_KINDS (below); `step` the step it is about, or null.
- `headline`: one plain sentence with the numbers and how many cases or waits
  they rest on; `evidence`: the figures and their n (JSON-ready: numbers,
  strings, ISO dates, lists; null where undefined).
- `at_stake_s`: the time the finding concerns **per week**: its total over the
  cases in view divided by the view's span in weeks (from the first case start
  to the last event of the cases in view, at least one week), so findings of
  one offering rank by how much time they touch in an ordinary week. For a
  shift or an attribute effect it is the difference of the medians times the
  cases (or waits) per week it applies to. The findings come most important
  first: by `at_stake_s`, ties by kind, step and id.
- `id`: the first 16 hex digits of the SHA-256 of the offering, the kind, the
  step and the finding's defining parameters, never of its figures, so a
  person's verdict sticks across imports of the same data: bottleneck,
  non_value_step, handoff: nothing more; rework_loop: the step it goes back
  to; slower_than_standard: the standard minutes (a new standard asks again);
  high_variance: the measure ('wait' or 'process'); lead_time_shift and
  step_wait_shift: the direction ('rise' or 'fall') and the ISO date of the
  week the new level starts (a date found a week later on more data is a new
  finding); attribute_effect: the attribute, the value and the direction
  ('slower' or 'faster').

Definitions (../shared/METRICS.md), each figure taken from the metric function
that shows it elsewhere, so it is the same number on every page:

- `bottleneck`: the step with the largest total wait before it
  (metrics.steps.bottleneck) and its share of all the waiting before steps.
- `rework_loop`: a **round** starts where a case goes back: a work instance
  that repeats an activity (rework) and whose activity first occurred in the
  case no later than the previous work instance's (a "back edge" a → b); the
  round goes on over the following rework instances until a first occurrence
  or the next back edge. Every rework instance belongs to exactly one round.
  The time a round adds is the wait before and the process (touch) time of its
  instances: their part of the case's lead time. One finding per back edge a →
  b in at least LOOP_MIN_CASES cases and LOOP_MIN_SHARE of the cases in view;
  its path is the most frequent a → (the round's steps).
- `non_value_step`: a work step the catalog classifies `waste`, with its
  process time and the wait before it (metrics.steps.steps); its time at stake
  is both.
- `slower_than_standard`: a step with standard minutes whose median measured
  process time (instances with a known start: the others *are* the standard)
  is at least STANDARD_FACTOR times the standard and at least
  MIN_DIFFERENCE_S longer, over at least MIN_INSTANCES instances. At stake:
  each instance's time beyond the standard.
- `high_variance`: the p95/p50 ratio of a step's wait before it, or of its
  process time (metrics.steps.steps), compared with the same ratio of the
  stream's other steps on a log scale: "far above" means more than twice the
  other steps' median ratio and more than three robust standard deviations
  (1.4826 × the median absolute deviation) of their log ratios above it. Only
  steps with MIN_INSTANCES values and a median above 0 take part, and at
  least three others are needed. At stake: the time beyond the median.
- `lead_time_shift`, `step_wait_shift`: a sustained change of level found by
  metrics.changepoint (ruptures plus a permutation test) in a weekly series:
  * lead time: the median lead time of the cases **started** each week (first
    start; the split the experiments use);
  * wait before a step: the median of the waits that **began** each week (the
    end of the work before the step): a change to a queue acts on the work
    arriving at it from then on, whatever case it belongs to.
  Censoring: a recent week's slow cases are still open, so its completed
  cases alone would read as "faster". A week counts only once all of it has
  been watched for a horizon T: for lead time T = the p85 of the completed
  cases' lead times (metrics.compare's equal follow-up), and each case counts
  as min(lead time, T), an open case as T (it has been open at least T); for a
  step's waits T = the p95 of its waits (a wait still running is not in the
  data, and after T only the longest 5% can be missing). Thin weeks are left
  out (`weekly_medians`), and so are the steps holding less
  than SHIFT_MIN_WAIT_SHARE of all the waiting before steps (a log of
  hundreds of rare steps would otherwise spend the test's power, and the
  time, on queues nobody waits in); the series are on a log scale
  (log(median + LOG_OFFSET_S)); a change needs MIN_SEGMENT_WEEKS weeks on each
  side. Significance: the tests of all the offering's series share one
  family-wise level ALPHA (Bonferroni over the series searched), and the
  medians of the cases on either side must differ by at least
  MIN_RELATIVE_SHIFT and MIN_DIFFERENCE_S. A recorded change (date, title) is
  named, the nearest one, when its date lies within RECORDED_CHANGE_DAYS of
  the found week, or further by up to the median lead time in the direction a
  change travels: for lead time after the found week (cases started shortly
  before a change still pass through it), for a step's wait before it (a
  change upstream reaches the step's queue later).
- `attribute_effect`: every attribute value held by at least MIN_CASES
  watched cases (and not by at least MIN_CASES others) is tried: the capped
  lead times above, with T the p95 (ATTRIBUTE_FOLLOW_UP_QUANTILE) rather than
  the p85, of its cases against the other watched cases, two-sided
  Mann–Whitney, Bonferroni's correction over all the values tried
  (family-wise ALPHA), and medians at least MIN_EFFECT_RATIO apart and
  MIN_DIFFERENCE_S. Within an attribute the values are found one at a time,
  each next one compared with the cases holding none of the values found
  before (otherwise one slow value makes its siblings look fast against "the
  rest"). A case holds a value when one of its events has it (the attribute
  filter's rule, so the cases behind a finding are the filter's). Only case
  attributes take part (`case_level_attributes`); at most
  MAX_VALUES_PER_ATTRIBUTE values of one attribute are found (a numeric
  attribute such as an amount would otherwise fill the list); and values
  marking nearly the same cases (one's cases at least SAME_CASES_OVERLAP
  within the other's, effect the same way) are one finding, listed in its
  `same_cases`.
- `handoff`: a step whose resource differs from the previous work instance's
  in more than HANDOFF_SHARE of its instances (both known, at least
  MIN_INSTANCES), where the median wait before the handed-over instances is at
  least HANDOFF_WAIT_FACTOR times the stream's median wait before a step and
  MIN_DIFFERENCE_S more. At stake: the waits before the handed-over instances.

Waiting-state instances are queues, not steps (METRICS.md): no finding is
about one, and their time is in the wait before the next work step. Where a
step has no start times, its "wait" is the time between completions (METRICS.md
calls it elapsed): the headlines of the findings about waits say so, and their
evidence has `elapsed` true.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import date, datetime, timedelta
from functools import cached_property
from typing import Any

import numpy as np
import polars as pl

from metrics.changepoint import level_shifts, seed_for
from metrics.compare import FOLLOW_UP_QUANTILE
from metrics.derived import derive_all
from metrics.filters import CaseFilter, apply_filters, filter_cases, instances_of_cases
from metrics.stats import duration_text, json_number
from metrics.steps import bottleneck, steps
from metrics.summary import ENGINE
from metrics.variants import VARIANT_SEPARATOR
from model import WEEK
from model.imports import import_once

FINDING_KINDS = (
    "bottleneck",
    "rework_loop",
    "non_value_step",
    "slower_than_standard",
    "high_variance",
    "lead_time_shift",
    "step_wait_shift",
    "attribute_effect",
    "handoff",
)

MIN_CASES = 20
"""An attribute value needs this many cases, and so do the cases without it."""
MIN_INSTANCES = 20
"""A step's median or p95 is a finding only over this many values."""
MIN_DIFFERENCE_S = 600.0
"""Below ten minutes a difference is never a finding."""
STANDARD_FACTOR = 3.0
ALPHA = 0.01
"""Family-wise level of each family of tests in one offering: the shifts, the attribute values."""
MIN_SEGMENT_WEEKS = 4
MIN_WEEK_VALUES = 3
THIN_WEEK_SHARE = 0.25
MIN_RELATIVE_SHIFT = 0.2
MIN_EFFECT_RATIO = 1.25
LOG_OFFSET_S = 600.0
"""Added before taking logs, so that waits near 0 do not turn minutes into huge ratios."""
WAIT_FOLLOW_UP_QUANTILE = 0.95
SHIFT_MIN_WAIT_SHARE = 0.01
"""A step's wait is searched for shifts only if it holds this share of all the waiting."""
RECORDED_CHANGE_DAYS = 7
CASE_ATTRIBUTE_SHARE = 0.95
ATTRIBUTE_FOLLOW_UP_QUANTILE = 0.95
"""Attribute effects watch cases longer than the shifts (p95, not p85): a slow group is
often slower than most cases, and its median must not be the horizon itself."""
SAME_CASES_OVERLAP = 0.9
MAX_VALUES_PER_ATTRIBUTE = 3
LOOP_MIN_CASES = 10
LOOP_MIN_SHARE = 0.02
HANDOFF_SHARE = 0.5
HANDOFF_WAIT_FACTOR = 2.0
VARIANCE_MIN_FACTOR = 2.0
VARIANCE_ROBUST_SDS = 3.0
VARIANCE_MIN_OTHERS = 3
_MAD_TO_SD = 1.4826
_PATH_SHOWN = 6

ATTRIBUTE_SCHEMA: dict[str, pl.DataType] = {
    "case_id": pl.String(),
    "attribute": pl.String(),
    "value": pl.String(),
}
"""One row per (case, attribute, value) held by one of the case's events; values as text
(JSON strings as they are, other JSON values as JSON: 5, 1.5, true)."""

ROUND_SCHEMA: dict[str, pl.DataType] = {
    "case_index": pl.UInt32(),
    "case_id": pl.String(),
    "from_activity": pl.String(),
    "to_activity": pl.String(),
    "first_seq": pl.UInt32(),
    "path": pl.List(pl.String()),
    "instances": pl.UInt32(),
    "added_s": pl.Float64(),
    "process_unknown": pl.UInt32(),
}
"""One row per rework round (see the module docstring): the back edge `from_activity` →
`to_activity`, the position of its first instance, `path` = from_activity then the
round's activities, `added_s` = the waits before and the touch time of the round's
instances (unknown process times count 0 and are counted in `process_unknown`)."""

WEEKLY_SCHEMA: dict[str, pl.DataType] = {
    "series": pl.String(),
    "week": pl.Date(),
    "values": pl.UInt32(),
    "median_s": pl.Float64(),
}
"""The weekly series the shifts are found in: `series` is '' for lead time, else the step."""

WATCHED_SCHEMA: dict[str, pl.DataType] = {
    "series": pl.String(),
    "case_id": pl.String(),
    "week": pl.Date(),
    "value_s": pl.Float64(),
    "capped": pl.Boolean(),
}
"""The values behind the weekly series: a watched case's capped lead time (series ''),
or a wait before a step (series = the step), with the week it started or began;
`capped`: the value is the horizon because the case took longer or is still open."""


@dataclass(frozen=True)
class Finding:
    """One finding; `to_json` gives the issue's dict."""

    id: str
    kind: str
    step: str | None
    headline: str
    evidence: dict[str, Any]
    at_stake_s: float

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "step": self.step,
            "headline": self.headline,
            "evidence": self.evidence,
            "at_stake_s": json_number(self.at_stake_s),
        }


def finding_id(offering: str, kind: str, step: str | None, *params: str) -> str:
    """The stable id: a hash of what the finding is about, never of its figures."""
    text = "\x1f".join([offering, kind, step or "", *params])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _make(
    offering: str,
    kind: str,
    step: str | None,
    params: Sequence[str],
    headline: str,
    evidence: dict[str, Any],
    at_stake_s: float,
) -> Finding:
    clean = {k: json_number(v) for k, v in evidence.items()}
    return Finding(
        finding_id(offering, kind, step, *params), kind, step, headline, clean, at_stake_s
    )


def _n(count: int) -> str:
    return f"{count:,}"


def _pct(share: float) -> str:
    return f"{share:.0%}"


def _day(day: date) -> str:
    return f"{day.day} {day:%b %Y}"


def _path_text(path: Sequence[str]) -> str:
    if len(path) <= _PATH_SHOWN:
        return VARIANT_SEPARATOR.join(path)
    return VARIANT_SEPARATOR.join([*path[:3], "…", *path[-2:]])


_WORK = pl.col("kind") != "waiting"
_ELAPSED = "; with no start times in the log, these waits are the times between completions"


def case_attributes(events: pl.DataFrame) -> pl.DataFrame:
    """(case_id, attribute, value) of one offering's events frame (ATTRIBUTE_SCHEMA), unique rows.

    The instances frame does not carry the events' JSON `attributes`; this is
    the frame `find` takes instead. Each distinct JSON text is parsed once (a
    case-level attribute repeats on every event of its case); JSON nulls and
    values that are objects or lists are left out.
    """
    pairs = events.select("case_id", "attributes").drop_nulls().unique()
    texts = pairs["attributes"].unique().to_list()
    keys: list[str] = []
    attrs: list[str] = []
    values: list[str] = []
    for text in texts:
        try:
            parsed = json.loads(text)
        except ValueError:
            continue
        if not isinstance(parsed, dict):
            continue
        for name, value in parsed.items():
            if value is None or isinstance(value, dict | list):
                continue
            keys.append(text)
            attrs.append(str(name))
            values.append(value if isinstance(value, str) else json.dumps(value))
    parsed_frame = pl.DataFrame(
        {"attributes": keys, "attribute": attrs, "value": values},
        schema={"attributes": pl.String(), "attribute": pl.String(), "value": pl.String()},
    )
    return (
        pairs.join(parsed_frame, on="attributes", how="inner")
        .select(list(ATTRIBUTE_SCHEMA))
        .unique()
        .sort(list(ATTRIBUTE_SCHEMA))
    )


def rework_rounds(instances: pl.LazyFrame) -> pl.LazyFrame:
    """Every rework round of the cases given (ROUND_SCHEMA), in case order.

    `instances` is `derive_instances`'s frame (sorted by case_index, seq).
    """
    work = instances.filter(_WORK).select(
        "case_index",
        "case_id",
        "seq",
        "activity",
        "is_rework",
        "wait_before_s",
        "touch_s",
    )
    same_case = pl.col("case_index") == pl.col("case_index").shift(1)
    first_seq = pl.col("seq").min().over(["case_index", "activity"])
    marked = (
        work.with_columns(_first=first_seq)
        .with_columns(
            _prev_activity=pl.when(same_case).then(pl.col("activity").shift(1)),
            _back=(
                same_case & pl.col("is_rework") & (pl.col("_first") <= pl.col("_first").shift(1))
            ).fill_null(False),
        )
        .with_columns(_round=pl.col("_back").cast(pl.UInt32).cum_sum())
        .filter(pl.col("is_rework"))
    )
    return (
        marked.group_by("_round", maintain_order=True)
        .agg(
            case_index=pl.col("case_index").first(),
            case_id=pl.col("case_id").first(),
            from_activity=pl.col("_prev_activity").first(),
            to_activity=pl.col("activity").first(),
            first_seq=pl.col("seq").first().cast(pl.UInt32),
            _round_steps=pl.col("activity"),
            instances=pl.len().cast(pl.UInt32),
            added_s=(
                pl.col("wait_before_s").fill_null(0.0) + pl.col("touch_s").fill_null(0.0)
            ).sum(),
            process_unknown=pl.col("touch_s").is_null().sum().cast(pl.UInt32),
        )
        .with_columns(path=pl.concat_list("from_activity", "_round_steps"))
        .select([pl.col(name).cast(dtype) for name, dtype in ROUND_SCHEMA.items()])
    )


def lead_time_horizon(cases: pl.DataFrame, quantile: float = FOLLOW_UP_QUANTILE) -> float | None:
    """T for lead time: a quantile (p85) of the completed cases' lead times (None when none completed)."""
    value = (
        cases.filter(pl.col("completed"))
        .select(pl.col("lead_time_s").quantile(quantile, interpolation="linear"))
        .item()
    )
    return None if value is None else float(value)


def _watched_until(data_end: datetime, horizon_s: pl.Expr) -> pl.Expr:
    """The last week start whose whole week has been watched for `horizon_s` by `data_end`."""
    end = pl.lit(data_end, dtype=pl.Datetime("us", "UTC"))
    return (
        end - pl.duration(microseconds=(horizon_s * 1_000_000).cast(pl.Int64)) - pl.duration(days=7)
    )


def watched_lead_times(cases: pl.LazyFrame, data_end: datetime, horizon_s: float) -> pl.LazyFrame:
    """Cases of the weeks watched for `horizon_s`, each lead time capped at it (WATCHED_SCHEMA).

    A week (Monday to Monday, UTC, by first start) counts once it ended at
    least `horizon_s` before `data_end`; a case completed within the horizon
    counts its lead time, any other (slower, or still open) the horizon.
    """
    week = pl.col("first_start").dt.truncate("1w")
    within = pl.col("completed") & (pl.col("lead_time_s") <= horizon_s)
    frame = cases.filter(week <= _watched_until(data_end, pl.lit(horizon_s))).select(
        series=pl.lit(""),
        case_id="case_id",
        week=week.dt.date(),
        value_s=pl.when(within).then(pl.col("lead_time_s")).otherwise(pl.lit(horizon_s)),
        capped=~within,
    )
    return frame.select([pl.col(n).cast(t) for n, t in WATCHED_SCHEMA.items()])


def watched_step_waits(instances: pl.LazyFrame, data_end: datetime) -> pl.LazyFrame:
    """Waits before each work step, by the week they began, in weeks watched long enough (WATCHED_SCHEMA).

    A wait began at the step's start minus the wait. A step's week counts once
    it ended at least the p95 of the step's waits before `data_end`.
    """
    wait = pl.col("wait_before_s")
    began = pl.col("start_or_end") - pl.duration(microseconds=(wait * 1_000_000).cast(pl.Int64))
    horizon = wait.quantile(WAIT_FOLLOW_UP_QUANTILE, interpolation="linear").over("activity")
    frame = (
        instances.filter(_WORK & wait.is_not_null())
        .with_columns(_week=began.dt.truncate("1w"))
        .filter(pl.col("_week") <= _watched_until(data_end, horizon))
        .select(
            series="activity",
            case_id="case_id",
            week=pl.col("_week").dt.date(),
            value_s=wait,
            capped=pl.lit(False),
        )
    )
    return frame.select([pl.col(n).cast(t) for n, t in WATCHED_SCHEMA.items()])


def step_horizon(instances: pl.DataFrame, activity: str) -> float | None:
    """T for the waits before a step: the p95 of its waits (None when nothing waited before it)."""
    value = (
        instances.filter(_WORK & (pl.col("activity") == activity))["wait_before_s"]
        .drop_nulls()
        .quantile(WAIT_FOLLOW_UP_QUANTILE, interpolation="linear")
    )
    return None if value is None else float(value)


def weekly_medians(watched: pl.LazyFrame) -> pl.LazyFrame:
    """Per series and week: how many values and their median (WEEKLY_SCHEMA), thin weeks left out.

    A week is thin with fewer than MIN_WEEK_VALUES values, or fewer than
    THIN_WEEK_SHARE of its series' median week. The permutation test takes the
    weeks as exchangeable; the median of a thin week is far noisier than the
    others', and thin weeks bunch where the data begins (a later step's queue
    fills over the first weeks), where a few of them would read as a change.
    """
    usual = pl.col("values").median().over("series")
    frame = (
        watched.group_by("series", "week")
        .agg(
            values=pl.len().cast(pl.UInt32),
            median_s=pl.col("value_s").quantile(0.5, interpolation="linear"),
        )
        .filter(
            (pl.col("values") >= MIN_WEEK_VALUES) & (pl.col("values") >= THIN_WEEK_SHARE * usual)
        )
        .sort("series", "week")
    )
    return frame.select([pl.col(n).cast(t) for n, t in WEEKLY_SCHEMA.items()])


@dataclass
class _View:
    """One offering's view, collected once for every finder."""

    offering: str
    instances: pl.DataFrame
    cases: pl.DataFrame
    catalog: pl.DataFrame
    steps: pl.DataFrame
    data_end: datetime
    weeks: float
    changes: list[tuple[date, str]] = field(default_factory=list)

    def per_week(self, total_s: float) -> float:
        return total_s / self.weeks

    def step_row(self, activity: str) -> dict[str, Any] | None:
        rows = self.steps.filter(pl.col("activity") == activity)
        return rows.row(0, named=True) if rows.height else None

    def elapsed(self, activity: str) -> bool:
        """No instance of the step has a start: its "waits" are times between completions."""
        return bool(self.work.filter(pl.col("activity") == activity)["start"].is_null().all())

    @cached_property
    def work(self) -> pl.DataFrame:
        """The work instances: waiting-state instances are queues, not steps."""
        return self.instances.filter(_WORK)


def _bottleneck(v: _View) -> list[Finding]:
    neck = bottleneck(v.steps.lazy(), by=()).collect(engine=ENGINE)
    if neck.height == 0:
        return []
    step, share = neck["activity"][0], neck["wait_share"][0]
    row = v.step_row(step)
    assert row is not None
    # A median far below the mean (most waits short, a few very long) would make
    # "a median 1 min" the bottleneck with no explanation: the mean gives it.
    p50, mean = row["wait_before_s_p50"], row["wait_before_s_mean"]
    spread = f" (mean {duration_text(mean)})" if mean > 2 * p50 else ""
    headline = (
        f"Cases wait a median {duration_text(p50)}{spread} before {step}: "
        f"{_pct(share)} of all waiting before steps ({_n(row['wait_before_s_n'])} waits in "
        f"{_n(row['cases'])} cases){_ELAPSED if v.elapsed(step) else ''}."
    )
    evidence = {
        "elapsed": v.elapsed(step),
        "wait_share": share,
        "wait_before_s_p50": row["wait_before_s_p50"],
        "wait_before_s_p85": row["wait_before_s_p85"],
        "wait_before_s_mean": mean,
        "wait_before_s_sum": row["wait_before_s_sum"],
        "waits": row["wait_before_s_n"],
        "cases": row["cases"],
    }
    return [
        _make(
            v.offering,
            "bottleneck",
            step,
            (),
            headline,
            evidence,
            v.per_week(row["wait_before_s_sum"]),
        )
    ]


def _rework_loops(v: _View) -> list[Finding]:
    rounds = rework_rounds(v.instances.lazy()).collect(engine=ENGINE)
    if rounds.height == 0:
        return []
    total_cases = v.cases.height
    per_edge = rounds.group_by("from_activity", "to_activity").agg(
        cases=pl.col("case_index").n_unique().cast(pl.Int64),
        rounds=pl.len().cast(pl.Int64),
        added_s_sum=pl.col("added_s").sum(),
        added_s_p50=pl.col("added_s").quantile(0.5, interpolation="linear"),
        process_unknown=pl.col("process_unknown").sum().cast(pl.Int64),
    )
    paths = (
        rounds.group_by("from_activity", "to_activity", "path")
        .agg(path_rounds=pl.len())
        .with_columns(_label=pl.col("path").list.join("\x1f"))
        .sort(
            ["from_activity", "to_activity", "path_rounds", "_label"],
            descending=[False, False, True, False],
        )
        .group_by("from_activity", "to_activity", maintain_order=True)
        .first()
    )
    frame = per_edge.join(paths, on=["from_activity", "to_activity"]).filter(
        (pl.col("cases") >= LOOP_MIN_CASES) & (pl.col("cases") >= LOOP_MIN_SHARE * total_cases)
    )
    out = []
    for r in frame.iter_rows(named=True):
        step, target, path = r["from_activity"], r["to_activity"], list(r["path"])
        share = r["cases"] / total_cases
        step_row = v.step_row(step)
        headline = (
            f"Work goes back from {step} to {target} in {_pct(share)} of cases "
            f"({_n(r['cases'])} of {_n(total_cases)}), most often {_path_text(path)}; each round "
            f"adds a median {duration_text(r['added_s_p50'])}."
        )
        evidence = {
            "from_step": step,
            "to_step": target,
            "path": path,
            "path_rounds": r["path_rounds"],
            "cases": r["cases"],
            "case_share": share,
            "cases_in_view": total_cases,
            "rounds": r["rounds"],
            "added_s_p50": r["added_s_p50"],
            "added_s_sum": r["added_s_sum"],
            "process_time_unknown_instances": r["process_unknown"],
            "step_rework_share": step_row["rework_share"] if step_row else None,
        }
        out.append(
            _make(
                v.offering,
                "rework_loop",
                step,
                (target,),
                headline,
                evidence,
                v.per_week(r["added_s_sum"]),
            )
        )
    return out


def _non_value_steps(v: _View) -> list[Finding]:
    waste = v.catalog.filter((pl.col("value_class") == "waste") & (pl.col("kind") != "waiting"))[
        "activity"
    ].to_list()
    out = []
    for step in sorted(set(waste)):
        row = v.step_row(step)
        if row is None:
            continue
        process = row["process_time_s_p50"]
        work = (
            f"takes a median {duration_text(process)}"
            if process is not None
            else "takes an unknown time (no start times, no standard minutes)"
        )
        wait = (
            f", after a median wait of {duration_text(row['wait_before_s_p50'])}"
            if row["wait_before_s_p50"] is not None
            else ""
        )
        headline = (
            f"{step}, marked waste in the catalog, {work} in each of its "
            f"{_n(row['instances'])} instances ({_n(row['cases'])} cases){wait}."
        )
        evidence = {
            "instances": row["instances"],
            "cases": row["cases"],
            "process_time_s_p50": process,
            "process_time_s_sum": row["process_time_s_sum"],
            "process_time_s_n": row["process_time_s_n"],
            "wait_before_s_p50": row["wait_before_s_p50"],
            "wait_before_s_sum": row["wait_before_s_sum"],
            "waits": row["wait_before_s_n"],
        }
        total = (row["process_time_s_sum"] or 0.0) + (row["wait_before_s_sum"] or 0.0)
        out.append(
            _make(v.offering, "non_value_step", step, (), headline, evidence, v.per_week(total))
        )
    return out


def _slower_than_standard(v: _View) -> list[Finding]:
    standards = v.catalog.filter(
        pl.col("standard_minutes").is_not_null() & (pl.col("kind") != "waiting")
    )
    out = []
    for step, minutes in standards.select("activity", "standard_minutes").iter_rows():
        measured = (
            v.work.filter((pl.col("activity") == step) & pl.col("start").is_not_null())["process_s"]
            .drop_nulls()
            .to_numpy()
        )
        if measured.size < MIN_INSTANCES:
            continue
        standard_s = minutes * 60.0
        median = float(np.percentile(measured, 50))
        if median < STANDARD_FACTOR * standard_s or median - standard_s < MIN_DIFFERENCE_S:
            continue
        ratio = median / standard_s if standard_s > 0 else None
        times = f" ({ratio:.1f}×" if ratio is not None else " ("
        headline = (
            f"{step} takes a median {duration_text(median)} against a standard of "
            f"{duration_text(standard_s)}{times}{', ' if ratio is not None else ''}"
            f"{_n(measured.size)} measured instances)."
        )
        excess = float(np.clip(measured - standard_s, 0.0, None).sum())
        evidence = {
            "standard_s": standard_s,
            "process_time_s_p50": median,
            "ratio": ratio,
            "measured_instances": int(measured.size),
            "excess_s_sum": excess,
        }
        out.append(
            _make(
                v.offering,
                "slower_than_standard",
                step,
                (repr(float(minutes)),),
                headline,
                evidence,
                v.per_week(excess),
            )
        )
    return out


_MEASURES = (("wait", "wait_before_s", "wait_before_s"), ("process", "process_time_s", "process_s"))


def _high_variance(v: _View) -> list[Finding]:
    out = []
    for measure, prefix, column in _MEASURES:
        eligible = v.steps.filter(
            (pl.col(f"{prefix}_n") >= MIN_INSTANCES)
            & (pl.col(f"{prefix}_p50") > 0)
            & pl.col(f"{prefix}_p95").is_not_null()
        ).with_columns(_log_ratio=(pl.col(f"{prefix}_p95") / pl.col(f"{prefix}_p50")).log())
        if eligible.height < VARIANCE_MIN_OTHERS + 1:
            continue
        logs = eligible["_log_ratio"].to_numpy()
        for i, row in enumerate(eligible.iter_rows(named=True)):
            others = np.delete(logs, i)
            centre = float(np.median(others))
            spread = _MAD_TO_SD * float(np.median(np.abs(others - centre)))
            bar = centre + max(VARIANCE_ROBUST_SDS * spread, math.log(VARIANCE_MIN_FACTOR))
            if logs[i] <= bar:
                continue
            step = row["activity"]
            p50, p95 = row[f"{prefix}_p50"], row[f"{prefix}_p95"]
            values = v.work.filter(pl.col("activity") == step)[column].drop_nulls().to_numpy()
            excess = float(np.clip(values - p50, 0.0, None).sum())
            ratio, typical = p95 / p50, math.exp(centre)
            what, unit = (
                (f"The wait before {step}", "waits")
                if measure == "wait"
                else (f"The process time of {step}", "instances")
            )
            headline = (
                f"{what} varies far more than at the other steps: its p95 of "
                f"{duration_text(p95)} is {ratio:.1f}× its median of {duration_text(p50)}, "
                f"against a typical {typical:.1f}× at the other {len(others)} steps "
                f"({_n(row[f'{prefix}_n'])} {unit})"
                f"{_ELAPSED if measure == 'wait' and v.elapsed(step) else ''}."
            )
            evidence = {
                "measure": measure,
                "p50_s": p50,
                "p95_s": p95,
                "ratio": ratio,
                "n": row[f"{prefix}_n"],
                "other_steps": len(others),
                "other_steps_ratio_p50": typical,
                "threshold_ratio": math.exp(bar),
                "beyond_median_s_sum": excess,
            }
            out.append(
                _make(
                    v.offering,
                    "high_variance",
                    step,
                    (measure,),
                    headline,
                    evidence,
                    v.per_week(excess),
                )
            )
    return out


def handed_over(work: pl.DataFrame) -> pl.DataFrame:
    """The work instances whose resource and the previous work instance's are both known and
    that have a wait before them, with `_prev_resource` and `_handoff` (the two differ).

    `work` is the work instances of `derive_instances`'s frame, in case order.
    """
    same_case = pl.col("case_index") == pl.col("case_index").shift(1)
    return (
        work.with_columns(_prev_resource=pl.when(same_case).then(pl.col("resource").shift(1)))
        .filter(
            pl.col("wait_before_s").is_not_null()
            & pl.col("resource").is_not_null()
            & pl.col("_prev_resource").is_not_null()
        )
        .with_columns(_handoff=pl.col("resource") != pl.col("_prev_resource"))
    )


HANDOFF_COLUMNS = ["case_index", "case_id", "activity", "resource", "wait_before_s"]
"""The instance columns `handed_over` and what lies behind a hand-off finding read."""


def _handoffs(v: _View) -> list[Finding]:
    work = v.work
    frame = handed_over(work)
    stream_p50 = work["wait_before_s"].drop_nulls().quantile(0.5, interpolation="linear")
    if frame.height == 0 or stream_p50 is None:
        return []
    per_step = (
        frame.group_by("activity")
        .agg(
            known=pl.len(),
            handoffs=pl.col("_handoff").sum(),
            wait_p50=pl.col("wait_before_s")
            .filter(pl.col("_handoff"))
            .quantile(0.5, interpolation="linear"),
            same_wait_p50=pl.col("wait_before_s")
            .filter(~pl.col("_handoff"))
            .quantile(0.5, interpolation="linear"),
            wait_sum=pl.col("wait_before_s").filter(pl.col("_handoff")).sum(),
        )
        .with_columns(share=pl.col("handoffs") / pl.col("known"))
        .filter(
            (pl.col("known") >= MIN_INSTANCES)
            & (pl.col("share") > HANDOFF_SHARE)
            & (pl.col("wait_p50") >= HANDOFF_WAIT_FACTOR * stream_p50)
            & (pl.col("wait_p50") >= stream_p50 + MIN_DIFFERENCE_S)
        )
        .sort("activity")
    )
    pairs = (
        frame.filter(pl.col("_handoff"))
        .group_by("activity", "_prev_resource", "resource")
        .agg(pairs=pl.len())
        .sort(
            ["activity", "pairs", "_prev_resource", "resource"],
            descending=[False, True, False, False],
        )
        .group_by("activity", maintain_order=True)
        .first()
    )
    out = []
    for r in per_step.join(pairs, on="activity", how="left").iter_rows(named=True):
        step = r["activity"]
        ratio = r["wait_p50"] / stream_p50 if stream_p50 > 0 else math.inf
        # Past tenfold a ratio says little: the stream's usual wait is then near nothing.
        factor = (
            f", {ratio:.1f}× the stream's median wait of {duration_text(stream_p50)}"
            if ratio < 10
            else f", against a median wait of {duration_text(stream_p50)} across the stream"
        )
        headline = (
            f"{step} changes hands in {_pct(r['share'])} of its {_n(r['known'])} instances "
            f"(most often {r['_prev_resource']} → {r['resource']}), and work then waits a median "
            f"{duration_text(r['wait_p50'])} before it{factor}"
            f"{_ELAPSED if v.elapsed(step) else ''}."
        )
        evidence = {
            "elapsed": v.elapsed(step),
            "handoff_share": r["share"],
            "handoffs": r["handoffs"],
            "instances_with_resources": r["known"],
            "wait_before_s_p50_handoff": r["wait_p50"],
            "wait_before_s_p50_same_resource": r["same_wait_p50"],
            "stream_wait_before_s_p50": stream_p50,
            "wait_before_s_sum_handoff": r["wait_sum"],
            "commonest_handoff": [r["_prev_resource"], r["resource"]],
            "commonest_handoff_count": r["pairs"],
        }
        out.append(
            _make(v.offering, "handoff", step, (), headline, evidence, v.per_week(r["wait_sum"]))
        )
    return out


def _recorded_near(
    v: _View, found: date, earlier: timedelta, later: timedelta
) -> tuple[date, str] | None:
    """The recorded change nearest to `found` within [found − earlier, found + later]."""
    near = [
        (abs((day - found).days), day, title)
        for day, title in v.changes
        if found - earlier <= day <= found + later
    ]
    if not near:
        return None
    _, day, title = min(near)
    return day, title


def _recorded_words(found: date, recorded: tuple[date, str] | None) -> str:
    if recorded is None:
        return "no change was recorded near that date"
    day, title = recorded
    gap = (day - found).days
    when = (
        ""
        if abs(gap) <= RECORDED_CHANGE_DAYS
        else f" ({abs(gap)} days {'later' if gap > 0 else 'earlier'})"
    )
    return f"a change was recorded on {_day(day)}{when}: {title}"


def _compared(
    new_s: float,
    old_s: float,
    more: str = "more",
    less: str = "less",
    extreme: tuple[str, str] = ("up from", "down from"),
) -> str:
    """'84% less than the 14.0 d', '3.6× the 46.2 h', 'up from the 0 min': one level against another.

    Past tenfold either way a percentage or a ratio stops meaning much (and a
    level of 0 has none), so the words then only say which way (`extreme`).
    """
    old = duration_text(old_s)
    ratio = new_s / old_s if old_s > 0 else math.inf
    if ratio >= 10:
        return f"{extreme[0]} the {old}"
    if ratio >= 2:
        return f"{ratio:.1f}× the {old}"
    if ratio > 1:
        return f"{_pct(ratio - 1)} {more} than the {old}"
    if ratio > 0.1:
        return f"{_pct(1 - ratio)} {less} than the {old}"
    return f"{extreme[1]} the {old}"


def _mostly_capped(capped: np.ndarray) -> bool:
    """More than half of the values are the horizon (slower, or open): the median is the horizon
    itself, a lower bound, and must be said so."""
    return bool(capped.size) and float(np.mean(capped)) > 0.5


def _shifts(v: _View) -> list[Finding]:
    horizon = lead_time_horizon(v.cases)
    parts = [watched_step_waits(v.instances.lazy(), v.data_end)]
    if horizon is not None and horizon > 0:
        parts.insert(0, watched_lead_times(v.cases.lazy(), v.data_end, horizon))
    watched = pl.concat(parts).collect(engine=ENGINE)
    weekly = weekly_medians(watched.lazy()).collect(engine=ENGINE)
    total_wait = float(v.steps["wait_before_s_sum"].sum())
    carrying = v.steps.filter(pl.col("wait_before_s_sum") >= SHIFT_MIN_WAIT_SHARE * total_wait)[
        "activity"
    ].to_list()
    usable = (
        weekly.filter((pl.col("series") == "") | pl.col("series").is_in(carrying))
        .group_by("series")
        .agg(weeks=pl.len())
        .filter(pl.col("weeks") >= 2 * MIN_SEGMENT_WEEKS)
        .sort("series")["series"]
        .to_list()
    )
    if not usable:
        return []
    alpha = ALPHA / len(usable)
    lead_p50 = v.cases.filter(pl.col("completed"))["lead_time_s"].quantile(
        0.5, interpolation="linear"
    )
    out = []
    for series in usable:
        rows = weekly.filter(pl.col("series") == series)
        weeks = rows["week"].to_list()
        level = np.log(rows["median_s"].to_numpy() + LOG_OFFSET_S)
        found = level_shifts(
            level,
            alpha=alpha,
            min_size=MIN_SEGMENT_WEEKS,
            seed=seed_for(f"{v.offering}\x1f{series}"),
        )
        bounds = [0, *[s.index for s in found], len(weeks)]
        values = watched.filter(pl.col("series") == series)
        for i, shift in enumerate(found):
            before_weeks = weeks[bounds[i] : bounds[i + 1]]
            after_weeks = weeks[bounds[i + 1] : bounds[i + 2]]
            before = _Side.of(values, before_weeks)
            after = _Side.of(values, after_weeks)
            b50, a50 = before.median, after.median
            if abs(a50 - b50) < MIN_DIFFERENCE_S:
                continue
            if b50 > 0 and abs(a50 / b50 - 1) < MIN_RELATIVE_SHIFT:
                continue
            out.append(
                _shift_finding(
                    v,
                    series,
                    shift.p_value,
                    len(usable),
                    weeks[shift.index],
                    before,
                    after,
                    horizon if series == "" else step_horizon(v.instances, series),
                    lead_p50,
                )
            )
    return out


@dataclass(frozen=True)
class _Side:
    """The weeks on one side of a shift and their values."""

    weeks: list[date]
    values: np.ndarray
    capped: np.ndarray

    @classmethod
    def of(cls, watched: pl.DataFrame, weeks: list[date]) -> _Side:
        rows = watched.filter(pl.col("week").is_in(weeks))
        return cls(weeks, rows["value_s"].to_numpy(), rows["capped"].to_numpy())

    @property
    def median(self) -> float:
        return float(np.median(self.values))


def _shift_finding(
    v: _View,
    series: str,
    p_value: float,
    tests: int,
    week: date,
    before: _Side,
    after: _Side,
    horizon: float | None,
    lead_p50: float | None,
) -> Finding:
    b_weeks, b_values, a_weeks, a_values = before.weeks, before.values, after.weeks, after.values
    b50, a50 = before.median, after.median
    change = a50 / b50 - 1 if b50 > 0 else math.inf
    direction = "rise" if a50 > b50 else "fall"
    is_lead = series == ""
    # A change reaches the cases started shortly before it (lead time), and the
    # steps after the one it changed a little later (a step's wait).
    near = timedelta(days=RECORDED_CHANGE_DAYS)
    travel = max(near, timedelta(seconds=lead_p50 or 0.0))
    recorded = (
        _recorded_near(v, week, near, travel) if is_lead else _recorded_near(v, week, travel, near)
    )
    named = _recorded_words(week, recorded)
    since = f"the week of {_day(week)}"
    if is_lead:
        kind, step, unit = "lead_time_shift", None, "cases"
        counts = f"({_n(a_values.size)} cases since, {_n(b_values.size)} before)"
        if _mostly_capped(after.capped):
            text = (
                f"More than half of the cases started from {since} take longer than "
                f"{duration_text(horizon)} or are still open, against a median "
                f"{duration_text(b50)} for those started before"
            )
        elif _mostly_capped(before.capped):
            text = (
                f"Cases started from {since} take a median {duration_text(a50)}, where more "
                f"than half of those started before took longer than {duration_text(horizon)}"
            )
        else:
            text = (
                f"Cases started from {since} take a median {duration_text(a50)}, "
                f"{_compared(a50, b50)} of those started before"
            )
    else:
        kind, step, unit = "step_wait_shift", series, "waits"
        counts = f"({_n(a_values.size)} waits since, {_n(b_values.size)} before)"
        text = (
            f"Waits before {series} that began from {since} last a median "
            f"{duration_text(a50)}, {_compared(a50, b50)} before"
        )
    elapsed = not is_lead and v.elapsed(series)
    headline = f"{text} {counts}{_ELAPSED if elapsed else ''}; {named}."
    after_span_weeks = ((a_weeks[-1] - a_weeks[0]).days + 7) / 7
    evidence = {
        "elapsed": elapsed,
        "date": week.isoformat(),
        "direction": direction,
        "before_median_s": b50,
        "after_median_s": a50,
        "change": change,
        f"before_{unit}": int(b_values.size),
        f"after_{unit}": int(a_values.size),
        "before_from": b_weeks[0].isoformat(),
        "after_to": (a_weeks[-1] + timedelta(days=6)).isoformat(),
        "p_value": min(1.0, p_value * tests),
        "series_tested": tests,
        "horizon_s": horizon,
        "recorded_change": None
        if recorded is None
        else {"date": recorded[0].isoformat(), "title": recorded[1]},
    }
    per_week = a_values.size / after_span_weeks
    return _make(
        v.offering,
        kind,
        step,
        (direction, week.isoformat()),
        headline,
        evidence,
        abs(a50 - b50) * per_week,
    )


@dataclass
class _Effect:
    attribute: str
    value: str
    mask: np.ndarray
    """Which watched cases hold the value."""
    rest_mask: np.ndarray
    """Which watched cases it is compared with."""
    with_value: np.ndarray
    rest: np.ndarray
    p_value: float
    u: float
    without: tuple[str, ...]
    same_cases: list[tuple[str, str]] = field(default_factory=list)

    @property
    def medians(self) -> tuple[float, float]:
        return float(np.median(self.with_value)), float(np.median(self.rest))

    def strong(self, tried: int) -> bool:
        """Significant after Bonferroni over `tried` values, and large enough to matter."""
        m_value, m_rest = self.medians
        return (
            self.p_value * tried < ALPHA
            and m_rest > 0
            and abs(m_value - m_rest) >= MIN_DIFFERENCE_S
            and not 1 / MIN_EFFECT_RATIO < m_value / m_rest < MIN_EFFECT_RATIO
        )


def _effects_of(
    attribute: str, members: dict[str, np.ndarray], values_s: np.ndarray, tried: int
) -> list[_Effect]:
    """The strong values of one attribute, found one at a time.

    Each round tests every remaining value against the cases holding none of
    the values found so far, and keeps the most significant strong one. Without
    this, one very slow value makes every other value of its attribute look
    fast against "the rest".
    """
    # Imported here: scipy.stats takes over half a second to import, which every page
    # importing this module (Stream health, through its tiles) would otherwise pay first.
    mannwhitneyu = import_once("scipy.stats").mannwhitneyu

    found: list[_Effect] = []
    excluded = np.zeros(values_s.size, dtype=bool)
    remaining = sorted(members)
    while remaining and len(found) < MAX_VALUES_PER_ATTRIBUTE:
        candidates = []
        for value in remaining:
            mask = members[value]
            rest = ~mask & ~excluded
            if mask.sum() < MIN_CASES or rest.sum() < MIN_CASES:
                continue
            test = mannwhitneyu(values_s[mask], values_s[rest], alternative="two-sided")
            p = float(test.pvalue) if math.isfinite(test.pvalue) else 1.0
            effect = _Effect(
                attribute,
                value,
                mask,
                rest,
                values_s[mask],
                values_s[rest],
                p,
                float(test.statistic),
                tuple(e.value for e in found),
            )
            if effect.strong(tried):
                candidates.append(effect)
        if not candidates:
            break
        best = min(
            candidates,
            key=lambda e: (e.p_value, -abs(math.log(e.medians[0] / e.medians[1])), e.value),
        )
        found.append(best)
        excluded |= members[best.value]
        remaining.remove(best.value)
    return found


def _overlap(a: np.ndarray, b: np.ndarray) -> float:
    """|a ∩ b| / the smaller of |a| and |b|: 1 when one set of cases lies within the other."""
    smaller = min(np.count_nonzero(a), np.count_nonzero(b))
    return np.count_nonzero(a & b) / smaller if smaller else 0.0


def _fold_same_cases(effects: list[_Effect]) -> list[_Effect]:
    """One finding per group of cases: a value whose cases nearly all hold a value already
    kept (or the other way round), with an effect the same way, goes with that one.

    Logs often carry several attributes for one fact (sepsis: a dozen "… =
    false" flags on largely the same 200–300 cases); a person confirms it once.
    """
    kept: list[_Effect] = []
    for e in sorted(effects, key=lambda e: (e.p_value, e.attribute, e.value)):
        for k in kept:
            same_way = (e.medians[0] > e.medians[1]) == (k.medians[0] > k.medians[1])
            if same_way and _overlap(e.mask, k.mask) >= SAME_CASES_OVERLAP:
                k.same_cases.append((e.attribute, e.value))
                break
        else:
            kept.append(e)
    return kept


def case_level_attributes(attributes: pl.DataFrame) -> list[str]:
    """The attributes that describe a case: one value in at least CASE_ATTRIBUTE_SHARE of the cases holding it.

    An attribute whose value changes from event to event (who did a step, a lab
    result) describes events: a long case holds more of its values, so "the
    cases with value x" would mostly be the long cases, whatever x is.
    """
    return (
        attributes.group_by("attribute", "case_id")
        .agg(values=pl.len())
        .group_by("attribute")
        .agg(single=(pl.col("values") == 1).mean())
        .filter(pl.col("single") >= CASE_ATTRIBUTE_SHARE)
        .sort("attribute")["attribute"]
        .to_list()
    )


def _attribute_effects(v: _View, attributes: pl.DataFrame | None) -> list[Finding]:
    horizon = lead_time_horizon(v.cases, ATTRIBUTE_FOLLOW_UP_QUANTILE)
    if attributes is None or attributes.height == 0 or horizon is None or horizon <= 0:
        return []
    own = attributes.join(v.cases.select("case_id"), on="case_id", how="semi")
    own = own.filter(pl.col("attribute").is_in(case_level_attributes(own)))
    watched = watched_lead_times(v.cases.lazy(), v.data_end, horizon).collect(engine=ENGINE)
    sample = watched.height
    if sample < 2 * MIN_CASES or own.height == 0:
        return []
    rows = watched.with_row_index("_row").select("_row", "case_id")
    tried_values = (
        own.join(rows, on="case_id", how="inner")
        .group_by("attribute", "value")
        .agg(pl.col("_row").unique())
        .filter(
            (pl.col("_row").list.len() >= MIN_CASES)
            & (sample - pl.col("_row").list.len() >= MIN_CASES)
        )
        .sort("attribute", "value")
    )
    tried = tried_values.height
    members: dict[str, dict[str, np.ndarray]] = {}
    for attribute, value, member_rows in tried_values.iter_rows():
        mask = np.zeros(sample, dtype=bool)
        mask[np.asarray(member_rows, dtype=np.int64)] = True
        members.setdefault(attribute, {})[value] = mask
    values_s = watched["value_s"].to_numpy()
    capped = watched["capped"].to_numpy()
    effects = [
        e
        for attribute in sorted(members)
        for e in _effects_of(attribute, members[attribute], values_s, tried)
    ]
    in_view = own.group_by("attribute", "value").agg(view_cases=pl.col("case_id").n_unique())
    view_cases = {(a, x): n for a, x, n in in_view.iter_rows()}
    return [
        _effect_finding(v, e, tried, horizon, capped, view_cases[(e.attribute, e.value)])
        for e in _fold_same_cases(effects)
    ]


def _effect_finding(
    v: _View, e: _Effect, tried: int, horizon: float, capped: np.ndarray, view_cases: int
) -> Finding:
    m_value, m_rest = e.medians
    direction = "slower" if m_value > m_rest else "faster"
    others = "the other cases"
    if len(e.without) > 2:
        others += f" (without the {len(e.without)} values of {e.attribute} found before)"
    elif e.without:
        others += f" (without {e.attribute} = {' or '.join(e.without)})"
    also = (
        f"; {len(e.same_cases)} other attribute "
        f"{'value marks' if len(e.same_cases) == 1 else 'values mark'} nearly the same cases"
        if e.same_cases
        else ""
    )
    group = f"{e.attribute} = {e.value}"
    longer = f"take longer than {duration_text(horizon)} or are still open"
    if _mostly_capped(capped[e.mask]):
        text = (
            f"More than half of the cases with {group} {longer}, against a median "
            f"{duration_text(m_rest)} for {others}"
        )
    elif _mostly_capped(capped[e.rest_mask]):
        text = (
            f"Cases with {group} take a median {duration_text(m_value)}, where more than half "
            f"of {others} {longer}"
        )
    else:
        text = (
            f"Cases with {group} take a median {duration_text(m_value)}, "
            f"{_compared(m_value, m_rest, 'longer', 'shorter', ('against', 'against'))} of {others}"
        )
    headline = f"{text} ({_n(e.with_value.size)} against {_n(e.rest.size)} cases){also}."
    evidence = {
        "attribute": e.attribute,
        "value": e.value,
        "direction": direction,
        "cases": int(e.with_value.size),
        "other_cases": int(e.rest.size),
        "others_without": list(e.without),
        "median_s": m_value,
        "other_median_s": m_rest,
        "median_ratio": m_value / m_rest,
        "probability_slower": e.u / (e.with_value.size * e.rest.size),
        "p_value": min(1.0, e.p_value * tried),
        "p_value_uncorrected": e.p_value,
        "values_tried": tried,
        "horizon_s": horizon,
        "same_cases": [{"attribute": a, "value": x} for a, x in e.same_cases],
    }
    return _make(
        v.offering,
        "attribute_effect",
        None,
        (e.attribute, e.value, direction),
        headline,
        evidence,
        v.per_week(abs(m_value - m_rest) * view_cases),
    )


def span_weeks(cases: pl.DataFrame) -> float:
    """The weeks a view spans, from its first case start to the last event of its cases, at
    least one: what `at_stake_s` divides a total by."""
    first, last = cases["first_start"].min(), cases["last_end"].max()
    if not isinstance(first, datetime) or not isinstance(last, datetime):
        return 1.0
    return max(1.0, (last - first).total_seconds() / WEEK)


def _as_date(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value


def find(
    instances: pl.LazyFrame,
    cases: pl.LazyFrame,
    catalog: pl.DataFrame,
    *,
    attributes: pl.DataFrame | None = None,
    changes: Sequence[tuple[date | datetime, str]] = (),
    data_end: datetime | None = None,
) -> list[Finding]:
    """The findings of one offering's view, most important first (see the module docstring).

    `instances` and `cases` are one offering's view (metrics.filters.apply_filters
    over `derive_all`'s frames); `catalog` the activity catalog
    (model.CATALOG_SCHEMA; other offerings' rows are ignored); `attributes` the
    `case_attributes` frame of the offering's events (no attribute effects
    without it); `changes` the recorded experiments' (date, title); `data_end`
    the latest timestamp of the offering's data (`Derived.now`; by default the
    latest end in view). Collects: an end point, like `summary`.
    """
    inst = instances.collect(engine=ENGINE)
    case_frame = cases.collect(engine=ENGINE)
    offerings = case_frame["offering"].unique().to_list()
    if len(offerings) > 1:
        raise ValueError(f"findings are per offering; got {len(offerings)}: {sorted(offerings)}")
    if not offerings:
        return []
    offering = offerings[0]
    end = data_end if data_end is not None else case_frame["last_end"].max()
    assert isinstance(end, datetime)
    v = _View(
        offering=offering,
        instances=inst,
        cases=case_frame,
        catalog=catalog.filter(pl.col("offering") == offering),
        steps=steps(inst.lazy(), by=()).collect(engine=ENGINE),
        data_end=end,
        weeks=span_weeks(case_frame),
        changes=[(_as_date(day), title) for day, title in changes],
    )
    found = [
        *_bottleneck(v),
        *_rework_loops(v),
        *_non_value_steps(v),
        *_slower_than_standard(v),
        *_high_variance(v),
        *_shifts(v),
        *_attribute_effects(v, attributes),
        *_handoffs(v),
    ]
    return sorted(
        found, key=lambda f: (-f.at_stake_s, FINDING_KINDS.index(f.kind), f.step or "", f.id)
    )


@dataclass(frozen=True)
class OfferingFindings:
    """One offering's findings and the view they were found in, kept to show what lies
    behind each (`finding_cases`, `evidence_frame`)."""

    offering: str
    steps: pl.LazyFrame
    """The view's instances (`FINDING_COLUMNS` of metrics.derive.INSTANCE_SCHEMA), lazily:
    held in memory, or read again from the warehouse when asked (`instances`)."""
    cases: pl.DataFrame
    """The view's cases (metrics.cases.CASE_SCHEMA)."""
    attribute_source: Callable[[], pl.DataFrame]
    """Gives `case_attributes` of the offering's events (ATTRIBUTE_SCHEMA) when first asked
    (`attributes`): findings kept from an earlier search need them only for what lies
    behind a finding about a group of cases."""
    data_end: datetime | None
    """The latest timestamp of the offering's data, whatever the view."""
    findings: list[Finding]
    since: datetime | None = None
    """Where the findings looked through only the offering's latest cases (`looked_since`):
    the day from which they started; None when they looked through every case."""

    @cached_property
    def attributes(self) -> pl.DataFrame:
        """`case_attributes` of the offering's events (ATTRIBUTE_SCHEMA), read once."""
        return self.attribute_source()

    @cached_property
    def rounds(self) -> pl.DataFrame:
        """`rework_rounds` of the view's steps, computed once for every loop's cases."""
        return rework_rounds(self.instances.lazy()).collect(engine=ENGINE)

    @cached_property
    def step_table(self) -> pl.DataFrame:
        """`metrics.steps.steps` of the view's steps, computed once for every chart."""
        return steps(self.instances.lazy(), by=()).collect(engine=ENGINE)

    def work(self, columns: Sequence[str], step: str | None = None) -> pl.DataFrame:
        """`columns` of the work instances (of `step` when given), in case order: selected
        before they are copied, rather than copying every column of every step."""
        frame = self.instances.lazy().filter(_WORK)
        if step is not None:
            frame = frame.filter(pl.col("activity") == step)
        return frame.select(columns).collect(engine=ENGINE)

    @property
    def instances(self) -> pl.DataFrame:
        """The view's instances, collected: each access reads a scanned warehouse again
        when they are not held, so one page run asks a `read_once` copy."""
        return self.steps.collect(engine=ENGINE)

    def read_once(self) -> OfferingFindings:
        """A copy that reads its instances at most once, when first asked, and lets them
        go with it: for showing what lies behind several findings in one page run."""
        copy = {f.name: getattr(self, f.name) for f in fields(self)}
        # The copy asks this one for the attributes, which keeps them once read.
        return _ReadOnce(**{**copy, "attribute_source": lambda: self.attributes})

    def to_json(self) -> dict[str, Any]:
        """`{"offering", "cases", "findings": [...]}`: what the findings command prints."""
        return {
            "offering": self.offering,
            "cases": self.cases.height,
            "findings": [f.to_json() for f in self.findings],
        }

    @property
    def weeks(self) -> float:
        """The weeks the view spans (`span_weeks`): a total per week is the total divided by it."""
        return span_weeks(self.cases)

    def finding(self, finding_id: str) -> Finding:
        for f in self.findings:
            if f.id == finding_id:
                return f
        raise KeyError(finding_id)


@dataclass(frozen=True)
class _ReadOnce(OfferingFindings):
    """`OfferingFindings.read_once`'s copy."""

    @cached_property
    def instances(self) -> pl.DataFrame:
        return self.steps.collect(engine=ENGINE)


FINDING_COLUMNS = [
    "case_index",
    "offering",
    "case_id",
    "activity",
    "resource",
    "start",
    "end",
    "start_or_end",
    "kind",
    "value_class",
    "seq",
    "wait_before_s",
    "is_rework",
    "process_s",
    "touch_s",
]
"""The instance columns the findings and their evidence read: `offering_findings` holds
only these of a view's steps (a third less than every column)."""


def offering_findings(
    instances: pl.DataFrame | pl.LazyFrame,
    cases: pl.DataFrame,
    events: pl.DataFrame,
    catalog: pl.DataFrame,
    offering: str,
    spec: CaseFilter | None = None,
    changes: Sequence[tuple[date | datetime, str]] = (),
    *,
    hold: bool = True,
    since: datetime | None = None,
) -> OfferingFindings:
    """The findings of one offering from frames already derived (`derive_all` over any
    offerings: the pages derive every offering once and share it).

    `events` is the events frame the frames were derived from (for the attributes
    and the attribute filters; without attribute filters in `spec`, its `offering`,
    `case_id` and `attributes` columns are enough), `catalog` the activity catalog, `spec` the view's
    filters (its `offerings` is replaced by this one; `completed_only` would
    hide the open cases that keep recent weeks from reading as faster, so the
    shifts would lose that protection), `changes` the recorded experiments'
    (date, title) of the offering. The end of the data is the offering's own
    latest timestamp, whatever the view, as for `Derived.now`. `hold`: keep the view's
    steps in memory for what lies behind each finding; else they are read again from
    `instances` (a scan of the warehouse) when asked, and only the findings are held.
    `since` (`looked_since`): only the cases started on or after it are looked through,
    in a view with no window of its own; the end of the data is still the offering's.
    """
    own_events = events.filter(pl.col("offering") == offering)
    own_cases = cases.filter(pl.col("offering") == offering)
    last = own_cases["last_end"].max()
    data_end = last if isinstance(last, datetime) else None
    view = replace(spec or CaseFilter(), offerings=(offering,))
    if since is not None:
        view = _started_since(view, since)
    view_instances, view_cases = apply_filters(
        instances.lazy(), own_cases.lazy(), view, own_events.lazy()
    )
    chosen_cases = view_cases.collect(engine=ENGINE)
    chosen_instances = view_instances.select(FINDING_COLUMNS).collect(engine=ENGINE)
    attributes = case_attributes(own_events)
    found = find(
        chosen_instances.lazy(),
        chosen_cases.lazy(),
        catalog,
        attributes=attributes,
        changes=changes,
        data_end=data_end,
    )
    steps = chosen_instances.lazy() if hold else _steps_of(instances, chosen_cases)
    return OfferingFindings(
        offering, steps, chosen_cases, lambda: attributes, data_end, found, since
    )


def _steps_of(instances: pl.DataFrame | pl.LazyFrame, cases: pl.DataFrame) -> pl.LazyFrame:
    """The `FINDING_COLUMNS` of the steps of `cases`, lazily, in their order: a filter on
    the cases' numbers, so that the plan an `OfferingFindings` keeps holds those numbers
    (4 bytes a case) rather than the offering's cases and events the view was chosen
    from (263 MB for three offerings at fifty million events)."""
    return instances_of_cases(instances.lazy(), cases).select(FINDING_COLUMNS)


def _started_since(view: CaseFilter, since: datetime) -> CaseFilter:
    if view.window_start or view.window_end or view.window_days:
        raise ValueError("findings over the latest cases take a view without a window")
    return replace(view, window_start=since, window_mode="started")


def looked_since(cases: pl.DataFrame, offering: str, max_steps: int) -> datetime | None:
    """Where the findings look through only the offering's latest cases: the moment from
    which they look, every case started at or after it. None when the offering has at
    most `max_steps` steps: every case is looked through.

    The findings hold every step they look through (about 1 GB per million at their
    peak), so a server bounds them. Beyond the bound they look through as many whole
    weeks of the latest starts (Monday to Monday, UTC, as the findings count weeks) as
    fit in `max_steps` steps: each week they read by first start is then whole, and the
    most recent weeks, where a change shows, are among them. Where even the latest week
    does not fit, the latest starts that do (from the start of a case, to the
    microsecond; the latest case alone if it does not fit either)."""
    starts = (
        cases.lazy()
        .filter((pl.col("offering") == offering) & pl.col("first_start").is_not_null())
        .select("first_start", pl.col("n_instances").cast(pl.Int64).alias("steps"))
    )
    weeks = (
        starts.group_by(pl.col("first_start").dt.truncate("1w").alias("since"))
        .agg(pl.col("steps").sum())
        .sort("since", descending=True)
        .with_columns(pl.col("steps").cum_sum().alias("within"))
        .collect(engine=ENGINE)
    )
    if weeks.height == 0 or int(weeks["within"][-1]) <= max_steps:
        return None
    fits = weeks.filter(pl.col("within") <= max_steps)
    if fits.height == 0:
        latest = (
            starts.sort("first_start", descending=True)
            .with_columns(pl.col("steps").cum_sum().alias("within"))
            .rename({"first_start": "since"})
            .collect(engine=ENGINE)
        )
        fits = latest.filter(pl.col("within") <= max_steps)
        fits = fits if fits.height else latest.head(1)
    since = fits["since"][-1]
    assert isinstance(since, datetime)
    return since


def kept_offering_findings(
    instances: pl.DataFrame | pl.LazyFrame,
    cases: pl.DataFrame,
    attribute_rows: Callable[[], pl.DataFrame],
    offering: str,
    found: list[Finding],
    *,
    hold: bool = True,
    since: datetime | None = None,
) -> OfferingFindings:
    """`offering_findings` of every case of the offering (no other filter; the cases
    started `since` when it is given), with the findings `found` by an earlier search of
    the same data (warehouse.kept_findings) rather than looked for again.
    `attribute_rows` gives the events' (offering, case_id, attributes) rows: read and
    parsed only when what lies behind a finding about a group of cases asks them."""
    own_cases = cases.filter(pl.col("offering") == offering)
    last = own_cases["last_end"].max()
    view = CaseFilter(offerings=(offering,))
    if since is not None:
        view = _started_since(view, since)
    chosen_cases = filter_cases(own_cases.lazy(), view).collect(engine=ENGINE)
    steps = _steps_of(instances, chosen_cases)
    if hold:
        steps = steps.collect(engine=ENGINE).lazy()

    def attributes() -> pl.DataFrame:
        return case_attributes(attribute_rows().filter(pl.col("offering") == offering))

    return OfferingFindings(
        offering,
        steps,
        chosen_cases,
        attributes,
        last if isinstance(last, datetime) else None,
        found,
        since,
    )


def findings_report(
    events: pl.DataFrame,
    catalog: pl.DataFrame,
    offering: str,
    spec: CaseFilter | None = None,
    changes: Sequence[tuple[date | datetime, str]] = (),
    open_items: pl.DataFrame | None = None,
) -> dict[str, Any]:
    """`{"offering", "cases", "findings": [...]}` for one offering: what the findings command prints.

    `events` is the warehouse's events frame (other offerings are ignored),
    `catalog` the activity catalog, `open_items` the warehouse's open items
    (their cases are open: without them a board's unfinished items would be
    missing or read as finished); `spec` and `changes` as in `offering_findings`.
    """
    own = events.filter(pl.col("offering") == offering)
    items = None if open_items is None else open_items.filter(pl.col("offering") == offering)
    d = derive_all(own, catalog, items)
    return offering_findings(d.instances, d.cases, own, catalog, offering, spec, changes).to_json()


FINDING_CASES_SCHEMA: dict[str, pl.DataType] = {
    "case_id": pl.String(),
    "side": pl.String(),
    "week": pl.Date(),
    "figure_s": pl.Float64(),
    "first_start": pl.Datetime("us", "UTC"),
    "last_end": pl.Datetime("us", "UTC"),
    "completed": pl.Boolean(),
    "lead_time_s": pl.Float64(),
}
"""The cases behind a finding, one row per case (per wait for `step_wait_shift`), the
largest `figure_s` first. `figure_s` is what the finding counts of the case (CASE_FIGURES):
for the kinds whose time at stake is a total over cases, the case's part of that total.
`side` and `week` only for the shifts: 'before' or 'after' the found date, and the week
the case started (lead time) or the wait began (a step's wait)."""

CASE_FIGURES: dict[str, str] = {
    "bottleneck": "Total wait before {step}",
    "rework_loop": "Time the rounds back added",
    "non_value_step": "Time at {step}, wait and work",
    "slower_than_standard": "Time beyond the standard",
    "high_variance": "Time beyond the step's median",
    "lead_time_shift": "Lead time as tested",
    "step_wait_shift": "Wait before {step}",
    "attribute_effect": "Lead time as tested",
    "handoff": "Total wait before {step} after a hand-over",
}
"""What `figure_s` of `finding_cases` is, per kind ({step} is the finding's step). "As
tested": a case slower than the follow-up horizon, or still open, counts as the horizon."""


def _per_case(frame: pl.DataFrame, figure: pl.Expr) -> pl.DataFrame:
    """One row per case of `frame` (instances) with the sum of `figure` as `figure_s`."""
    return frame.group_by("case_id").agg(figure_s=figure.sum().cast(pl.Float64))


def _watched_series(of: OfferingFindings, f: Finding) -> pl.DataFrame:
    """The watched values of a shift's series (WATCHED_SCHEMA) in the weeks it was tested on
    (thin weeks left out), with `side` relative to the found date (null outside the two
    segments around it)."""
    assert of.data_end is not None
    ev = f.evidence
    if f.kind == "lead_time_shift":
        watched = watched_lead_times(of.cases.lazy(), of.data_end, float(ev["horizon_s"]))
    else:
        watched = watched_step_waits(of.instances.lazy(), of.data_end).filter(
            pl.col("series") == f.step
        )
    frame = watched.collect(engine=ENGINE)
    weeks = weekly_medians(frame.lazy()).select("week").collect(engine=ENGINE)
    found = date.fromisoformat(ev["date"])
    first, last = date.fromisoformat(ev["before_from"]), date.fromisoformat(ev["after_to"])
    side = (
        pl.when(pl.col("week") < first)
        .then(None)
        .when(pl.col("week") < found)
        .then(pl.lit("before"))
        .when(pl.col("week") <= last)
        .then(pl.lit("after"))
    )
    return frame.join(weeks, on="week", how="semi").with_columns(side=side)


def _attribute_split(of: OfferingFindings, f: Finding) -> pl.DataFrame:
    """The watched cases of an attribute effect's test: `group` 'with' (holding the value) or
    'rest' (holding none of the values found before it), with `value_s` and `capped`."""
    ev = f.evidence
    assert of.data_end is not None
    watched = watched_lead_times(of.cases.lazy(), of.data_end, float(ev["horizon_s"])).collect(
        engine=ENGINE
    )
    holding = of.attributes.filter(pl.col("attribute") == ev["attribute"])
    with_value = holding.filter(pl.col("value") == ev["value"]).select("case_id").unique()
    excluded = holding.filter(pl.col("value").is_in(list(ev["others_without"]))).select("case_id")
    group = (
        pl.when(pl.col("case_id").is_in(with_value["case_id"].implode()))
        .then(pl.lit("with"))
        .when(~pl.col("case_id").is_in(excluded["case_id"].implode()))
        .then(pl.lit("rest"))
    )
    return (
        watched.with_columns(group=group)
        .filter(pl.col("group").is_not_null())
        .select("case_id", "group", "value_s", "capped")
    )


def finding_cases(of: OfferingFindings, f: Finding) -> pl.DataFrame:
    """The cases a finding concerns (FINDING_CASES_SCHEMA), the largest figure first.

    - bottleneck: the cases with a wait before the step;
    - rework_loop: the cases with a round going back from the step to its target;
    - non_value_step: the cases with the step;
    - slower_than_standard: the cases whose measured time at the step exceeds the standard;
    - high_variance: the cases whose wait before (or time at) the step exceeds its median;
    - lead_time_shift: the watched cases started in the weeks either side of the date;
    - step_wait_shift: the waits before the step that began in those weeks, one row each;
    - attribute_effect: the cases in view holding the value (the figure only for the
      watched ones, those in the test);
    - handoff: the cases where the step changed hands after a wait.
    """
    ev = f.evidence
    wait, process = pl.col("wait_before_s"), pl.col("process_s")

    def at_step() -> pl.DataFrame:
        """The work instances of the finding's step, the columns the figures read."""
        frame = of.work(["case_id", "start", "wait_before_s", "process_s"], f.step)
        return frame if f.step is not None else frame.clear()

    rows: pl.DataFrame
    if f.kind == "bottleneck":
        rows = _per_case(at_step().filter(wait.is_not_null()), wait)
    elif f.kind == "rework_loop":
        edge = of.rounds.filter(
            (pl.col("from_activity") == ev["from_step"]) & (pl.col("to_activity") == ev["to_step"])
        )
        rows = _per_case(edge, pl.col("added_s"))
    elif f.kind == "non_value_step":
        rows = _per_case(at_step(), wait.fill_null(0.0) + process.fill_null(0.0))
    elif f.kind == "slower_than_standard":
        measured = at_step().filter(pl.col("start").is_not_null() & process.is_not_null())
        beyond = measured.filter(process > ev["standard_s"])
        rows = _per_case(beyond, process - ev["standard_s"])
    elif f.kind == "high_variance":
        column = wait if ev["measure"] == "wait" else process
        rows = _per_case(at_step().filter(column > ev["p50_s"]), column - ev["p50_s"])
    elif f.kind in ("lead_time_shift", "step_wait_shift"):
        rows = (
            _watched_series(of, f)
            .filter(pl.col("side").is_not_null())
            .select("case_id", "side", "week", figure_s="value_s")
        )
    elif f.kind == "attribute_effect":
        holders = of.attributes.filter(
            (pl.col("attribute") == ev["attribute"]) & (pl.col("value") == ev["value"])
        ).select("case_id")
        split = _attribute_split(of, f).filter(pl.col("group") == "with")
        rows = holders.unique().join(
            split.select("case_id", figure_s="value_s"), on="case_id", how="left"
        )
    elif f.kind == "handoff":
        over = handed_over(of.work(HANDOFF_COLUMNS)).filter(
            (pl.col("activity") == f.step) & pl.col("_handoff")
        )
        rows = _per_case(over, wait)
    else:
        raise ValueError(f"unknown kind of finding: {f.kind!r}")
    facts = of.cases.select("case_id", "first_start", "last_end", "completed", "lead_time_s")
    frame = rows.join(facts, on="case_id", how="inner")
    frame = frame.select(
        [
            pl.col(n).cast(t) if n in frame.columns else pl.lit(None, dtype=t).alias(n)
            for n, t in FINDING_CASES_SCHEMA.items()
        ]
    )
    return frame.sort(
        ["figure_s", "case_id", "week"], descending=[True, False, False], nulls_last=True
    )


def _step_totals(of: OfferingFindings, f: Finding, total: pl.Expr, n: str) -> pl.DataFrame:
    frame = of.step_table.select("activity", total_s=total, n=pl.col(n).cast(pl.Int64))
    return frame.with_columns(
        share=pl.col("total_s") / pl.col("total_s").sum(),
        is_finding=pl.col("activity") == f.step,
    ).sort(["total_s", "activity"], descending=[True, False])


def evidence_frame(of: OfferingFindings, f: Finding) -> pl.DataFrame:
    """The frame a finding's evidence chart draws (charts.findings.finding_chart):

    - bottleneck: per step, the total wait before it (`activity`, `total_s`, `share`,
      `n` waits, `is_finding`), the largest first;
    - non_value_step: the same with the time at each step: the wait before it and its
      work (`n` instances);
    - rework_loop: `group` ('back', 'not back'), `cases`, `share`: the cases in view
      that went back from the step to its target at least once, and the others;
    - slower_than_standard: `value_s`, the measured process time of each instance;
    - high_variance: per step taking part, `activity`, `p50_s`, `p95_s`, `ratio`, `n`,
      `is_finding`, for the finding's measure;
    - lead_time_shift, step_wait_shift: the series' weeks (`week`, `median_s`,
      `values`, `side`: 'before' or 'after' the date for the two segments around it);
    - attribute_effect: the watched cases of the test, `group` ('with' the value or
      'rest'), `value_s` and `capped`;
    - handoff: `group` ('handed over', 'same person', 'every step'), `wait_p50_s`,
      `n` waits.
    """
    ev = f.evidence
    if f.kind == "bottleneck":
        return _step_totals(of, f, pl.col("wait_before_s_sum"), "wait_before_s_n")
    if f.kind == "non_value_step":
        at_step = pl.col("wait_before_s_sum").fill_null(0.0) + pl.col(
            "process_time_s_sum"
        ).fill_null(0.0)
        return _step_totals(of, f, at_step, "instances")
    if f.kind == "rework_loop":
        back = finding_cases(of, f).height
        total = of.cases.height
        return pl.DataFrame(
            {
                "group": ["back", "not back"],
                "cases": [back, total - back],
                "share": [back / total, (total - back) / total],
            },
            schema={"group": pl.String(), "cases": pl.Int64(), "share": pl.Float64()},
        )
    if f.kind == "slower_than_standard":
        work = of.work(["start", "process_s"], f.step)
        return work.filter(
            pl.col("start").is_not_null() & pl.col("process_s").is_not_null()
        ).select(value_s="process_s")
    if f.kind == "high_variance":
        prefix = "wait_before_s" if ev["measure"] == "wait" else "process_time_s"
        return (
            of.step_table.filter(
                (pl.col(f"{prefix}_n") >= MIN_INSTANCES)
                & (pl.col(f"{prefix}_p50") > 0)
                & pl.col(f"{prefix}_p95").is_not_null()
            )
            .select(
                "activity",
                p50_s=f"{prefix}_p50",
                p95_s=f"{prefix}_p95",
                ratio=pl.col(f"{prefix}_p95") / pl.col(f"{prefix}_p50"),
                n=pl.col(f"{prefix}_n").cast(pl.Int64),
                is_finding=pl.col("activity") == f.step,
            )
            .sort(["ratio", "activity"], descending=[True, False])
        )
    if f.kind in ("lead_time_shift", "step_wait_shift"):
        series = _watched_series(of, f)
        return (
            series.group_by("week")
            .agg(
                median_s=pl.col("value_s").quantile(0.5, interpolation="linear"),
                values=pl.len().cast(pl.Int64),
                side=pl.col("side").first(),
            )
            .sort("week")
        )
    if f.kind == "attribute_effect":
        return _attribute_split(of, f)
    if f.kind == "handoff":
        work = of.work(HANDOFF_COLUMNS)
        over = handed_over(work).filter(pl.col("activity") == f.step)
        every = work["wait_before_s"].drop_nulls()
        rows = [
            ("handed over", over.filter(pl.col("_handoff"))["wait_before_s"]),
            ("same person", over.filter(~pl.col("_handoff"))["wait_before_s"]),
            ("every step", every),
        ]
        return pl.DataFrame(
            {
                "group": [g for g, _ in rows],
                "wait_p50_s": [
                    s.quantile(0.5, interpolation="linear") if s.len() else None for _, s in rows
                ],
                "n": [s.len() for _, s in rows],
            },
            schema={"group": pl.String(), "wait_p50_s": pl.Float64(), "n": pl.Int64()},
        )
    raise ValueError(f"unknown kind of finding: {f.kind!r}")


if __name__ == "__main__":  # python -m metrics.findings: the `findings` command of cli/
    import sys

    from cli import run_command

    sys.exit(run_command("findings"))
