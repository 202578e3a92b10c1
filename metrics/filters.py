"""Filters applied before any metric: they choose cases, never cut a case short.

A filter selects whole cases from the case table (`metrics.cases.case_table`);
`restrict_instances` then keeps the instances of those cases, so every metric
of a view is computed over the same cases. Completion and end activities are
decided on all of an offering's cases before any filter, because they are
properties of the case, not of the view.

Time windows are half-open [start, end) in UTC:

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

WindowMode = Literal["started", "completed", "intersecting"]
WINDOW_MODES: tuple[WindowMode, ...] = ("started", "completed", "intersecting")


@dataclass(frozen=True)
class CaseFilter:
    """Everything a view can filter on; the default keeps every case.

    `attributes` maps an attribute name to accepted values: a case passes when
    one of its events has one of the values (`resource` is the event column,
    any other name a key of the events' JSON `attributes`). `variants` are
    activity sequences as in the case table's `variant` column.
    """

    offerings: tuple[str, ...] | None = None
    window_start: datetime | None = None
    window_end: datetime | None = None
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


def by_variants(cases: pl.LazyFrame, variants: Sequence[Sequence[str]]) -> pl.LazyFrame:
    """Cases whose variant is one of `variants`."""
    wanted = pl.Series("variant", [list(v) for v in variants], dtype=pl.List(pl.String()))
    return cases.filter(pl.col("variant").is_in(wanted))


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
    if spec.window_start is not None or spec.window_end is not None:
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


def apply_filters(
    instances: pl.LazyFrame,
    cases: pl.LazyFrame,
    spec: CaseFilter,
    events: pl.LazyFrame | None = None,
) -> tuple[pl.LazyFrame, pl.LazyFrame]:
    """(instances, cases) of the view `spec` selects."""
    selected = filter_cases(cases, spec, events)
    return restrict_instances(instances, selected), selected
