"""Filters applied before any metric: they choose cases, never cut a case short.

A filter selects whole cases from the case table (`metrics.cases.case_table`);
`restrict_instances` then keeps the instances of those cases, so every metric
of a view is computed over the same cases. Completion and end activities are
decided on all of an offering's cases before any filter, because they are
properties of the case, not of the view.

Time windows are half-open [start, end) in UTC, and either fixed dates or the last
N days (`window_days`), which end at each offering's own latest event
(metrics.periods): a historical log beside live data keeps its own last 90 days.

- "started": the case's first start lies in the window;
- "completed": the case is completed and its last end lies in the window;
- "intersecting": the case was in progress at some point of the window (first
  start before the window's end, and open or ended at/after its start).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

import polars as pl

from metrics.periods import period_bounds

WindowMode = Literal["started", "completed", "intersecting"]
WINDOW_MODES: tuple[WindowMode, ...] = ("started", "completed", "intersecting")


@dataclass(frozen=True)
class CaseFilter:
    """Everything a view can filter on; the default keeps every case.

    `window_days` (instead of `window_start`/`window_end`): the last N days up to the
    end of the day of each offering's latest event.
    `attributes` maps an attribute name to accepted values: a case passes when
    one of its events has one of the values (`resource` is the event column,
    any other name a key of the events' JSON `attributes`). `variants` are
    activity sequences as in the case table's `variant` column.
    """

    offerings: tuple[str, ...] | None = None
    window_start: datetime | None = None
    window_end: datetime | None = None
    window_days: int | None = None
    window_mode: WindowMode = "intersecting"
    attributes: Mapping[str, Sequence[str]] = field(default_factory=dict)
    variants: tuple[tuple[str, ...], ...] | None = None
    completed_only: bool = False


def by_offerings(cases: pl.LazyFrame, offerings: Sequence[str]) -> pl.LazyFrame:
    """Cases of the given offerings."""
    return cases.filter(pl.col("offering").is_in(list(offerings)))


def by_window(
    cases: pl.LazyFrame,
    start: datetime | None,
    end: datetime | None,
    mode: WindowMode = "intersecting",
) -> pl.LazyFrame:
    """Cases in the window [start, end) by `mode` (see the module docstring)."""
    if mode not in WINDOW_MODES:
        raise ValueError(f"window mode must be one of {WINDOW_MODES}, not {mode!r}")
    utc = pl.Datetime("us", "UTC")
    lo = pl.lit(start, dtype=utc) if start is not None else None
    hi = pl.lit(end, dtype=utc) if end is not None else None
    keep = pl.lit(True)
    if mode == "started":
        if lo is not None:
            keep = keep & (pl.col("first_start") >= lo)
        if hi is not None:
            keep = keep & (pl.col("first_start") < hi)
    elif mode == "completed":
        keep = pl.col("completed")
        if lo is not None:
            keep = keep & (pl.col("last_end") >= lo)
        if hi is not None:
            keep = keep & (pl.col("last_end") < hi)
    else:
        if hi is not None:
            keep = keep & (pl.col("first_start") < hi)
        if lo is not None:
            keep = keep & (~pl.col("completed") | (pl.col("last_end") >= lo))
    return cases.filter(keep)


def by_window_per_offering(
    cases: pl.LazyFrame, bounds: pl.LazyFrame, mode: WindowMode = "intersecting"
) -> pl.LazyFrame:
    """Cases in their offering's window (metrics.periods.PERIOD_SCHEMA) by `mode`."""
    if mode not in WINDOW_MODES:
        raise ValueError(f"window mode must be one of {WINDOW_MODES}, not {mode!r}")
    lo, hi = pl.col("period_start"), pl.col("period_end")
    if mode == "started":
        keep = (pl.col("first_start") >= lo) & (pl.col("first_start") < hi)
    elif mode == "completed":
        keep = pl.col("completed") & (pl.col("last_end") >= lo) & (pl.col("last_end") < hi)
    else:
        keep = (pl.col("first_start") < hi) & (~pl.col("completed") | (pl.col("last_end") >= lo))
    return (
        cases.join(
            bounds.select("offering", "period_start", "period_end"),
            on="offering",
            maintain_order="left",
        )
        .filter(keep)
        .drop("period_start", "period_end")
    )


def by_variants(cases: pl.LazyFrame, variants: Sequence[Sequence[str]]) -> pl.LazyFrame:
    """Cases whose variant is one of `variants`."""
    held = cases.collect_schema()["variant"]  # text, or the app's compact variants
    wanted = pl.Series("variant", [list(v) for v in variants], dtype=pl.List(pl.String()))
    return cases.filter(pl.col("variant").is_in(wanted.cast(held).implode()))


def completed_only(cases: pl.LazyFrame) -> pl.LazyFrame:
    """Completed cases."""
    return cases.filter(pl.col("completed"))


def cases_with_attributes(
    events: pl.LazyFrame, attributes: Mapping[str, Sequence[str]]
) -> pl.LazyFrame:
    """(offering, case_id) of cases with, for every attribute, an event having one of its values.

    `events` is the warehouse's events frame (attribute values are compared as
    text; `resource` is the event column, other names are JSON keys).
    """
    selected: pl.LazyFrame | None = None
    for name, values in attributes.items():
        value = (
            pl.col("resource")
            if name == "resource"
            else pl.col("attributes").str.json_path_match(f"$[{_json_string(name)}]")
        )
        matching = (
            events.filter(value.is_in([str(v) for v in values]))
            .select("offering", "case_id")
            .unique()
        )
        selected = (
            matching
            if selected is None
            else selected.join(matching, on=["offering", "case_id"], how="semi")
        )
    if selected is None:
        return events.select("offering", "case_id").unique()
    return selected


def attribute_names(events: pl.DataFrame, sample: int = 5_000) -> list[str]:
    """The attributes a view can be filtered on: `resource` (when any event has one) and the
    keys of the events' JSON attributes, found in the first `sample` events of each
    offering."""
    names = ["resource"] if events["resource"].drop_nulls().len() else []
    head = events.group_by("offering").head(sample)["attributes"].drop_nulls()
    if head.len():
        decoded = head.str.json_decode(infer_schema_length=None)
        if isinstance(decoded.dtype, pl.Struct):
            names += sorted(f.name for f in decoded.dtype.fields)
    return names


def attribute_values(events: pl.DataFrame, name: str, limit: int = 200) -> pl.DataFrame:
    """(value, cases) of one attribute, most cases first, at most `limit` values; an
    attribute with more distinct values than that is an identifier, not a filter, and
    gives an empty frame."""
    value = (
        pl.col("resource")
        if name == "resource"
        else pl.col("attributes").str.json_path_match(f"$[{_json_string(name)}]")
    )
    counted = (
        events.lazy()
        .select("offering", "case_id", value.alias("value"))
        .drop_nulls("value")
        .unique()
        .group_by("value")
        .agg(cases=pl.len())
        .sort(["cases", "value"], descending=[True, False])
        .collect()
    )
    if counted.height > limit:
        return counted.clear()
    return counted


def _json_string(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("'", "\\'")
    return f"'{escaped}'"


def filter_cases(
    cases: pl.LazyFrame, spec: CaseFilter, events: pl.LazyFrame | None = None
) -> pl.LazyFrame:
    """The cases of `cases` that pass every filter of `spec`.

    `events` (the warehouse's events frame) is needed only for attribute filters.
    """
    if spec.offerings is not None:
        cases = by_offerings(cases, spec.offerings)
    if spec.window_days is not None:
        cases = by_window_per_offering(
            cases, period_bounds(cases, days=spec.window_days), spec.window_mode
        )
    elif spec.window_start is not None or spec.window_end is not None:
        cases = by_window(cases, spec.window_start, spec.window_end, spec.window_mode)
    if spec.variants is not None:
        cases = by_variants(cases, spec.variants)
    if spec.completed_only:
        cases = completed_only(cases)
    if spec.attributes:
        if events is None:
            raise ValueError("attribute filters need the events frame")
        cases = cases.join(
            cases_with_attributes(events, spec.attributes), on=["offering", "case_id"], how="semi"
        )
    return cases


def restrict_instances(instances: pl.LazyFrame, cases: pl.LazyFrame) -> pl.LazyFrame:
    """The instances of the given cases (joined on `case_index`, order kept)."""
    return instances.join(
        cases.select("case_index"), on="case_index", how="semi", maintain_order="left"
    )


def instances_of_cases(instances: pl.LazyFrame, cases: pl.DataFrame) -> pl.LazyFrame:
    """`restrict_instances` of cases in hand: a filter on their numbers, which a scan of
    the stored steps applies as it reads them (a quarter faster than the join for the
    value stream map of 4.7 million steps, without holding every joined column)."""
    return instances.filter(pl.col("case_index").is_in(cases["case_index"].implode()))


def apply_filters(
    instances: pl.LazyFrame,
    cases: pl.LazyFrame,
    spec: CaseFilter,
    events: pl.LazyFrame | None = None,
) -> tuple[pl.LazyFrame, pl.LazyFrame]:
    """(instances, cases) of the view `spec` selects."""
    selected = filter_cases(cases, spec, events)
    return restrict_instances(instances, selected), selected
