"""Every file in ../shared/data/external imports with auto-detection, or is refused in one line.

The files were written by other projects (pm4py, bupaR, the BPI Challenge 2020,
recorded Jira, GitHub and Trello answers; see their SOURCES.md). Each imports as a new
user would (no option given) into the cases, instances and open items its source
implies, or, where SOURCES.md says "must be refused", fails with one line that says
what the file is, why it cannot be a value stream and what to do.

Event logs: cases and events (activity instances after lifecycle pairing) as pm4py
reads them (pm4py.read_xes / pandas, and interval_lifecycle.to_interval for the
start/complete logs: reviewing.csv 2,278 instances from 3,730 rows, patients.csv
2,721 from 5,442). The tool exports' counts are worked out in
tests/pipelines/formats/test_real_exports.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from metrics.derived import derive_all
from pipelines.ingest import IngestError, ingest
from warehouse import Warehouse

pytestmark = pytest.mark.real

# file: (format detected, cases, activity instances, open items)
IMPORTS = {
    "exports/github_issue28_timeline.json": ("github", 1, 2, 0),
    "exports/github_pr31_events.json": ("github", 1, 2, 0),
    "exports/github_pr31_timeline.json": ("github", 1, 2, 0),
    "exports/github_repo_issues_events.json": ("github", 10, 12, 4),
    "exports/jira_actionableagile_search.json": ("jira-changelog", 25, 81, 8),
    "exports/trello_jsai_2021.json": ("trello", 182, 304, 33),
    "exports/trello_kanban_2016.json": ("trello", 2, 2, 2),
    "logs/DomesticDeclarations.xes.gz": ("xes", 10357, 55628, 0),
    "logs/PrepaidTravelCost.xes.gz": ("xes", 2007, 17507, 0),
    "logs/RequestForPayment.xes.gz": ("xes", 6760, 36072, 0),
    "logs/correlation_mining.csv": ("csv", 10, 30, 0),
    "logs/hospital_log_high.xes.gz": ("xes", 10000, 69528, 0),
    "logs/interval_event_log.xes": ("xes", 1266, 8109, 0),
    "logs/patients.csv": ("csv", 500, 2721, 0),
    "logs/receipt.parquet": ("parquet", 1434, 8577, 0),
    "logs/receipt_even.csv": ("csv", 1434, 4443, 0),
    "logs/reviewing.csv": ("csv", 100, 2278, 0),
    "logs/roadtraffic100traces.csv": ("csv", 100, 390, 0),
    "logs/roadtraffic50traces.xes": ("xes", 51, 201, 0),
    "logs/running-example-transformed.csv": ("csv", 6, 42, 0),
    "logs/running-example.parquet": ("parquet", 6, 42, 0),
}

# file: what the one-line refusal must say (SOURCES.md: "must be refused")
REFUSED = {
    "logs/a32f0n50.xes.gz": (
        "a32f0n50.xes.gz is an XES log without timestamps: none of its 23,864 events says "
        "when it happened (no time:timestamp), and a value stream is made of those times. "
        "Export the log with its event times."
    ),
    "logs/xes_20.xes": (
        "xes_20.xes is an XES log whose events carry only other, nested attributes "
        "('contenitore', 'lista', 'sdasaddas'): no activity name and no time, so nothing "
        "says which step happened when. Export a log whose events have concept:name and "
        "time:timestamp."
    ),
    "logs/ocel_example_log.csv": (
        "ocel_example_log.csv is an object-centric event log (OCEL 1.0 CSV, 23 events, "
        "object types element, order, delivery): a value stream follows one kind of case, "
        "and each of these events belongs to several objects at once; flatten it on one "
        'object type first (e.g. pm4py.ocel_flattening(ocel, "element")) and import the '
        "result."
    ),
    "logs/ocel20_example.jsonocel": (
        "ocel20_example.jsonocel is an object-centric event log (OCEL 2.0 JSON: 13 events on "
        "9 objects of 4 types: Invoice, Payment, Purchase Order, Purchase Requisition): a "
        "value stream follows one kind of case, and each of these events belongs to several "
        "objects at once; flatten it on one object type first (e.g. "
        'pm4py.ocel_flattening(ocel, "Invoice")) and import the result.'
    ),
}


def test_every_external_file_is_expected_to_import_or_to_be_refused(external_dir: Path) -> None:
    found = {
        f"{folder}/{p.name}"
        for folder in ("exports", "logs")
        for p in (external_dir / folder).iterdir()
    }
    assert found == set(IMPORTS) | set(REFUSED)


@pytest.mark.parametrize("name", sorted(IMPORTS))
def test_external_file_imports_with_auto_detection(
    external_dir: Path, tmp_path: Path, name: str
) -> None:
    fmt, cases, instances, open_items = IMPORTS[name]
    with Warehouse.open(tmp_path / "x.duckdb") as wh:
        report = ingest(wh, external_dir / name)
        assert report.format == fmt
        assert report.rejected == 0, report.rejects[:3]
        assert (report.stored, wh.open_items().height) == (instances, open_items)
        derived = derive_all(wh.events(), wh.catalog(), wh.open_items())
        assert derived.cases.height == cases
        # Every open item is an open case whose current step is its status.
        opened = wh.open_items().join(derived.cases, on=["offering", "case_id"])
        assert opened.height == open_items
        assert not opened["completed"].any()
        assert (opened["current_step"] == opened["activity"]).all()
        # The same file again stores nothing, open items included.
        assert ingest(wh, external_dir / name).already_imported_as == report.import_id
        assert (wh.event_count(), wh.open_items().height) == (instances, open_items)


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_must_be_refused_files_are_refused_in_one_line(
    external_dir: Path, tmp_path: Path, name: str
) -> None:
    with Warehouse.open(tmp_path / "x.duckdb") as wh:
        with pytest.raises(IngestError) as refused:
            ingest(wh, external_dir / name)
        assert wh.event_count() == 0
    message = str(refused.value)
    assert message == REFUSED[name]
    assert "\n" not in message
