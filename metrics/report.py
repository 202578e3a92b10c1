"""The report of one offering: its headline metrics as a JSON-ready dict, and as text.

    python -m metrics.report --db PATH --offering NAME [--from DATE] [--to DATE]
        [--window {intersecting,started,completed}] [--json]

runs the `report` command of cli/ (cli/report.py); this module holds what it prints.
The dict's shape is a contract other tools script against: keep it stable.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import polars as pl

from metrics.filters import CaseFilter, apply_filters
from metrics.stats import duration_text
from metrics.steps import bottleneck
from metrics.summary import ENGINE, assemble_summary, case_summary, summary


def _share(value: float | None) -> str:
    return "–" if value is None else f"{value:.1%}"


STEP_COLUMNS = (
    "case_index",
    "activity",
    "start",
    "kind",
    "catalog_is_end",
    "seq",
    "prev_activity",
    "transition_wait_s",
    "wait_before_s",
    "is_rework",
    "process_s",
)
"""The step columns `report` reads (it reads no other: a warehouse storing the report
reads these and no more)."""


def report(
    instances: pl.LazyFrame, cases: pl.LazyFrame, offering: str, spec: CaseFilter
) -> tuple[dict[str, Any], str]:
    """`metrics.summary.summary` of the cases of `offering` that `spec` selects, named, and
    the PCE basis of those cases ('value-adding', or 'flow efficiency' when the catalog
    classifies no step). `instances` and `cases` are `metrics.derived.derive_all`'s
    frames (of any offerings), lazily; of the steps only STEP_COLUMNS are read."""
    instances, cases = apply_filters(
        instances.select(STEP_COLUMNS), cases, replace(spec, offerings=(offering,))
    )
    figures = summary(instances, cases)
    figures["offering"] = offering
    basis = case_summary(cases).select("pce_basis").collect(engine=ENGINE).item()
    return figures, basis or "flow efficiency"


def report_of_figures(
    head: pl.DataFrame,
    step_rows: pl.DataFrame,
    transition_rows: pl.DataFrame,
    offering: str,
    n_instances: int,
) -> tuple[dict[str, Any], str]:
    """`report` of every case of `offering` from figures of them already computed, as the
    pages compute them (metrics.figures: `summary`, `steps` and `transitions` of its every
    step and case, and how many steps it has): the report is those figures put together,
    and its steps and transitions are not computed a second time (1.4 s of an import's
    figures for the 4.9 million steps of an offering)."""
    neck = bottleneck(step_rows.lazy(), by=()).collect(engine=ENGINE)
    figures = assemble_summary(head, step_rows, transition_rows, neck, [offering], n_instances)
    figures["offering"] = offering
    basis = head["pce_basis"].item() if head.height else None
    return figures, basis or "flow efficiency"


def format_summary(figures: dict[str, Any], pce_basis: str = "value-adding") -> str:
    """A readable text version of `report`'s dict."""

    def spread(key: str) -> str:
        d = figures[key]
        return (
            f"p50 {duration_text(d['p50'])}, p85 {duration_text(d['p85'])}, "
            f"p95 {duration_text(d['p95'])}, mean {duration_text(d['mean'])}"
        )

    pce_label = (
        "PCE" if pce_basis == "value-adding" else "PCE (= flow efficiency: no value classes)"
    )
    lines = [
        f"Offering: {figures['offering']}",
        f"Cases: {figures['cases']} ({figures['completed_cases']} completed, "
        f"{figures['open_cases']} open); instances: {figures['instances']}; "
        f"variants: {figures['variants']}",
        "Completed cases:",
        f"  lead time     {spread('lead_time_s')}",
        f"  process time  {spread('process_time_s')}",
        f"  wait time     {spread('wait_time_s')}",
        f"  flow efficiency {_share(figures['flow_efficiency'])}; "
        f"{pce_label} {_share(figures['pce'])}",
        f"Cases with rework: {_share(figures['rework_case_share'])}",
        f"Bottleneck (largest total wait before it): {figures['bottleneck'] or '–'}",
        "Steps:",
    ]
    for step in figures["steps"]:
        lines.append(
            f"  {step['activity']}: {step['instances']} instances in {step['cases']} cases, "
            f"process p50 {duration_text(step['process_time_s']['p50'])}, "
            f"wait before p50 {duration_text(step['wait_before_s']['p50'])} "
            f"(total {duration_text(step['wait_before_s']['sum'])}), "
            f"rework {_share(step['rework_share'])}"
        )
    lines.append("Transitions (most frequent first):")
    for edge in figures["transitions"][:20]:
        lines.append(
            f"  {edge['from']} → {edge['to']}: {edge['count']}, "
            f"wait mean {duration_text(edge['wait_s']['mean'])}, p50 {duration_text(edge['wait_s']['p50'])}"
        )
    if len(figures["transitions"]) > 20:
        lines.append(f"  … and {len(figures['transitions']) - 20} more")
    return "\n".join(lines)


if __name__ == "__main__":  # python -m metrics.report: the `report` command of cli/
    import sys

    from cli import run_command

    sys.exit(run_command("report"))
