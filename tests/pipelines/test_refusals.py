"""Object-centric logs in every serialisation pm4py writes, and other files that are not a
value stream, are refused in one line that says what they are and what to do.

The OCEL 2.0 XML and SQLite files and the OCEL 1.0 JSON are written by pm4py from the
real OCEL 2.0 example in ../shared/data/external/logs (its 13 events on 9 objects of
4 types); the CSV and JSON originals are checked in test_external_files.py.
"""

from __future__ import annotations

import sqlite3
import warnings
from pathlib import Path

import pytest

from pipelines.ingest import IngestError, prepare

pytestmark = pytest.mark.real

FLATTEN = (
    "a value stream follows one kind of case, and each of these events belongs to several "
    "objects at once; flatten it on one object type first (e.g. "
)


@pytest.fixture(scope="module")
def ocel_files(external_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pm4py

        ocel = pm4py.read_ocel2_json(str(external_dir / "logs" / "ocel20_example.jsonocel"))
        folder = tmp_path_factory.mktemp("ocel")
        pm4py.write_ocel2_xml(ocel, str(folder / "p2p.xmlocel"))
        pm4py.write_ocel2_sqlite(ocel, str(folder / "p2p.sqlite"))
        pm4py.write_ocel(ocel, str(folder / "p2p-1.0.jsonocel"))
    return folder


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            "p2p.xmlocel",
            "p2p.xmlocel is an object-centric event log (OCEL 2.0 XML, object types Invoice, "
            "Payment, Purchase Order, Purchase Requisition): "
            + FLATTEN
            + 'pm4py.ocel_flattening(ocel, "Invoice")) and import the result.',
        ),
        (
            "p2p.sqlite",
            "p2p.sqlite is an object-centric event log (OCEL 2.0 SQLite): "
            + FLATTEN
            + 'pm4py.ocel_flattening(ocel, "order")) and import the result.',
        ),
        (
            "p2p-1.0.jsonocel",
            "p2p-1.0.jsonocel is an object-centric event log (OCEL 1.0 JSON): "
            + FLATTEN
            + 'pm4py.ocel_flattening(ocel, "order")) and import the result.',
        ),
    ],
)
def test_object_centric_logs_are_refused(ocel_files: Path, name: str, expected: str) -> None:
    with pytest.raises(IngestError) as refused:
        prepare(ocel_files / name)
    assert str(refused.value) == expected


def test_a_sqlite_database_that_is_no_log_says_to_export_a_table(tmp_path: Path) -> None:
    path = tmp_path / "orders.db"
    with sqlite3.connect(path) as con:
        con.execute("CREATE TABLE orders (id TEXT, step TEXT, at TEXT)")
    with pytest.raises(IngestError) as refused:
        prepare(path)
    assert str(refused.value) == (
        "orders.db is a SQLite database, not a table: export the table of events (case, "
        "activity, time) as CSV and import that."
    )
