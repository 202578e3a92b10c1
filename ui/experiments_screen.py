"""The Experiments page: the list with verdicts, one experiment's before/after view, and editing.

The comparison (metrics.compare) is computed from the events on every data
version and cached by the experiment's plain values (offering, change instant,
windows); the experiment records themselves are read fresh on every run, since
they are a few rows and the page edits them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from functools import partial
from typing import Any, Literal

import polars as pl
import streamlit as st

from charts.experiments import (
    effect_interval_chart,
    lead_time_distribution_chart,
    moving_range_chart,
    process_behaviour_chart,
    wait_shift_chart,
    xmr_chart,
)
from charts.style import AnyChart
from metrics.compare import Comparison, compare
from metrics.selection import Selection
from metrics.significance import ALPHA, MeasureComparison
from metrics.verdict import (
    CLEARLY_LONGER,
    CLEARLY_SHORTER,
    MIN_STEP_WAITS,
    p_text,
    step_changes_words,
)
from metrics.windows import Side, WindowFigures
from metrics.xmr import XMR_RULES
from ui.access import why_not
from ui.chart_specs import Built, built
from ui.context import empty_warehouse
from ui.drill import cases_link
from ui.experiment_future_state import KEY as FUTURE_STATE_KEY
from ui.experiment_future_state import future_state_field
from ui.format import (
    day_month,
    day_text,
    day_text_expr,
    duration_delta,
    duration_text,
    explain,
    in_unit,
    larger,
    moment_text,
    plain,
    share,
    table_unit,
    unit_label,
)
from ui.resources import data_version, open_warehouse, recorded_experiments, warehouse
from ui.views import Derived, derived, derived_at, offerings_of
from ui.widgets import chart_downloads, csv_download, draw_chart, seed_from_url, slug
from warehouse import WarehouseError
from warehouse.experiments import (
    DEFAULT_WINDOW_DAYS,
    MAX_WINDOW_DAYS,
    STATUSES,
    create_experiment,
    delete_experiment,
    experiments,
    update_experiment,
)
from warehouse.mapped import folder_of, held

INTRO = (
    "The method: choose one bottleneck, change it for a couple of weeks, measure, then keep or "
    "revert the change. Each experiment compares the cases that **started** in the days before "
    "the change with those that started after it (completed cases only), and says in plain "
    "words whether work now flows faster, whether the queue only moved to another step, and "
    "whether quality suffered. The sidebar filters do not apply here: an experiment always "
    "looks at every case of its offering."
)

VERDICT_STYLE: dict[str, tuple[str, str]] = {
    "faster": ("success", ":material/trending_down:"),
    "slower": ("error", ":material/trending_up:"),
    "waiting moved": ("warning", ":material/swap_horiz:"),
    "no detectable change": ("info", ":material/drag_handle:"),
    "too few cases": ("info", ":material/hourglass_empty:"),
}
STATUS_WORDS = {"running": "Running", "kept": "Kept", "reverted": "Reverted"}


def context() -> Derived:
    """Every case of the warehouse; the empty state and a stop when there is none."""
    d = derived()
    if d.cases.height == 0:
        empty_warehouse()
        st.stop()
    return d


@st.cache_resource(show_spinner="Comparing before and after...", max_entries=64)
def _comparison(
    path: str, version: str, offering: str, change_iso: str, before_days: int, after_days: int
) -> Comparison | None:
    """Shared by every session, never changed (a frozen dataclass of immutable frames);
    its frames of the cases compared kept in a file mapped into memory where they are
    big (`warehouse.mapped.held`)."""
    d = derived_at(path, version)
    if offering not in set(d.cases["offering"].unique().to_list()):
        return None
    change = datetime.fromisoformat(change_iso)
    found = compare(
        d.instances.lazy(),
        d.cases.lazy(),
        offering,
        change,
        before_days,
        after_days,
        steps_of=d.steps_reader(offering),
    )
    return held(found, folder_of(path))


def comparison(
    offering: str, change: datetime, before_days: int, after_days: int
) -> Comparison | None:
    """The before/after comparison of one change (None when the offering has no cases)."""
    wh = warehouse()
    return _comparison(
        str(wh.path), data_version(wh), offering, change.isoformat(), before_days, after_days
    )


def read_ahead(path: str) -> int:
    """Compare every recorded experiment as the page's list does, and the change "Try a
    change now" opens on, ahead of the page (the server does it once it is up:
    ui.serve); returns how many. About 0.25 s each on the demo, most of the page's first
    run."""
    wh = open_warehouse(path)
    version = data_version(wh)
    records = experiments(wh)
    for row in records.iter_rows(named=True):
        _comparison(
            path,
            version,
            row["offering"],
            row["changed_at"].isoformat(),
            row["before_days"],
            row["after_days"],
        )
    # And the verdict "Try a change now" opens on: its first offering, on its first day.
    d = derived_at(path, version)
    offerings = offerings_of(d)
    if offerings:
        change = _instant(_default_day(d), time(0, 0))
        _comparison(
            path,
            version,
            offerings[0],
            change.isoformat(),
            DEFAULT_WINDOW_DAYS,
            DEFAULT_WINDOW_DAYS,
        )
    return records.height + bool(offerings)


def _records() -> pl.DataFrame:
    return recorded_experiments()


def _label(row: dict[str, Any]) -> str:
    return f"{row['name']} ({row['offering']}, {day_text(row['changed_at'])})"


def overview() -> pl.DataFrame:
    """The list of experiments with their verdicts; returns the records."""
    records = _records()
    if records.height == 0:
        st.info(
            "No experiment yet. Use **Try a change now** below: pick an offering and the day a "
            "change took effect, see the verdict at once, and save it as an experiment.",
            icon=":material/science:",
        )
        return records
    rows = []
    for row in records.iter_rows(named=True):
        c = comparison(row["offering"], row["changed_at"], row["before_days"], row["after_days"])
        rows.append(
            {
                "Experiment": row["name"],
                "Offering": row["offering"],
                "Change (UTC)": moment_text(row["changed_at"]),
                "Days before / after": f"{row['before_days']} / {row['after_days']}",
                "Decision": STATUS_WORDS[row["status"]],
                "Verdict": c.verdict if c else "no cases of this offering",
                "Cases before / after": (
                    f"{c.before.completed} / {c.after.completed}" if c else "–"
                ),
                "Warnings": ", ".join(
                    w
                    for w, on in (
                        ("rework rose", c is not None and c.quality_warning),
                        ("many cases still open", c is not None and c.censoring_warning),
                    )
                    if on
                ),
            }
        )
    table = pl.DataFrame(rows)
    st.dataframe(
        table,
        hide_index=True,
        column_config={
            "Cases before / after": st.column_config.TextColumn(
                help="Completed cases compared: started in the days before the change / after it."
            )
        },
    )
    csv_download(table, "experiments", "exp_list_csv", "Download the list (CSV)")
    return records


def choose(records: pl.DataFrame) -> dict[str, Any] | None:
    """One experiment to look at; `?p_experiment=ID` preselects it."""
    if records.height == 0:
        return None
    by_id = {row["id"]: row for row in records.iter_rows(named=True)}
    ids = list(by_id)
    seed_from_url("exp_choice", "p_experiment", ids, ids[0])
    chosen = st.selectbox(
        "Experiment",
        ids,
        key="exp_choice",
        format_func=lambda i: _label(by_id[i]),
        help="The experiments, latest change first.",
    )
    st.query_params["p_experiment"] = str(chosen)
    return by_id[chosen]


def _save_status(exp_id: int) -> None:
    try:
        update_experiment(warehouse(), exp_id, status=st.session_state[f"exp_status_{exp_id}"])
    except WarehouseError as exc:
        st.session_state["exp_error"] = str(exc)


def header(row: dict[str, Any]) -> None:
    st.subheader(plain(row["name"]))
    left, right = st.columns([4, 1])
    with left:
        w_before = row["changed_at"] - timedelta(days=row["before_days"])
        w_after = row["changed_at"] + timedelta(days=row["after_days"])
        st.markdown(
            f"**{plain(row['offering'])}** · the change took effect **{moment_text(row['changed_at'])} "
            f"UTC** · compares cases started {day_month(w_before)} – "
            f"{day_text(row['changed_at'])} (before) with {day_month(row['changed_at'])} – "
            f"{day_text(w_after)} (after)"
        )
        if row["what_changed"]:
            st.markdown(f"**What changed:** {plain(row['what_changed'])}")
        if row["hypothesis"]:
            st.markdown(f"**Hypothesis:** {plain(row['hypothesis'])}")
        if row["is_demo"]:
            st.caption("A change baked into the demo data.")
    with right:
        key = f"exp_status_{row['id']}"
        st.session_state.setdefault(key, row["status"])
        st.selectbox(
            "Decision",
            list(STATUSES),
            key=key,
            format_func=STATUS_WORDS.__getitem__,
            on_change=_save_status,
            args=(row["id"],),
            help="Running while you measure; then keep the change or revert it.",
            disabled=why_not("edit experiment") is not None,
        )


def _headline(text: str) -> str:
    """The verdict sentence with its head ("Faster:", "Waiting moved from X to Y:") in bold,
    the steps it names shown as written."""
    head, sep, rest = text.partition(": ")
    return f"**{plain(head)}:** {plain(rest)}" if sep else plain(text)


def verdict(c: Comparison) -> None:
    kind, icon = VERDICT_STYLE[c.verdict]
    box = getattr(st, kind)
    box(_headline(c.verdict_text), icon=icon)
    if c.quality_warning:
        st.error(
            f"**Quality warning: rework rose significantly.** {plain(c.quality_text)}",
            icon=":material/report:",
        )
    if c.censoring_warning:
        extra = ""
        if c.follow_up is not None and c.follow_up.possible:
            extra = (
                f" So the lead-time verdict compares only cases watched for at least "
                f"{duration_text(c.follow_up.horizon_s)} after they started ({c.follow_up.lead.before_n} "
                f"before, {c.follow_up.lead.after_n} after), counting a case not done by then as "
                f"{duration_text(c.follow_up.horizon_s)}."
            )
        st.warning(
            f"**Many cases are still open.** {plain(c.open_share_text)} A recent window loses its "
            f"slowest cases first, so its completed cases look faster than it really is.{extra}",
            icon=":material/pending:",
        )
    for note in c.notes:
        st.caption(plain(note))


def _tested_color(c: Comparison, m: MeasureComparison) -> Literal["inverse", "off"]:
    """Green or red only where the interval chart colours the same figure; grey otherwise."""
    return "inverse" if c.outcome(m) in (CLEARLY_SHORTER, CLEARLY_LONGER) else "off"


def tiles(c: Comparison) -> None:
    """The headline figures after the change, each with its change against before and its n."""
    b, a = c.before, c.after
    nb, na = b.completed, a.completed
    w = c.windows
    ns = (
        f"After: {na} completed cases started in the {w.after_days} days after the change. "
        f"Before: {nb} started in the {w.before_days} days before."
    )
    clear = (
        "The change is coloured only when it is clear (95% interval clear of zero and "
        "Mann–Whitney p < 0.05); grey could be chance, or, while many cases are still open, "
        "the completed cases alone are not a fair comparison. "
    )
    cols = st.columns(5)

    def time_tile(
        col: Any,
        label: str,
        figure: Callable[[WindowFigures], float | None],
        definition: str,
        lead_in: str,
        color: Literal["inverse", "off"],
    ) -> None:
        after, before = figure(a), figure(b)
        like = larger(after, before)
        col.metric(
            label,
            duration_text(after, like=like),
            delta=duration_delta(after, before),
            delta_color=color,
            delta_description=f"from {duration_text(before, like=like)}",
            help=lead_in + explain(definition, extra=ns),
        )

    time_tile(
        cols[0],
        "Median lead time",
        lambda f: f.lead_time_s.p50,
        "lead_time",
        "Half of the cases took at most this long. " + clear,
        _tested_color(c, c.lead),
    )
    time_tile(
        cols[1],
        "p85 lead time",
        lambda f: f.lead_time_s.p85,
        "lead_time",
        "85% of the cases took at most this long (no test: shown in grey). ",
        "off",
    )
    time_tile(
        cols[2],
        "Median wait time",
        lambda f: f.wait_time_s.p50,
        "wait_time",
        "Half of the cases waited at most this long in all. " + clear,
        _tested_color(c, c.wait),
    )
    weeks_after = (w.observed_after_end - w.change).total_seconds() / (7 * 86400)
    tp_a, tp_b = a.throughput_per_week, b.throughput_per_week
    cols[3].metric(
        "Throughput",
        f"{tp_a:.1f} / week" if tp_a is not None else "–",
        delta=f"{tp_a - tp_b:+.1f}" if tp_a is not None and tp_b is not None else None,
        delta_color="off",
        delta_description=f"from {tp_b:.1f}" if tp_b is not None else None,
        help=f"Cases of the offering completed per week during each window, whenever they "
        f"started: {a.completions} in the {weeks_after:.1f} weeks after the change, "
        f"{b.completions} in the {w.before_days / 7:.1f} weeks before. " + explain("throughput"),
    )
    cols[4].metric(
        "Still open",
        share(a.open_share),
        delta=f"{(a.open_share - b.open_share) * 100:+.0f} pts"
        if a.open_share is not None and b.open_share is not None
        else None,
        delta_color="off",
        delta_description=f"from {share(b.open_share)}",
        help=f"Cases started in the window that have not completed yet: {a.open_cases} of "
        f"{a.cases} after the change, {b.open_cases} of {b.cases} before. Their lead "
        "time is not known yet, so they are not in the other figures; when the two shares "
        "differ by more than 10 points the page warns.",
    )


def quality_tile(c: Comparison) -> None:
    b, a = c.before, c.after
    with st.container(border=True):
        st.markdown("**Quality**")
        diff = None
        if a.rework_case_share is not None and b.rework_case_share is not None:
            diff = f"{(a.rework_case_share - b.rework_case_share) * 100:+.0f} pts"
        clear = c.rework_p is not None and c.rework_p < ALPHA
        st.metric(
            "Cases with rework",
            share(a.rework_case_share),
            delta=diff,
            delta_color="inverse" if clear else "off",
            delta_description=f"from {share(b.rework_case_share)}",
            help="Completed cases in which some step was done more than once. "
            + explain("rework", extra=plain(c.quality_text)),
        )
        if c.quality_warning:
            st.markdown(
                ":red[**Rose significantly**] (two-proportion test p < 0.05): the "
                "change may have cost quality."
            )
        else:
            st.markdown("No significant rise in rework: quality held.")
        st.caption(
            f"{a.rework_cases} of {a.completed} completed cases after the change, "
            f"{b.rework_cases} of {b.completed} before."
        )


def window_selection(c: Comparison, side: Side) -> Selection:
    """The completed cases one window compared (metrics.selection names them for a link)."""
    w = c.windows
    span = (w.before_start, w.change) if side == "before" else (w.change, w.after_end)
    return Selection(c.offering, completed=True, started=span)


def window_links(c: Comparison) -> None:
    """Each window opens the list of the cases it compared."""
    w = c.windows
    left, right = st.columns(2)
    with left:
        cases_link(
            f"The {c.before.completed:,} completed cases started before the change "
            f"({day_month(w.before_start)} – {day_month(w.change)})",
            window_selection(c, "before"),
        )
    with right:
        cases_link(
            f"The {c.after.completed:,} completed cases started after it "
            f"({day_month(w.change)} – {day_month(w.observed_after_end)})",
            window_selection(c, "after"),
        )


def _shown(frame: pl.DataFrame) -> pl.DataFrame:
    """A table as read: a missing figure is '–', never 'None' (its column becomes text)."""
    return frame.with_columns(
        pl.col(name).cast(pl.String).fill_null("–")
        for name in frame.columns
        if frame[name].null_count()
    )


def _p(column: str) -> pl.Expr:
    return pl.col(column).map_elements(p_text, return_dtype=pl.String)


def _file(c: Comparison, what: str) -> str:
    return f"experiment-{slug(c.offering)}-{c.windows.change:%Y-%m-%d}-{what}"


def _title(c: Comparison, what: str) -> str:
    return f"{what}: {c.offering}, change on {day_text(c.windows.change)}"


def _export_width(chart: Built, width: int, title: str) -> Callable[[], AnyChart]:
    """A file has no page to fill: give the chart a width and say what it shows (when a
    file is asked for: ui.widgets.chart_downloads)."""
    return partial(chart.properties, width=width, title=title)


def effects_table(c: Comparison) -> pl.DataFrame:
    """The numbers behind "How sure can we be?", in one unit, no 'None'."""
    e = c.effects()
    # The unit of the case measures (lead, wait, process time): the steps' waits follow it.
    unit = table_unit(e.filter(pl.col("kind") == "case"), ["before_p50_s", "after_p50_s"])
    return _shown(
        e.select(
            pl.col("label").alias("Measure"),
            pl.col("before_n").alias("Values before"),
            pl.col("after_n").alias("Values after"),
            in_unit("before_p50_s", unit, 2).alias(unit_label("Median before", unit)),
            in_unit("after_p50_s", unit, 2).alias(unit_label("Median after", unit)),
            in_unit("median_diff_s", unit, 2).alias(unit_label("Change in the median", unit)),
            in_unit("ci_low_s", unit, 2).alias(unit_label("95% interval from", unit)),
            in_unit("ci_high_s", unit, 2).alias(unit_label("95% interval to", unit)),
            _p("p_value").alias("Mann–Whitney p"),
            _p("p_corrected").alias("p corrected for the steps tested (Holm)"),
            pl.col("outcome").alias("Change"),
        )
    )


def step_wait_table(c: Comparison) -> pl.DataFrame:
    """The numbers behind "Where the waiting went", in one unit, no 'None'."""
    f = c.step_wait_frame()
    unit = table_unit(f, ["before_per_case_s", "after_per_case_s"])
    return _shown(
        f.select(
            pl.col("activity").alias("Wait before"),
            pl.col("before_instances").alias("Waits before"),
            pl.col("after_instances").alias("Waits after"),
            in_unit("before_per_case_s", unit, 2).alias(unit_label("Per case before", unit)),
            in_unit("after_per_case_s", unit, 2).alias(unit_label("Per case after", unit)),
            in_unit("before_p50_s", unit, 2).alias(unit_label("Median before", unit)),
            in_unit("after_p50_s", unit, 2).alias(unit_label("Median after", unit)),
            _p("p_corrected").alias("p corrected for the steps tested (Holm)"),
            pl.col("outcome").alias("Change"),
        )
    )


def xmr_table(c: Comparison) -> pl.DataFrame:
    """The points of the process behaviour charts, in one unit, with the rules they fired."""
    pts = c.points
    unit = table_unit(pts, ["lead_time_s", "moving_range"])
    fired = [pl.when(pl.col(column)).then(pl.lit(name)) for column, name in XMR_RULES]
    rules = pl.concat_str(fired, separator="; ", ignore_nulls=True)
    return _shown(
        pts.select(
            pl.col("case_id").alias("Case"),
            day_text_expr("first_start", with_time=True).alias("Started (UTC)"),
            day_text_expr("last_end", with_time=True).alias("Completed (UTC)"),
            pl.when(pl.col("is_baseline"))
            .then(pl.lit("before the change (the limits' baseline)"))
            .otherwise(pl.lit("after the change"))
            .alias("Completed when"),
            in_unit("lead_time_s", unit).alias(unit_label("Lead time", unit)),
            in_unit("moving_range", unit).alias(unit_label("Moving range", unit)),
            pl.when(pl.col("signal")).then(rules).alias("Signals"),
            pl.when(pl.col("range_beyond_limit"))
            .then(pl.lit("above the upper range limit"))
            .alias("Moving range signal"),
        )
    )


def _numbers(table: pl.DataFrame, name: str, key: str) -> None:
    with st.expander("The numbers behind the chart", icon=":material/table:"):
        st.dataframe(table, hide_index=True, key=f"{key}_table")
        csv_download(table, name, f"{key}_csv")


def xmr_caption(c: Comparison) -> str:
    """What the two process behaviour charts show, and how often each rule fired."""
    pts = c.points
    later = pts.filter(~pl.col("is_baseline"))
    base = pts.height - later.height
    counts = "; ".join(
        f"{name[0].lower()}{name[1:]}: {int(pts[column].sum())} points "
        f"({int(later[column].sum())} after the change)"
        for column, name in XMR_RULES
    )
    above = int(pts["range_beyond_limit"].sum()) if pts.height else 0
    return (
        f"Every completed case, by the day it completed. The centre line and the natural "
        f"process limits come from the {base} cases completed in the "
        f"{c.windows.before_days} days before the change: as long as the process does not "
        "change, nearly every point stays inside the limits and the points do not run long "
        f"on one side. Only Wheeler's three detection rules are marked: {counts}. Rings mark "
        "rule 1, squares rule 2, shaded bands rule 3; hover a point for every rule it fired. "
        "Below, the moving range: how far each lead time is from the one completed just "
        f"before it; {above} of them rise above the upper range limit (3.268 × the average "
        "moving range before the change). Grey points after the change were already under "
        "way when it took effect."
    )


def charts(c: Comparison) -> None:
    b, a = c.before, c.after
    if b.completed == 0 or a.completed == 0:
        st.info(
            "The charts need completed cases on both sides of the change.",
            icon=":material/hourglass_empty:",
        )
        return
    # One chart to a row where it has exports: their buttons need the page's width.
    st.markdown("**Lead time before and after**")
    chart = built(lead_time_distribution_chart, c.compared)
    draw_chart(chart, width="stretch")
    st.caption(
        f"How long the completed cases took: {b.completed} started before the "
        f"change (grey), {a.completed} after (blue). Each colour adds up to 100%; "
        "the dashed lines are the medians."
    )
    chart_downloads(
        _export_width(chart, 800, _title(c, "Lead time before and after")),
        _file(c, "lead-times"),
        "exp_lead",
    )
    st.markdown("**How sure can we be?**")
    chart = built(effect_interval_chart, c.effects())
    draw_chart(chart, width="stretch")
    st.caption(
        "Each line is the change in a median (after − before) with its 95% confidence "
        "interval (bootstrap). Lead, wait and process time are green or red when the line "
        "stays clear of zero and the Mann–Whitney test agrees (p < 0.05). The wait before "
        "a step counts each instance and is green or red only when its Mann–Whitney "
        f"p stays under 0.05 after Holm's correction for the {c.steps_tested} steps tested "
        "(with a dozen steps, one would otherwise look clear by chance): the same test the "
        "verdict uses. Grey: it could be chance. Hover for the medians, the p-values and "
        "how many values each rests on."
    )
    chart_downloads(
        _export_width(chart, 800, _title(c, "How sure can we be?")),
        _file(c, "intervals"),
        "exp_effects",
    )
    _numbers(effects_table(c), _file(c, "intervals"), "exp_effects")
    left, right = st.columns([3, 1])
    with left:
        st.markdown("**Where the waiting went**")
        if c.step_wait_shift:
            chart = built(wait_shift_chart, c.step_wait_frame())
            draw_chart(chart, width="stretch")
        st.caption(
            f"The bottleneck (the longest queue in total) was "
            f"**{plain(c.bottleneck_before or '–')}** before the change and "
            f"**{plain(c.bottleneck_after or '–')}** after it. "
            f"{plain(step_changes_words(c.step_wait_shift))} Each line shows the wait in front of a step per "
            f"completed case, before ({b.completed} cases) and after ({a.completed}); the "
            "steps add up to the average wait per case. Its colour is the step's test on the "
            "chart above: green clearly shorter, red clearly longer, grey could be chance, "
            f"light grey fewer than {MIN_STEP_WAITS} waits in a window to test."
        )
    with right:
        quality_tile(c)
    if c.step_wait_shift:
        chart_downloads(
            _export_width(chart, 800, _title(c, "Where the waiting went")),
            _file(c, "waits"),
            "exp_waits",
        )
        _numbers(step_wait_table(c), _file(c, "waits"), "exp_waits")
    st.markdown("**Lead times in order of completion (process behaviour chart)**")
    change = c.windows.change
    draw_chart(built(xmr_chart, c.points, change), width="stretch")
    draw_chart(built(moving_range_chart, c.points, change), width="stretch")
    st.caption(xmr_caption(c))
    chart_downloads(
        lambda: process_behaviour_chart(c.points, change, 1000).properties(
            title=_title(c, "Lead times in order of completion")
        ),
        _file(c, "process-behaviour"),
        "exp_xmr",
    )
    _numbers(xmr_table(c), _file(c, "process-behaviour"), "exp_xmr")


def _instant(day: date, at: time) -> datetime:
    return datetime.combine(day, at, UTC)


def _default_name(offering: str, day: date) -> str:
    return f"{offering}: change on {day_text(day)}"


def _create() -> None:
    """Save the "Try a change now" fields; reads the widgets' state (a callback's args are stale)."""
    ss = st.session_state
    offering, day = ss["try_offering"], ss["try_date"]
    try:
        new_id = create_experiment(
            warehouse(),
            name=ss["try_name"].strip() or _default_name(offering, day),
            offering=offering,
            changed_at=_instant(day, ss["try_time"]),
            what_changed=ss["try_what"],
            hypothesis=ss["try_hypothesis"],
            before_days=int(ss["try_before"]),
            after_days=int(ss["try_after"]),
        )
    except WarehouseError as exc:
        ss["exp_error"] = str(exc)
        return
    ss["exp_choice"] = new_id
    ss["exp_saved"] = "Saved as a new experiment: it is the one shown below."


_PREFILL = "try_prefill"


def prefill_try_a_change(offering: str, name: str, what_changed: str) -> None:
    """Open "Try a change now" with these values on the page's next run (another page's
    "Try a change on this" calls it, then switches here)."""
    st.session_state[_PREFILL] = {
        "try_offering": offering,
        "try_name": name,
        "try_what": what_changed,
    }


TRYING = "try_open"
"""The key of the "Try a change now" expander (open: True)."""

EDITING = "edit_open"
"""The key of the "Edit or delete this experiment" expander (open: True)."""


def try_a_change(d: Derived, open_by_default: bool) -> None:
    """Pick an offering and a day: the verdict at once, then save it as an experiment.
    Drawn only while open: its verdict's charts and form were a third of the page's
    first render in the browser where experiments are listed above it."""
    offerings = offerings_of(d)
    if prefill := st.session_state.pop(_PREFILL, None):
        st.session_state.update(prefill)
        st.session_state[TRYING] = True
    first_day, last_day = _days(d)
    box = st.expander(
        "Try a change now",
        icon=":material/science:",
        expanded=open_by_default,
        key=TRYING,
        on_change="rerun",
    )
    if not box.open:
        return
    with box:
        st.caption(
            "Pick an offering and the day a change took effect, then press **Preview**: the "
            "verdict shows before you save anything. Save it to keep it in the list."
        )
        # A form: what is typed applies when Preview or Save is pressed, never half-way (a
        # date typed into a bare date field applied only after a click elsewhere).
        with st.form("try_form", border=False):
            cols = st.columns([2, 1, 1, 1, 1])
            offering = cols[0].selectbox("Offering", offerings, key="try_offering")
            st.session_state.setdefault("try_date", _default_day(d))
            day = cols[1].date_input(
                "Change took effect on", key="try_date", min_value=first_day, max_value=last_day
            )
            at = cols[2].time_input("at (UTC)", value=time(0, 0), key="try_time")
            before = int(
                cols[3].number_input(
                    "Days before", 1, MAX_WINDOW_DAYS, DEFAULT_WINDOW_DAYS, key="try_before"
                )
            )
            after = int(
                cols[4].number_input(
                    "Days after", 1, MAX_WINDOW_DAYS, DEFAULT_WINDOW_DAYS, key="try_after"
                )
            )
            button, hint = st.columns([1, 5], vertical_alignment="center")
            button.form_submit_button("Preview", key="try_preview", icon=":material/refresh:")
            hint.caption(STALE_HINT)
            _preview(d, offering, _instant(day, at), before, after)
            default_name = _default_name(offering, day)
            st.text_input(
                "Name",
                key="try_name",
                placeholder=default_name,
                help=f"Left empty, the experiment is called “{plain(default_name)}”.",
            )
            st.text_input("What changed", key="try_what")
            st.text_area(
                "Hypothesis: what should improve, and why", key="try_hypothesis", height=68
            )
            refused = why_not("record experiment")
            st.form_submit_button(
                "Save as experiment",
                key="try_save",
                icon=":material/save:",
                on_click=_create,
                disabled=refused is not None,
            )
            if refused:
                st.caption(refused)


def _days(d: Derived) -> tuple[date, date]:
    """The first and the last day a change can be tried on."""
    last_day = (d.now or datetime.now(UTC)).date()
    return d.cases["first_start"].min().date(), last_day  # type: ignore[union-attr]


def _default_day(d: Derived) -> date:
    """The day "Try a change now" opens on: 30 days before the latest event."""
    first_day, last_day = _days(d)
    return max(first_day, last_day - timedelta(days=30))


STALE_HINT = (
    "Typed a new date or number? Press **Preview** (or Enter) to apply it: until then the "
    "verdict below is still the one for the offering, day and windows it names."
)


def _preview(d: Derived, offering: str, change: datetime, before: int, after: int) -> None:
    """The verdict for the values last applied, naming them, so a stale one reads as such."""
    c = comparison(offering, change, before, after)
    st.markdown(
        f"**Verdict for a change in {plain(offering)} on {moment_text(change)} UTC**, "
        f"comparing the {before} days before with the {after} days after:"
    )
    if c is None:
        return
    icon = VERDICT_STYLE[c.verdict][1]
    st.markdown(f"{icon} {_headline(c.verdict_text)}")
    if c.quality_warning:
        st.markdown(f":red[**Quality warning:**] {plain(c.quality_text)}")
    if c.censoring_warning:
        st.markdown(f":orange[**Many cases still open:**] {plain(c.open_share_text)}")
    if c.before.cases == 0 and c.after.cases == 0:
        # Offerings span different years (a historical log beside live data): say where
        # this one's cases are instead of leaving two empty windows unexplained.
        starts: list[datetime] = d.cases.filter(pl.col("offering") == offering)[
            "first_start"
        ].to_list()
        st.caption(
            f"No case of {plain(offering)} started in these windows: its cases started between "
            f"{day_text(min(starts))} and {day_text(max(starts))}."
        )


def messages() -> None:
    """What the last save or delete did (set by the button callbacks)."""
    if message := st.session_state.pop("exp_saved", None):
        st.success(message, icon=":material/check:")
    if error := st.session_state.pop("exp_error", None):
        st.error(plain(error), icon=":material/error:")


def _update(exp_id: int) -> None:
    ss = st.session_state
    try:
        update_experiment(
            warehouse(),
            exp_id,
            name=ss["edit_name"],
            changed_at=_instant(ss["edit_date"], ss["edit_time"]),
            before_days=ss["edit_before"],
            after_days=ss["edit_after"],
            what_changed=ss["edit_what"],
            hypothesis=ss["edit_hypothesis"],
            future_state_id=ss.get(FUTURE_STATE_KEY),
        )
    except WarehouseError as exc:
        ss["exp_error"] = str(exc)
        return
    ss["exp_saved"] = "Changes saved."


def _delete(exp_id: int) -> None:
    try:
        delete_experiment(warehouse(), exp_id)
    except WarehouseError as exc:
        st.session_state["exp_error"] = str(exc)
        return
    st.session_state.pop("exp_choice", None)
    st.query_params.pop("p_experiment", None)
    st.session_state[EDITING] = False  # the next experiment shown opens folded
    st.session_state["exp_saved"] = "Experiment deleted."


def edit(row: dict[str, Any]) -> None:
    """Edit the chosen experiment's record, or delete it. Drawn only while open: its form
    was a fifth of what a new tab drew of the page, and the page's only date, time,
    number and long-text fields."""
    box = st.expander(
        "Edit or delete this experiment", icon=":material/edit:", key=EDITING, on_change="rerun"
    )
    if not box.open:
        return
    with box:
        ss = st.session_state
        # Filled from the record for another experiment, and again after the form was
        # folded (Streamlit forgets the fields of a form it did not draw).
        if ss.get("edit_for") != row["id"] or "edit_name" not in ss:
            ss.update(
                edit_for=row["id"],
                edit_name=row["name"],
                edit_date=row["changed_at"].date(),
                edit_time=row["changed_at"].time().replace(tzinfo=None),
                edit_before=row["before_days"],
                edit_after=row["after_days"],
                edit_what=row["what_changed"],
                edit_hypothesis=row["hypothesis"],
                **{FUTURE_STATE_KEY: row["future_state_id"]},
            )
        with st.form("edit_form", border=False):
            st.text_input("Name", key="edit_name")
            cols = st.columns(4)
            cols[0].date_input("Change took effect on", key="edit_date")
            cols[1].time_input("at (UTC)", key="edit_time")
            cols[2].number_input("Days before", 1, MAX_WINDOW_DAYS, key="edit_before")
            cols[3].number_input("Days after", 1, MAX_WINDOW_DAYS, key="edit_after")
            st.text_input("What changed", key="edit_what")
            st.text_area("Hypothesis", key="edit_hypothesis", height=68)
            future_state_field(row["offering"])
            refused = why_not("edit experiment")
            st.form_submit_button(
                "Save changes",
                icon=":material/save:",
                on_click=_update,
                args=(row["id"],),
                disabled=refused is not None,
            )
        if refused:
            st.caption(refused)
        no_delete = why_not("delete experiment")
        sure = st.checkbox(
            "Yes, delete this experiment", key="edit_delete_sure", disabled=no_delete is not None
        )
        st.button(
            "Delete experiment",
            key="edit_delete",
            icon=":material/delete:",
            disabled=not sure or no_delete is not None,
            on_click=_delete,
            args=(row["id"],),
        )
        if no_delete:
            st.caption(no_delete)
