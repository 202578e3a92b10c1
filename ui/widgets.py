"""Widgets every page shares: choices a link can carry, the offering picker, and downloads.

A page's own choices mirror a `p_` query parameter (the shared sidebar filters own the
plain ones, ui/filters.py, and keep every `p_` parameter when they rewrite the URL). A
parameter seeds the widget only when the widget has no valid state yet, so a link opens
the page as it was shared and the user's clicks win afterwards. The offering chosen on
one page is also kept in the session, so the next page opens on the same offering.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, cast

import polars as pl
import streamlit as st

from charts.export import to_png, to_svg
from charts.style import AnyChart, check_parts
from ui.chart_specs import Built, SpecCache, spec_key
from ui.format import plain
from ui.resources import warehouse_path

_OFFERING = "_chosen_offering"

# Whether charts are checked against Vega-Lite's JSON schema: each part as Altair builds
# it (its debug mode) and the whole spec as a page draws it. The test suite sets it
# (tests/conftest.py), so every chart a page draws there is checked; the app skips the
# checks, a fifth to a third of a page's run on the demo warehouse.
CHECK_CHARTS = "VSM_CHECK_CHARTS"


def checking_charts() -> bool:
    return os.environ.get(CHECK_CHARTS) == "1"


def check_charts_as_set() -> None:
    """Turn Altair's check of each part of a chart as it is built on or off, as
    CHECK_CHARTS says (the app calls it at the start of every run)."""
    check_parts(checking_charts())


class _Spec:
    """An Altair chart as st.altair_chart reads it (its `to_dict`), checked against the
    schema only where CHECK_CHARTS is set."""

    def __init__(self, chart: AnyChart) -> None:
        self._chart = chart

    def to_dict(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        kwargs.setdefault("validate", checking_charts())
        return cast(dict[str, Any], self._chart.to_dict(*args, **kwargs))


_SPECS = SpecCache()
"""The specs of the charts drawn as `Built`, shared by every session (ui/chart_specs.py)."""


def charts_folder() -> Path | None:
    """Where the specs are kept for the next server: beside the app's warehouse file
    (`<file>.charts/`), where that file exists."""
    db = Path(warehouse_path())
    return db.with_name(f"{db.name}.charts") if db.is_file() else None


def draw_chart(chart: AnyChart | Built, **kwargs: Any) -> Any:
    """st.altair_chart(chart, **kwargs), without checking the chart's spec against
    Vega-Lite's schema on every run (see CHECK_CHARTS). A `Built` chart is drawn from
    the spec kept for its builder and inputs, and built (and kept) only where none is."""
    if not isinstance(chart, Built):
        return st.altair_chart(cast(Any, _Spec(chart)), **kwargs)
    checked = checking_charts()
    key = spec_key(chart, checked)
    _SPECS.keep_in(charts_folder())
    spec = _SPECS.get(key) if key is not None else None
    if spec is None:
        # The conversion st.altair_chart makes (its data as Arrow, its theme), kept.
        from streamlit.elements.vega_charts import _convert_altair_to_vega_lite_spec

        spec = cast(
            dict[str, Any], _convert_altair_to_vega_lite_spec(cast(Any, _Spec(chart.chart())))
        )
        if key is not None:
            _SPECS.put(key, spec)
    return st.vega_lite_chart(spec=spec, **kwargs)


def seed_from_url(key: str, param: str, options: Sequence[Any], default: Any) -> None:
    """Put the URL's `param` (or `default`) into `st.session_state[key]` unless it holds a
    valid option. A value the page does not know (an old link, a typing mistake, garbage)
    opens the page on the default, with a notice saying so."""
    if st.session_state.get(key) in options:
        return
    wanted = st.query_params.get(param)
    match = next((o for o in options if str(o) == wanted), None)
    if wanted is not None and match is None:
        url_notice(param, wanted, f"showing {default}" if default is not None else "")
    st.session_state[key] = match if match is not None else default


def url_notice(param: str, value: str, instead: str = "") -> None:
    """Say that part of the link was not understood and the page shows its default."""
    shown = value if len(value) <= 60 else value[:57] + "..."
    st.info(
        f"This link's {plain(param)}={plain(shown)} is not something this page knows"
        + (f"; {plain(instead)}" if instead else "")
        + ".",
        icon=":material/link_off:",
    )


def url_choice(
    label: str,
    options: Sequence[Any],
    *,
    key: str,
    param: str,
    default: Any = None,
    format_func: Callable[[Any], str] = str,
    help: str | None = None,
) -> Any:
    """A selectbox whose choice lives in the link as `?{param}=...`."""
    seed_from_url(key, param, options, options[0] if default is None else default)
    chosen = st.selectbox(label, list(options), key=key, format_func=format_func, help=help)
    st.query_params[param] = str(chosen)
    return chosen


def offering_picker(offerings: Sequence[str], key: str) -> str:
    """One offering of those in view: the link's `?p_offering=`, else the one chosen last on
    any page, else the first."""
    last = remembered_offering()
    default = last if last in offerings else offerings[0]
    chosen = str(
        url_choice(
            "Offering",
            offerings,
            key=key,
            param="p_offering",
            default=default,
            help="This page shows one value stream at a time. The sidebar decides which "
            "offerings and cases are in view.",
        )
    )
    remember_offering(chosen)
    return chosen


def remember_offering(offering: str) -> None:
    """The offering a person is looking at: the next page opens on it."""
    st.session_state[_OFFERING] = offering


def remembered_offering() -> str | None:
    """The offering chosen last on any page, if any."""
    value = st.session_state.get(_OFFERING)
    return value if isinstance(value, str) else None


def slug(text: str) -> str:
    """A file-name part: 'Custom formulation' → 'custom-formulation'."""
    return "-".join(text.lower().split()).replace("/", "-")


def chart_downloads(chart: AnyChart | Built | Callable[[], AnyChart], name: str, key: str) -> None:
    """PNG and SVG of a chart, rendered on the server when clicked (one small menu, so it
    fits under a chart in a narrow column too).

    `chart` may be a function that builds it: a chart made only for the files (a title,
    a fixed width) then costs nothing until someone downloads it, where building it on
    every run took up to half a second of each page's render."""
    build = chart.chart if isinstance(chart, Built) else chart if callable(chart) else lambda: chart
    menu = st.popover("Download the chart", icon=":material/download:")
    menu.download_button(
        "Download PNG",
        lambda: to_png(build()),
        file_name=f"{name}.png",
        on_click="ignore",  # a download changes nothing: no rerun
        mime="image/png",
        key=f"{key}_png",
        icon=":material/image:",
    )
    menu.download_button(
        "Download SVG",
        lambda: to_svg(build()),
        file_name=f"{name}.svg",
        on_click="ignore",  # a download changes nothing: no rerun
        mime="image/svg+xml",
        key=f"{key}_svg",
        icon=":material/draw:",
    )


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""What a spreadsheet may read as the start of a formula (OWASP, "CSV Injection")."""


def neutralise_formulas(frame: pl.DataFrame) -> pl.DataFrame:
    """Every text cell that starts like a formula gets a leading apostrophe, as OWASP
    advises, so a hostile event log ("=HYPERLINK(...)") cannot plant a formula in a
    leader's spreadsheet. Numbers, dates and booleans are written as themselves (a
    negative number is a number, not a formula); any other column is written as text
    first, so nothing escapes the rule."""
    fixes = []
    for name, dtype in frame.schema.items():
        if dtype.is_numeric() or isinstance(dtype, pl.Boolean | pl.Date | pl.Datetime | pl.Time):
            continue
        if isinstance(dtype, pl.Duration):
            text = pl.col(name).dt.to_string("iso")  # "-PT1H" is neutralised too
        elif dtype == pl.String:
            text = pl.col(name)
        else:
            text = pl.col(name).cast(pl.String)
        risky = pl.any_horizontal(text.str.starts_with(s) for s in FORMULA_STARTS)
        fixes.append(pl.when(risky).then(pl.lit("'") + text).otherwise(text).alias(name))
    return frame.with_columns(fixes) if fixes else frame


def csv_download(
    frame: pl.DataFrame | Callable[[], pl.DataFrame],
    name: str,
    key: str,
    label: str = "Download (CSV)",
    *,
    disabled: bool = False,
) -> None:
    """A table as CSV, as shown, with formula-like cells neutralised: every CSV the app
    offers goes through here. `frame` may be a function that makes the table, called
    only when the CSV is downloaded."""
    st.download_button(
        label,
        lambda: neutralise_formulas(frame() if callable(frame) else frame).write_csv(),
        file_name=f"{name}.csv",
        on_click="ignore",  # a download changes nothing: no rerun
        mime="text/csv",
        key=key,
        icon=":material/table:",
        disabled=disabled,
    )


def table(
    frame: pl.DataFrame,
    name: str,
    key: str,
    *,
    download_label: str = "Download (CSV)",
    most: int | None = None,
    **options: Any,
) -> Any:
    """A table as people read it (an unknown value shows as an en dash, never "None"),
    with its CSV download below; `options` go to st.dataframe (column_config, height,
    on_select, ...). With `most`, only the first `most` rows are shown (the caller says
    so) and the CSV holds them all. Returns what st.dataframe returns (the selection,
    when asked: its rows are the shown rows, which come first in `frame`)."""
    if "height" not in options and frame.height <= 25:
        # Every row visible: a short table should never hide rows behind a scroll bar.
        options["height"] = 38 + 35 * max(frame.height, 1)
    rows = frame if most is None else frame.head(most)
    shown = st.dataframe(rows, hide_index=True, key=key, placeholder="–", **options)
    csv_download(frame, name, f"{key}_csv", download_label)
    return shown


def scroll_sideways(key: str, *, natural_graphviz: bool = False) -> None:
    """The container `key` scrolls sideways rather than shrinking what it holds: a map keeps
    its napkin proportions (with `natural_graphviz`, a Graphviz drawing keeps its own size
    too: shrunk to the page, a map of twenty steps had 5-pixel text)."""
    rules = f".st-key-{key} {{ overflow-x: auto !important; }}"
    if natural_graphviz:
        rules += (
            f" .st-key-{key} [data-testid='stGraphVizChart'] svg,"
            f" .st-key-{key} .graphviz svg {{ max-width: none !important; }}"
        )
    st.markdown(f"<style>{rules}</style>", unsafe_allow_html=True)
