"""A chart drawn as `built(...)` is built once for its inputs and drawn from its kept spec
after, exactly as st.altair_chart draws it; other inputs, another chart."""

from __future__ import annotations

import json
import os
import time
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from tests.ui import spec_builders
from ui import chart_specs
from ui.chart_specs import SpecCache, built, spec_key
from ui.widgets import _SPECS


def _drawn_twice() -> None:
    import polars as pl
    import streamlit as st

    from tests.ui.spec_builders import bars
    from ui.chart_specs import built
    from ui.widgets import draw_chart

    frame = pl.DataFrame({"step": ["Mix", "Fill", "Ship"], "days": [1.5, 0.25, 3.0]})
    st.altair_chart(bars(frame), width="stretch")
    draw_chart(built(bars, frame), width="stretch")
    draw_chart(built(bars, frame.with_columns(pl.col("days") * 2)), width="stretch")


def test_a_built_chart_is_drawn_as_st_altair_chart_draws_it_and_built_once(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("VSM_DB", str(tmp_path / "none.duckdb"))  # no file: memory only
    _SPECS.clear()
    spec_builders.CALLS.clear()
    at = AppTest.from_function(_drawn_twice).run()
    assert not at.exception
    assert spec_builders.CALLS == [3, 3, 3]  # the plain chart, then each built one
    first = [e.proto for e in at.get("vega_lite_chart")]
    at.run()
    assert not at.exception
    assert spec_builders.CALLS == [3, 3, 3, 3]  # only st.altair_chart built again
    assert len(_SPECS) == 2
    again = [e.proto for e in at.get("vega_lite_chart")]
    for sent in (first, again):
        plain, drawn, doubled = sent
        assert json.loads(drawn.spec) == json.loads(plain.spec)
        assert [d.data.data for d in drawn.datasets] == [d.data.data for d in plain.datasets]
        assert drawn.datasets[0].data.data != doubled.datasets[0].data.data
    assert [json.loads(p.spec) for p in again] == [json.loads(p.spec) for p in first]


def _chart(*args: object, **kwargs: object) -> None:  # a builder's name for the keys
    raise AssertionError("never built")


def test_a_chart_of_other_inputs_or_code_has_another_key(monkeypatch: pytest.MonkeyPatch) -> None:
    rows = pl.DataFrame(
        {"step": [f"s{i}" for i in range(200)], "days": [float(i) for i in range(200)]}
    )
    # Only row 100 differs: a key of a frame's first and last rows would not see it.
    middle = rows.with_columns(
        pl.when(pl.int_range(pl.len()) == 100).then(1e6).otherwise(pl.col("days")).alias("days")
    )
    when = datetime(2026, 6, 1, tzinfo=UTC)
    key = spec_key(built(_chart, rows, when, log=True), checked=False)
    assert key is not None
    assert spec_key(built(_chart, rows.clone(), when, log=True), checked=False) == key
    others = [
        built(_chart, middle, when, log=True),
        built(_chart, rows, datetime(2026, 6, 2, tzinfo=UTC), log=True),
        built(_chart, rows, when, log=False),
        built(_chart, rows, when),
        built(_chart, rows.rename({"days": "hours"}), when, log=True),
        built(_chart, rows.cast({"days": pl.Float32}), when, log=True),
        built(spec_builders.bars, rows, when, log=True),
        built(_chart, rows, when, log=1),
    ]
    keys = {spec_key(o, checked=False) for o in others} | {key}
    assert len(keys) == len(others) + 1
    assert spec_key(built(_chart, rows, when, log=True), checked=True) != key
    # Another release's code (a builder or what it calls changed): another key, so a
    # spec an earlier release kept beside the warehouse is never drawn.
    monkeypatch.setattr(chart_specs, "_code", lambda: b"another release")
    assert spec_key(built(_chart, rows, when, log=True), checked=False) != key
    # An input it cannot read all of is not kept: the chart is built on every run.
    assert spec_key(built(_chart, rows, object()), checked=False) is None


def _spec(size: int) -> dict[str, object]:
    return {"mark": "bar", "datasets": {"d": b"x" * size}}


def test_the_kept_specs_stay_within_their_budget_the_least_recently_drawn_going_first() -> None:
    cache = SpecCache(budget=100_000)  # each counts its data, 20,000, and 63
    for name in (b"a", b"b", b"c"):
        cache.put(name, _spec(20_000))
    assert cache.get(b"a") is not None  # a is now the most recently drawn
    cache.put(b"d", _spec(20_000))  # 4 x 20,063 bytes: within
    cache.put(b"e", _spec(20_000))  # over: b, the least recently drawn, goes
    assert [k for k in (b"a", b"b", b"c", b"d", b"e") if cache.get(k) is not None] == [
        b"a",
        b"c",
        b"d",
        b"e",
    ]
    cache.put(b"big", _spec(30_000))  # more than a quarter of the budget: not kept
    assert cache.get(b"big") is None and len(cache) == 4
    drawn = cache.get(b"a")
    assert drawn is not None
    del drawn["datasets"]  # as a page's drawing does to what it is given
    assert cache.get(b"a") == _spec(20_000)


def test_a_built_charts_file_is_built_with_its_width_and_title_when_asked() -> None:
    frame = pl.DataFrame({"step": ["Mix", "Fill"], "days": [1.5, 0.25]})
    spec_builders.CALLS.clear()
    chart = built(spec_builders.bars, frame, label="wait (days)")
    assert spec_builders.CALLS == []  # nothing is built until something asks for it
    made = chart.properties(width=480, title="Waits").to_dict()
    assert spec_builders.CALLS == [2]
    assert made["width"] == 480 and made["title"] == "Waits"
    assert made["layer"][0]["encoding"]["x"]["title"] == "wait (days)"


def _drawn_once() -> None:
    import polars as pl

    from tests.ui.spec_builders import bars
    from ui.chart_specs import built
    from ui.widgets import draw_chart

    draw_chart(built(bars, pl.DataFrame({"step": ["Mix"], "days": [1.5]})), width="stretch")


def test_the_next_server_draws_a_chart_kept_beside_the_warehouse_without_building_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    db = tmp_path / "w.duckdb"
    db.write_bytes(b"")  # the app's warehouse file exists
    monkeypatch.setenv("VSM_DB", str(db))
    _SPECS.clear()
    spec_builders.CALLS.clear()
    at = AppTest.from_function(_drawn_once).run()
    assert not at.exception and spec_builders.CALLS == [1]
    kept = list((tmp_path / "w.duckdb.charts").iterdir())
    assert [f.suffix for f in kept] == [".vl"]
    _SPECS.clear()  # a restart: nothing in memory
    again = AppTest.from_function(_drawn_once).run()
    assert not again.exception and spec_builders.CALLS == [1]  # drawn from the file
    sent = [e.proto for e in at.get("vega_lite_chart")]
    resent = [e.proto for e in again.get("vega_lite_chart")]
    assert resent[0].spec == sent[0].spec
    assert resent[0].datasets[0].data.data == sent[0].datasets[0].data.data
    # A file cut short is built again, not drawn half.
    kept[0].write_bytes(kept[0].read_bytes()[:-5])
    _SPECS.clear()
    third = AppTest.from_function(_drawn_once).run()
    assert not third.exception and spec_builders.CALLS == [1, 1]
    assert [e.proto.spec for e in third.get("vega_lite_chart")] == [sent[0].spec]


def test_the_kept_files_stay_within_their_budget_the_least_recently_used_going_first(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "charts"
    first = SpecCache(files_budget=70_000)
    first.keep_in(folder)
    spec = {"mark": "bar", "datasets": {"b": b"y" * 10, "a": b"x" * 20_000}, "width": 3.5}
    for name in (b"\x01", b"\x02", b"\x03"):
        first.put(name, spec)
    assert len(list(folder.iterdir())) == 3
    for age, name in enumerate(("03", "01", "02")):  # 03 the least recently used
        os.utime(folder / f"{name}.vl", (1_000_000 + age, 1_000_000 + age))
    read = SpecCache()
    read.keep_in(folder)
    found = read.get(b"\x01")
    assert found == spec and list(found["datasets"]) == ["b", "a"]  # its order kept
    left = folder / ".dead.part"  # a server stopped while writing it, two hours ago
    left.write_bytes(b"{")
    os.utime(left, (time.time() - 7200, time.time() - 7200))
    (folder / ".live.part").write_bytes(b"{")  # being written now
    first.put(b"\x04", spec)  # four files of about 20 KB: over 70,000 bytes
    assert sorted(f.name for f in folder.iterdir()) == [".live.part", "01.vl", "02.vl", "04.vl"]
    assert read.get(b"\x05") is None
    # A file of another shape (written by hand) is not drawn: it is built again.
    (folder / "05.vl").write_bytes(b'{"spec": {}}\n')
    assert read.get(b"\x05") is None and not (folder / "05.vl").exists()
