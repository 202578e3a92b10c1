"""The Data page's three screens: upload and import, import history with undo, the catalog.

Widgets carry stable keys (`upload_file`, `map_case`, `format_choice`, `format_follow`,
`import_button`, ...) so AppTest behaviour tests can drive them. A tool export
(monday.com, Jira, GitHub, Trello, ...) is recognised and named ("Looks like a ..."),
can be chosen by hand, and shows its own options instead of the column mapping.
"""

from __future__ import annotations

import hashlib
import json
import zoneinfo
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import polars as pl
import streamlit as st

from metrics.derived import derive_all
from metrics.summary import case_summary
from model.units import UNITS
from pipelines.demo import remove_demo
from pipelines.errors import IngestError
from pipelines.formats import FORMATS, GENERIC, FormatOptions, status_summary
from pipelines.ingest import (
    ImportOptions,
    ImportReport,
    Prepared,
    Upload,
    ingest_prepared,
    inspect,
    prepare,
    updating_text,
)
from pipelines.mapping import Mapping, detect_mapping
from pipelines.normalize import offering_from_file_name
from pipelines.readers import RawTable
from ui.access import refused_here, why_not
from ui.catalog_editor import catalog_editor
from ui.format import plain, share, table_unit, unit_label
from ui.resources import (
    data_version,
    import_contents,
    imports,
    on_request,
    open_warehouse,
    warehouse,
)
from ui.views import warehouse_facts
from ui.widgets import csv_download
from warehouse import Warehouse, WarehouseError
from warehouse.overlap import Overlap, find_overlaps

NONE = "(none)"
ROLES = [
    ("case", "Case id", "The unit of work: an order, a ticket, an application."),
    ("activity", "Activity", "The step that happened, e.g. 'QC release'."),
    ("end", "End time", "When the step finished (required)."),
    ("start", "Start time", "When work on the step began (optional)."),
    ("resource", "Resource", "Who or what did it (optional)."),
    (
        "lifecycle",
        "Lifecycle",
        "start / complete rows, as in XES (ignored when a start column is chosen).",
    ),
]
FILE_TYPES = ["csv", "tsv", "txt", "gz", "xlsx", "parquet", "xes", "json"]
GENERIC_LABEL = "Generic event log"
COMMON_ZONES = [
    "UTC",
    "Europe/Amsterdam",
    "Europe/London",
    "America/New_York",
    "America/Chicago",
    "America/Los_Angeles",
    "Asia/Kolkata",
    "Asia/Singapore",
    "Australia/Sydney",
]


@st.cache_resource(show_spinner="Reading the file...", max_entries=4)
def _inspect(sha256: str, file_name: str, sheet: str | None, _data: bytes) -> Upload:
    """The upload read once per content and sheet (`_data` is keyed by its hash)."""
    return inspect(_data, file_name, sheet)


@st.cache_resource(show_spinner="Reading the file...", max_entries=8)
def _prepare(
    sha256: str, sheet: str | None, options_key: str, _upload: Upload, _options: ImportOptions
) -> Prepared | str:
    """The file prepared once per content and choices; a file that cannot be used gives
    the message (kept too, so a rerun does not read it again to fail again)."""
    try:
        return prepare(_upload, options=_options)
    except IngestError as exc:
        return str(exc)


def prepared_for(upload: Upload, options: ImportOptions) -> Prepared | str:
    return _prepare(upload.sha256, upload.sheet, repr(options), upload, options)


def _reset_mapping(upload: Upload) -> None:
    assert upload.raw is not None
    detected = upload.mapping or detect_mapping(upload.raw.frame)
    for role, _, _ in ROLES:
        st.session_state[f"map_{role}"] = getattr(detected, role) or NONE
    st.session_state["map_offering_mode"] = (
        "A column of the file" if detected.offering_column else "One name for the whole file"
    )
    st.session_state["map_offering_column"] = detected.offering_column or NONE
    st.session_state["map_offering_name"] = detected.offering_name or _stem(upload.file_name)
    st.session_state.pop("import_report", None)


def _stem(file_name: str) -> str:
    return offering_from_file_name(file_name)


def _mapping_form(raw: RawTable) -> Mapping:
    columns = [NONE] + [c for c in raw.frame.columns if c != "__source_row"]
    st.markdown("**Which column is which?** Detected from the column names; change any choice.")
    cells = st.columns(3)
    chosen: dict[str, str | None] = {}
    for i, (role, label, help_text) in enumerate(ROLES):
        value = cells[i % 3].selectbox(label, columns, key=f"map_{role}", help=help_text)
        chosen[role] = None if value == NONE else value
    mode = st.radio(
        "Offering (the value stream these events belong to)",
        ["A column of the file", "One name for the whole file"],
        key="map_offering_mode",
        horizontal=True,
    )
    if mode == "A column of the file":
        col = st.selectbox("Offering column", columns, key="map_offering_column")
        chosen["offering_column"] = None if col == NONE else col
    else:
        chosen["offering_name"] = st.text_input("Offering name", key="map_offering_name") or None
    return Mapping.from_dict(chosen)


def _reading_options() -> tuple[str, bool | None]:
    with st.expander("Time zone and date order", expanded=False):
        zones = COMMON_ZONES + sorted(zoneinfo.available_timezones() - set(COMMON_ZONES))
        tz = st.selectbox(
            "Time zone of timestamps without an offset",
            zones,
            key="read_timezone",
            help="Timestamps that carry an offset (Z, +02:00) keep it; the rest are read in this zone.",
        )
        order = st.radio(
            "Dates like 03/04/2025",
            ["Detect from the data", "Day first (3 April)", "Month first (March 4)"],
            key="read_date_order",
            horizontal=True,
        )
    day_first = {"Detect from the data": None, "Day first (3 April)": True}.get(order, False)
    return tz, day_first


def _format_label(name: str) -> str:
    return GENERIC_LABEL if name == GENERIC else FORMATS[name].label


def upload_screen() -> None:
    """Upload, check the detected format or mapping and a preview, import, read the report."""
    if refused := why_not("import"):
        st.info(refused, icon=":material/lock:")
        _show_report()
        return
    uploaded = st.file_uploader(
        "Event log or tool export",
        type=FILE_TYPES,
        key="upload_file",
        help="An event log (CSV/TSV, Excel .xlsx, Parquet, XES) or what your tool exports: "
        "monday.com activity log or board, Jira changelog or CSV, GitHub timeline, "
        "Trello board JSON, Linear or Asana CSV, a milestone spreadsheet. "
        f"At most {st.get_option('server.maxUploadSize')} MB per file (this server's "
        "limit): split a larger export by date, or import it from the command line.",
    )
    if uploaded is None:
        st.markdown(
            "An event log has **one row per step of a case**: a case id (order, ticket, ...), "
            "the activity, and when it ended; a start time, a resource and an offering column "
            "are optional. Rows in start/complete lifecycle form (as in XES) are paired. "
            "**Board exports work too**: drop what monday.com, Jira, GitHub, Trello, Linear or "
            "Asana exports, or a spreadsheet with one date column per step."
        )
        _show_report()
        return
    data = uploaded.getvalue()
    sha = hashlib.sha256(data).hexdigest()
    upload = _inspect(sha, uploaded.name, None, data)
    if len(upload.sheets) > 1:
        sheet = st.selectbox("Sheet", upload.sheets, key="read_sheet")
        upload = _inspect(sha, uploaded.name, sheet, data)
    if upload.refusal:
        st.error(plain(upload.refusal), icon=":material/block:")
        return
    if st.session_state.get("upload_sha") != (sha, upload.sheet):
        # A new file (or sheet): every choice starts again from what was detected in it.
        st.session_state["upload_sha"] = (sha, upload.sheet)
        st.session_state["format_choice"] = upload.guess.name if upload.guess else GENERIC
        st.session_state.pop("format_defaults_for", None)
        if upload.raw is not None:
            _reset_mapping(upload)
        st.session_state.pop("import_report", None)
    if upload.guess is not None:
        st.info(
            f"**Looks like a {upload.guess.label}**: {plain(upload.guess.reason)}.",
            icon=":material/auto_awesome:",
        )
    fmt = st.selectbox(
        "Format",
        [GENERIC, *FORMATS],
        key="format_choice",
        format_func=_format_label,
        help="What the file is. A tool export is converted by its layout; a generic event log "
        "is mapped column by column.",
    )
    tz, day_first = _reading_options()
    base = ImportOptions(timezone=tz, day_first=day_first, sheet=upload.sheet, format=fmt)
    if fmt == GENERIC:
        if upload.raw is None:
            st.error(
                plain(upload.read_error)
                if upload.read_error
                else f"{plain(uploaded.name)} is a JSON document, not a table: choose the tool it "
                "was exported from.",
                icon=":material/error:",
            )
            return
        raw = upload.raw
        details = ", ".join(f"{k}: {v}" for k, v in raw.details.items())
        st.caption(
            f"Read {raw.frame.height:,} rows as {raw.format.upper()}"
            + (f" ({plain(details)})" if details else "")
            + "."
        )
        result = prepared_for(upload, replace(base, mapping=_mapping_form(raw)))
    else:
        st.caption(f"{FORMATS[fmt].label}: {FORMATS[fmt].accepts}.")
        chosen = _format_form(fmt, upload, base)
        if chosen is None:
            return
        result = chosen
    if isinstance(result, str):
        st.error(plain(result), icon=":material/error:")
        return
    _preview(result)
    prepared = _resolve_overlap(upload, result)
    confirmed = False
    if prepared is not None and prepared.catalog_defaults is not None:
        prepared, confirmed = _confirm_statuses(prepared)
    if st.button(
        "Import",
        type="primary",
        key="import_button",
        icon=":material/download:",
        disabled=prepared is None,
        help="Choose above what should happen with the cases the offering already holds."
        if prepared is None
        else None,
    ):
        assert prepared is not None
        bar = st.progress(0.0, text=_importing_text(prepared))
        try:
            with on_request():
                st.session_state["import_report"] = ingest_prepared(
                    warehouse(), prepared, statuses_confirmed=confirmed, progress=_told(bar)
                )
        except (IngestError, WarehouseError) as exc:
            bar.empty()
            st.error(plain(exc), icon=":material/error:")
        else:
            st.rerun()  # so the sidebar and the history show what was just stored
    _show_report()


def _importing_text(prepared: Prepared) -> str:
    """What the import's bar says while the file's events are stored."""
    n = prepared.normalized.instances.height
    return f"Storing {n:,} event{'s' if n != 1 else ''} from {plain(prepared.file_name)}..."


def _told(bar: Any) -> Callable[[int, int, str], None]:
    """What moves an import's or undo's `bar` (st.progress) as the offerings it touched are
    worked out again (in a big warehouse, most of its time)."""

    def told(done: int, total: int, offering: str) -> None:
        text = (
            f"Updating {updating_text(done, total, plain(offering))}"
            if offering
            else "Done: showing what changed..."
        )
        bar.progress(done / max(total, 1), text=text)

    return told


def _format_form(fmt: str, upload: Upload, base: ImportOptions) -> Prepared | str | None:
    """The chosen format's own options, initialised from a first conversion's defaults;
    returns the file prepared with the options chosen (or why it cannot be)."""
    state = st.session_state
    first = prepared_for(upload, base)
    marker = (state.get("upload_sha"), fmt)
    if state.get("format_defaults_for") != marker:
        if isinstance(first, str):
            st.error(plain(first), icon=":material/error:")
            if upload.raw is None:
                return None
            used, found = FormatOptions(), {}
        else:
            used, found = first.format_used or FormatOptions(), first.choices
        state["format_defaults_for"] = marker
        state["format_choices"] = found
        state["format_follow"] = used.follow
        state["format_milestones"] = list(used.milestones or [])
        state["format_case"] = used.case_column or NONE
        state["format_subitems"] = used.include_subitems
        state["format_offering"] = _stem(upload.file_name)
        for role in ("case", "time", "status", "previous", "resource", "field"):
            state[f"format_status_{role}"] = getattr(used, f"{role}_column") or NONE
    raw = upload.raw
    choices: dict[str, list[str]] = state.get("format_choices", {})
    columns = [NONE] + ([c for c in raw.frame.columns if c != "__source_row"] if raw else [])
    wanted = FORMATS[fmt].options
    values: dict[str, object] = {}
    cells = st.columns(2)
    if "follow" in wanted and choices.get("follow"):
        follow = choices["follow"]
        if state.get("format_follow") not in follow:
            state["format_follow"] = follow[0]
        values["follow"] = cells[0].selectbox(
            "Column to follow",
            follow,
            key="format_follow",
            help="Each change of this column is a status change. 'Group' follows moves between "
            "monday.com groups.",
        )
    if "case_column" in wanted:
        options = [NONE, *choices.get("case_column", columns[1:])]
        if state.get("format_case") not in options:
            state["format_case"] = NONE
        case = cells[1].selectbox("Case id column", options, key="format_case")
        values["case_column"] = None if case == NONE else case
    if "milestones" in wanted:
        dates = choices.get("milestones") or columns[1:]
        state["format_milestones"] = [m for m in state.get("format_milestones", []) if m in dates]
        picked = st.multiselect(
            "Milestone date columns, in order",
            dates,
            key="format_milestones",
            help="Each chosen column becomes a step completed on that date, in the order you pick "
            "them; the last one ends the case.",
        )
        values["milestones"] = tuple(picked)
    if "subitems" in wanted:
        values["include_subitems"] = st.checkbox(
            "Include subitems as cases of their own", key="format_subitems"
        )
    if "status_columns" in wanted:
        grid = st.columns(3)
        labels = [
            ("case", "Item"),
            ("time", "Time of the change"),
            ("status", "New status"),
            ("previous", "Previous status"),
            ("resource", "Changed by"),
            ("field", "What changed (field)"),
        ]
        for i, (role, label) in enumerate(labels):
            if state.get(f"format_status_{role}") not in columns:
                state[f"format_status_{role}"] = NONE
            value = grid[i % 3].selectbox(label, columns, key=f"format_status_{role}")
            values[f"{role}_column"] = None if value == NONE else value
    offering = st.text_input("Offering (value stream) name", key="format_offering") or None
    if offering == _stem(upload.file_name):
        offering = None  # the file's name is the default anyway: the same conversion
    chosen = FormatOptions.from_dict(values)
    if not isinstance(first, str) and chosen == replace(
        first.format_used or FormatOptions(), offering_name=None
    ):
        chosen = FormatOptions()  # the defaults: the first conversion serves again
    return prepared_for(upload, replace(base, format_options=chosen, offering=offering))


KIND_WORDS = {
    "work": "work: someone works on it (process time)",
    "waiting": "waiting: a queue (wait time)",
    "done": "done: ends the case",
}


def _confirm_statuses(p: Prepared) -> tuple[Prepared, bool]:
    """How each status (or milestone) will count, with the time at stake, editable before
    the import; returns the import with the kinds chosen, and whether the person confirmed
    them. Unconfirmed kinds stay marked on every page until someone checks them."""
    assert p.catalog_defaults is not None
    norm = p.normalized
    summary = status_summary(norm.instances, p.catalog_defaults, norm.open_items)
    unit = table_unit(summary.with_columns(pl.col("hours") * 3600), ["hours"])
    st.markdown(
        "**How each status counts.** Guessed from the names: check them before the import. "
        "Time in a *waiting* status is a queue: it counts as wait, never as process time or "
        "flow efficiency. A *done* status ends the case. Kanban columns such as "
        '"Ready for QA" or "Dev Done" are queues.'
    )
    table = summary.select(
        pl.col("status").alias("Status"),
        pl.col("kind").replace_strict(KIND_WORDS, default=None).alias("Counts as"),
        (pl.col("hours") * 3600 / UNITS[unit]).round(1).alias(unit_label("Time in it", unit)),
        (pl.col("share_of_time") * 100).round(1).alias("Share of all time (%)"),
        pl.col("instances").alias("Periods"),
        pl.col("open_items").alias("Items in it now"),
    )
    edited = st.data_editor(
        table,
        key=f"status_kinds_{p.sha256[:12]}",
        hide_index=True,
        disabled=[c for c in table.columns if c != "Counts as"],
        column_config={
            "Counts as": st.column_config.SelectboxColumn(
                "Counts as", options=list(KIND_WORDS.values()), required=True
            )
        },
    )
    frame = edited if isinstance(edited, pl.DataFrame) else pl.DataFrame(edited)
    words_to_kind = {v: k for k, v in KIND_WORDS.items()}
    chosen = dict(
        zip(
            frame["Status"].to_list(),
            [words_to_kind[w] for w in frame["Counts as"].to_list()],
            strict=True,
        )
    )
    defaults = p.catalog_defaults.with_columns(
        pl.col("activity").replace_strict(chosen, default=pl.col("kind")).alias("kind")
    ).with_columns(
        pl.when(pl.col("kind") == "done")
        .then(True)
        .when(pl.col("activity").is_in(list(chosen)))
        .then(False)
        .otherwise(pl.col("is_end_activity"))
        .alias("is_end_activity")
    )
    prepared = replace(p, catalog_defaults=defaults)
    st.caption(
        _consequence(_identity(prepared), json.dumps(defaults.rows(), default=str), prepared)
    )
    confirmed = st.checkbox(
        "I checked how each status counts",
        key=f"status_confirm_{p.sha256[:12]}",
        help="Without it the kinds are imported as guessed, and every page marks the "
        "offering until someone checks them in the Activity catalog.",
    )
    return prepared, confirmed


def _identity(p: Prepared) -> str:
    """The file and how it is read: what a prepared file's cached figures are keyed by."""
    return p.sha256 + json.dumps(
        p.options.identity(p.mapping, p.format, p.format_used), sort_keys=True, default=str
    )


@st.cache_resource(show_spinner=False, max_entries=8)
def _consequence(identity: str, kinds: str, _p: Prepared) -> str:
    """What the chosen kinds (`kinds`, the status table as text) mean for the headline
    figures of this file; derived again only when a kind changes, not on every rerun."""
    p = _p
    norm = p.normalized
    events = norm.instances.with_columns(
        pl.lit(0, pl.Int64).alias("import_id"),
        pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias("event_id"),
    )
    assert p.catalog_defaults is not None
    catalog = p.catalog_defaults.with_columns(
        pl.lit("unclassified").alias("value_class"),
        pl.lit(None, pl.Float64).alias("standard_minutes"),
    )
    d = derive_all(events, catalog, norm.open_items)
    head = case_summary(d.cases.lazy()).collect().row(0, named=True)
    return (
        f"With these kinds: {head['cases']:,} cases, {head['completed_cases']:,} completed and "
        f"{head['open_cases']:,} still open; flow efficiency of the completed ones "
        f"{share(head['flow_efficiency'])} (their work time / their lead time)."
    )


@st.cache_resource(show_spinner="Comparing with what is stored...", max_entries=8)
def _overlaps(path: str, version: str, identity: str, _p: Prepared) -> list[Overlap]:
    """The stored cases the file repeats in another shape, once per file, reading and
    warehouse version."""
    return find_overlaps(warehouse(), _p.normalized.instances)


def _resolve_overlap(upload: Upload, p: Prepared) -> Prepared | None:
    """Say when the offering already holds the file's cases in another shape (the same log
    in another format or time zone) and let the person choose; None until they have."""
    wh = warehouse()
    overlaps = _overlaps(str(wh.path), data_version(wh), _identity(p), p)
    if not overlaps:
        return p
    overlap = overlaps[0]
    st.warning(plain(overlap.message()), icon=":material/content_copy:")
    choice = st.radio(
        "What should happen?",
        ["zone", "new", "anyway"],
        index=None,
        key=f"overlap_choice_{p.sha256[:12]}",
        format_func={
            "zone": "Read the times in another time zone (under 'Time zone and date order' above)",
            "new": "Import as a new offering",
            "anyway": "Import anyway: store these cases a second time",
        }.__getitem__,
    )
    if choice == "anyway":
        return p
    if choice == "new":
        name = st.text_input(
            "New offering name",
            value=f"{overlap.offering} ({upload.file_name})",
            key=f"overlap_offering_{p.sha256[:12]}",
        )
        if name and name != overlap.offering:
            result = prepared_for(upload, replace(p.options, offering=name))
            if isinstance(result, str):
                st.error(plain(result), icon=":material/error:")
                return None
            return result
    return None


def _preview(p: Prepared) -> None:
    norm = p.normalized
    formats = "; ".join(f"{role} times: {desc}" for role, desc in norm.timestamp_formats.items())
    st.markdown(f"**Preview.** {plain(formats)}.")
    a, b, c = st.columns(3)
    a.metric("Rows in the file", f"{norm.rows_read:,}")
    b.metric(
        "Activity instances",
        f"{norm.instances.height:,}",
        help="Steps that will be stored, after pairing start/complete rows.",
    )
    c.metric(
        "Rows rejected",
        f"{norm.rejects.height:,}",
        help="Rows that cannot be used; each has a reason.",
    )
    for note in norm.notes:
        st.info(plain(note), icon=":material/info:")
    st.dataframe(
        norm.instances.head(50).drop("attributes"),
        hide_index=True,
        height=240,
        column_config={"source_row": st.column_config.NumberColumn("row in file", format="%d")},
    )
    if norm.rejects.height:
        with st.expander(f"Rejected rows ({norm.rejects.height:,})"):
            st.dataframe(norm.rejects.head(200), hide_index=True)


def _show_report() -> None:
    report: ImportReport | None = st.session_state.get("import_report")
    if report is None:
        return
    st.divider()
    st.subheader("Import report")
    if report.already_imported_as is not None:
        st.info(
            f"**{plain(report.file_name)}** was already imported as import #{report.already_imported_as}: "
            "nothing new was stored.",
            icon=":material/content_copy:",
        )
        return
    st.success(
        plain(report.summary())
        + (f" Imported by {plain(report.imported_by)}." if report.imported_by else ""),
        icon=":material/check_circle:",
    )
    a, b, c, d = st.columns(4)
    a.metric("Rows read", f"{report.rows_read:,}")
    b.metric("Stored", f"{report.stored:,}", help="Activity instances added to the warehouse.")
    c.metric(
        "Duplicates skipped",
        f"{report.duplicates:,}",
        help="Identical (offering, case, activity, start, end, resource) to an event an earlier import stored.",
    )
    d.metric(
        "Rejected",
        f"{report.rejected:,}",
        help="Rows that could not be used; see the reasons below.",
    )
    for note in report.notes:
        st.info(plain(note), icon=":material/info:")
    if report.rejects:
        rejects = pl.DataFrame(report.rejects, schema={"row": pl.Int64, "reason": pl.String})
        shown = "\n".join(f"- row {r['row']}: {plain(r['reason'])}" for r in report.rejects[:5])
        more = (
            f"\n\n... and {len(report.rejects) - 5:,} more, listed below."
            if len(report.rejects) > 5
            else ""
        )
        st.markdown(
            f"**Why rows were rejected** (row numbers as in the file, header = row 1):\n{shown}{more}"
        )
        st.dataframe(rejects, hide_index=True, height=min(400, 40 + 35 * rejects.height))
        csv_download(
            rejects, "rejected-rows", "download_rejects", "Download the rejected rows (CSV)"
        )


def read_ahead(path: str) -> int:
    """Count what the import the History tab opens on holds (the sentence its undo asks
    to confirm), and the demo's imports where the warehouse holds the demo, ahead of the
    page (the server does it once it is up: ui.serve): a scan of every event of those
    imports, half a second of the page's first run at ten million events. Returns how
    many it counted."""
    wh = open_warehouse(path)
    version = data_version(wh)
    history = imports(path, version)
    counted = 0
    if history.height and history["undone_at"][0] is None:
        import_contents(path, version, (int(history["id"][0]),))
        counted += 1
    demo = tuple(wh.demo_imports())
    if demo:
        import_contents(path, version, demo)
        counted += 1
    return counted


def history_screen() -> None:
    """Every import, what it stored and rejected, and undo."""
    wh = warehouse()
    history = imports(str(wh.path), data_version(wh))
    if history.height == 0:
        st.info(
            "Nothing imported yet: upload an event log in the **Upload** tab.",
            icon=":material/inbox:",
        )
        return
    shown = history.with_columns(
        pl.col("offerings").map_elements(
            lambda s: ", ".join(json.loads(s or "[]")), return_dtype=pl.String
        ),
        pl.when(pl.col("undone_at").is_null())
        .then(pl.lit("stored"))
        .otherwise(pl.lit("undone"))
        .alias("status"),
    ).select(
        "id",
        "file_name",
        "format",
        "offerings",
        "rows_read",
        "stored",
        "duplicates",
        "rejected",
        "imported_at",
        pl.col("imported_by").fill_null("(before sign-in was recorded)"),
        "status",
    )
    st.dataframe(
        shown,
        hide_index=True,
        column_config={
            "imported_by": st.column_config.TextColumn("imported by"),
            "id": st.column_config.NumberColumn("import", format="#%d"),
            "rows_read": st.column_config.NumberColumn("rows read", format="localized"),
            "stored": st.column_config.NumberColumn(format="localized"),
            "imported_at": st.column_config.DatetimeColumn(
                "imported (UTC)", format="YYYY-MM-DD HH:mm"
            ),
        },
    )
    csv_download(shown, "imports", "download_history", "Download the history (CSV)")
    ids = shown["id"].to_list()
    chosen = st.selectbox(
        "Import", ids, key="history_import", format_func=lambda i: _import_label(shown, i)
    )
    row = shown.filter(pl.col("id") == chosen).row(0, named=True)
    rejects = wh.rejects(chosen)
    if rejects.height:
        st.markdown(f"**{rejects.height:,} rejected rows** of import #{chosen}:")
        st.dataframe(rejects, hide_index=True, height=min(300, 40 + 35 * rejects.height))
        csv_download(
            rejects,
            f"import-{chosen}-rejects",
            "download_import_rejects",
            "Download these rejects (CSV)",
        )
    if row["status"] == "stored":
        events, cases, offerings = import_contents(str(wh.path), data_version(wh), (int(chosen),))
        refused = why_not("undo import", wh.actor)
        sure = st.checkbox(
            f"Remove the {events:,} event{'s' if events != 1 else ''} import #{chosen} stored: "
            + plain(_what(cases, offerings)),
            key="undo_confirm",
            disabled=refused is not None,
        )
        if refused:
            st.caption(refused)
        # A forged click (session state set by hand) still reaches the warehouse, which
        # refuses it for the person's role: the message below, never a traceback.
        if st.button(
            "Undo this import",
            key="undo_button",
            disabled=not sure or refused is not None,
            icon=":material/undo:",
        ):
            bar = st.progress(0.0, text=f"Removing the events of import #{chosen}...")
            try:
                with on_request():
                    wh.undo_import(chosen, progress=_told(bar))
            except WarehouseError as exc:
                bar.empty()
                st.error(plain(exc), icon=":material/error:")
            else:
                st.rerun()


def _import_label(shown: pl.DataFrame, import_id: int) -> str:
    row = shown.filter(pl.col("id") == import_id).row(0, named=True)
    return f"#{import_id}: {row['file_name']} ({row['status']})"


def _what(cases: int, offerings: list[str]) -> str:
    """'2,791 cases in 3 offerings (A, B and C)'."""
    names = (
        ", ".join(offerings[:-1]) + (" and " if len(offerings) > 1 else "") + offerings[-1]
        if offerings
        else ""
    )
    plural = "s" if len(offerings) != 1 else ""
    return (
        f"{cases:,} case{'s' if cases != 1 else ''} in {len(offerings)} offering{plural} ({names})"
    )


def remove_demo_button() -> None:
    wh = warehouse()
    demo = tuple(wh.demo_imports())
    if not demo:
        return
    with st.container(border=True):
        st.markdown(
            "This warehouse holds the **demo data**. Remove it before loading your own, "
            "so the pages show only your streams."
        )
        events, cases, offerings = import_contents(str(wh.path), data_version(wh), demo)
        refused = why_not("remove demo", wh.actor)
        sure = st.checkbox(
            f"Yes, remove the demo: {plain(_what(cases, offerings))} ({events:,} events) and "
            "its recorded experiments",
            key="remove_demo_confirm",
            disabled=refused is not None,
        )
        if refused:
            st.caption(refused)
        if st.button(
            "Remove the demo data",
            key="remove_demo",
            icon=":material/delete:",
            disabled=refused is not None or not sure,
        ):
            try:
                with on_request():
                    remove_demo(wh)
            except WarehouseError as exc:
                st.error(plain(exc), icon=":material/error:")
            else:
                st.rerun()


def _status_check(wh: Warehouse, offering: str) -> None:
    """Statuses an import classified from their names, until a person confirms them."""
    guessed = wh.unconfirmed_statuses([offering])
    if guessed.height == 0:
        return
    listed = ", ".join(
        f"{a} ({k})" for a, k in zip(guessed["activity"], guessed["kind"], strict=True)
    )
    with st.container(border=True):
        st.warning(
            f"The kinds of {guessed.height} statuses of **{plain(offering)}** were guessed from "
            f"their names and nobody has checked them yet: {plain(listed)}. Check the *kind* "
            "column below (a queue is *waiting*, a finished state is *done*), save any "
            "change, then confirm.",
            icon=":material/rule:",
        )
        refused = refused_here("edit catalog")
        if st.button(
            "These kinds are right",
            key="confirm_statuses",
            icon=":material/check:",
            disabled=refused is not None,
        ):
            try:
                wh.confirm_statuses(offering)
            except WarehouseError as exc:
                st.error(plain(exc), icon=":material/error:")
            else:
                st.rerun()


def catalog_screen() -> None:
    """The activity catalog: value class, kind, standard minutes, end activity, order."""
    wh = warehouse()
    offerings = list(warehouse_facts().offerings)
    if not offerings:
        st.info(
            "The catalog fills in as you import: every activity of every offering gets a row.",
            icon=":material/inbox:",
        )
        return
    offering = st.selectbox("Offering", offerings, key="catalog_offering")
    _status_check(wh, offering)
    catalog_editor(wh, offering)
