"""Benchmark: working time, what-if, conformance and forecasts on about N demo events.

    python bench/redesign.py [--events N] [--seed S] [--repeat R] [--pm4py-events M]

Generates about N events with the demo generator and prints the best of R run
times of:

- derive_all without a calendar and with one (Europe/Amsterdam, Mon–Fri
  09:00–17:00 with a lunch break, Dutch holidays), and working_seconds over
  every (start, end) pair on its own;
- per offering: the what-if projection (remove a step, run two in parallel,
  halve a wait) with its current and projected maps, conformance to the most
  frequent variant taken as the future state, forecasts (10,000 runs) and
  likely-done-by for the open items;
- pm4py's business-hours case durations and performance DFG on the first M
  events' cases (Python per row; ours on the same cases for the ratio).

Asserts nothing.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

CALENDAR = {
    "timezone": "Europe/Amsterdam",
    "hours": {
        d: [["09:00", "12:30"], ["13:30", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")
    }
    | {"sat": [], "sun": []},
    "holidays": [
        "2025-12-25",
        "2025-12-26",
        "2026-01-01",
        "2026-04-06",
        "2026-04-27",
        "2026-05-14",
    ],
}


def best(repeat: int, run: Callable[[], Any]) -> tuple[float, Any]:
    """The fastest of `repeat` runs (the first warms thread pools and caches) and its result."""
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - t0)
    return min(times), result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--pm4py-events", type=int, default=100_000)
    args = parser.parse_args(argv)

    import polars as pl

    from metrics.conformance import FutureState, conformance
    from metrics.derived import derive_all
    from metrics.forecast import forecast_days, forecast_items, likely_done_by
    from metrics.transitions import transitions
    from metrics.whatif import Parallel, Remove, WaitFactor, maps, whatif
    from metrics.working_time import Calendar, working_seconds
    from pipelines.demo_data import generate_demo, generate_events

    t0 = time.perf_counter()
    events = generate_events(args.events, seed=args.seed).with_columns(
        event_id=pl.int_range(pl.len(), dtype=pl.Int64)
    )
    catalog = generate_demo(args.seed, scale=0.01).catalog
    calendar = Calendar.from_json(CALENDAR)
    print(
        f"generated {events.height:,} events in {time.perf_counter() - t0:.1f} s "
        f"({events['case_id'].n_unique():,} cases, {events['offering'].n_unique()} offerings)"
    )

    plain_s, plain = best(args.repeat, lambda: derive_all(events, catalog))
    working_s, worked = best(args.repeat, lambda: derive_all(events, catalog, calendar=calendar))
    starts = events["start"].fill_null(events["end"])
    pairs_s, _ = best(args.repeat, lambda: working_seconds(starts, events["end"], calendar))
    print(f"derive_all, elapsed time:          {plain_s:6.2f} s")
    print(f"derive_all, working time:          {working_s:6.2f} s  ({working_s / plain_s:.2f}x)")
    print(f"working_seconds, {events.height:,} pairs: {pairs_s:6.2f} s")
    share = worked.cases["lead_time_s"].sum() / plain.cases["lead_time_s"].sum()
    print(f"  working lead time / elapsed lead time, all cases: {share:.1%}")

    for offering in sorted(plain.cases["offering"].unique()):
        cases = plain.cases.filter(pl.col("offering") == offering)
        inst = plain.instances.filter(pl.col("offering") == offering)
        top = (
            cases.filter(pl.col("completed"))
            .group_by("variant")
            .len()
            .sort("len", descending=True)["variant"][0]
            .to_list()
        )
        steps = list(dict.fromkeys(top))
        changes = [
            Remove(steps[1]),
            Parallel(steps[2], steps[3]) if len(steps) > 3 else Remove(steps[-1]),
            WaitFactor(steps[-1], 0.5),
        ]
        future = FutureState.from_json({"name": "top variant", "stages": steps})
        n_inst = inst.height
        li, lc = inst.lazy(), cases.lazy()
        t_whatif, out = best(args.repeat, lambda li=li, lc=lc, ch=changes: whatif(li, lc, ch))
        t_maps, _ = best(args.repeat, lambda li=li, lc=lc, ch=changes: maps(li, lc, ch))
        t_conf, conf = best(args.repeat, lambda li=li, lc=lc, f=future: conformance(li, lc, f))
        t_items, fc = best(args.repeat, lambda lc=lc: forecast_items(lc, items=500))
        t_days, _ = best(args.repeat, lambda lc=lc: forecast_days(lc, days=30))
        t_likely, likely = best(args.repeat, lambda lc=lc: likely_done_by(lc, plain.now))  # type: ignore[arg-type]
        print(
            f"{offering} ({n_inst:,} instances, {out['cases']:,} completed cases):\n"
            f"  what-if {t_whatif:.2f} s ({out['affected_cases']:,} affected; p50 "
            f"{out['baseline']['lead_time_s']['p50'] / 86400:.1f} → "
            f"{out['projected']['lead_time_s']['p50'] / 86400:.1f} d), maps {t_maps:.2f} s\n"
            f"  conformance {t_conf:.2f} s ({conf['conforming_share']:.1%} follow the top variant)\n"
            f"  forecast 500 items {t_items:.2f} s (p85 {fc['done_by']['p85']}), "
            f"30 days {t_days:.2f} s, likely done by for {likely.height:,} open items {t_likely:.2f} s"
        )

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pm4py

    sample_cases = events.head(args.pm4py_events)["case_id"].unique()
    sample = events.filter(pl.col("case_id").is_in(sample_cases.implode()))
    local = pl.col("end").dt.convert_time_zone(calendar.timezone).dt.replace_time_zone(None)
    frame = (
        sample.select(
            **{"case:concept:name": "case_id", "concept:name": "activity", "time:timestamp": local}
        )
        .to_pandas()
        .sort_values(["case:concept:name", "time:timestamp"], kind="stable")
    )
    slots = [
        (i * 86_400 + a, i * 86_400 + b) for i, day in enumerate(calendar.hours) for a, b in day
    ]
    no_holidays = Calendar.from_json(CALENDAR | {"holidays": []})
    only_ends = sample.with_columns(start=pl.lit(None, dtype=pl.Datetime("us", "UTC")))
    t_pm4py, _ = best(
        1,
        lambda: (
            pm4py.get_all_case_durations(frame, business_hours=True, business_hour_slots=slots),
            pm4py.discover_performance_dfg(frame, business_hours=True, business_hour_slots=slots),
        ),
    )
    t_ours, _ = best(
        args.repeat,
        lambda: transitions(
            derive_all(only_ends, catalog, calendar=no_holidays).instances.lazy()
        ).collect(),
    )
    print(
        f"business-hours case durations and performance DFG on {sample.height:,} events "
        f"(ends only): pm4py {t_pm4py:.2f} s, ours {t_ours:.2f} s ({t_pm4py / t_ours:.0f}x)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
