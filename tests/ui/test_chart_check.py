"""Charts drawn without the schema check send what st.altair_chart sends; the tests check."""

from __future__ import annotations

import json
import os

import altair as alt
import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from ui.widgets import CHECK_CHARTS, _Spec


def _bad() -> alt.Chart:
    return alt.Chart(pl.DataFrame({"a": [1]})).mark_bar().encode(x=alt.X("a:Q", bin="nonsense"))  # type: ignore[arg-type]


def test_the_tests_check_every_drawn_chart_and_the_app_does_not(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from altair.utils.schemapi import SchemaValidationError

    assert os.environ[CHECK_CHARTS] == "1"  # set by tests/conftest.py
    with pytest.raises(SchemaValidationError):
        _Spec(_bad()).to_dict()
    monkeypatch.delenv(CHECK_CHARTS)
    spec = _Spec(_bad()).to_dict()
    assert spec["encoding"]["x"]["bin"] == "nonsense"


def _both() -> None:
    import altair as alt
    import polars as pl
    import streamlit as st

    from ui.widgets import draw_chart

    frame = pl.DataFrame({"step": ["Mix", "Fill", "Ship"], "days": [1.5, 0.25, 3.0]})
    bars = alt.Chart(frame).mark_bar().encode(x="days:Q", y=alt.Y("step:N", sort=None))
    chart = bars + bars.mark_text(dx=8).encode(text="days:Q")
    st.altair_chart(chart, width="stretch")
    draw_chart(chart, width="stretch")


def test_a_drawn_chart_is_sent_as_st_altair_chart_sends_it() -> None:
    at = AppTest.from_function(_both).run()
    assert not at.exception
    sent = [e.proto for e in at.get("vega_lite_chart")]
    assert len(sent) == 2
    plain, drawn = sent
    assert json.loads(drawn.spec) == json.loads(plain.spec)
    assert len(drawn.datasets) == len(plain.datasets) == 1
    assert drawn.datasets[0].data.data == plain.datasets[0].data.data
    assert '"Mix"' not in drawn.spec  # the rows go as Arrow, not inline JSON


def test_altair_checks_each_part_as_it_is_built_only_where_charts_are_checked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from altair.utils import schemapi
    from altair.utils.schemapi import SchemaValidationError

    from ui.widgets import check_charts_as_set

    try:
        check_charts_as_set()
        assert schemapi.DEBUG_MODE
        with pytest.raises(SchemaValidationError):
            alt.Scale(type="nonsense")  # type: ignore[arg-type]
        monkeypatch.delenv(CHECK_CHARTS)
        check_charts_as_set()  # as the app starts each run
        assert not schemapi.DEBUG_MODE
        assert alt.Scale(type="nonsense").to_dict(validate=False) == {"type": "nonsense"}
    finally:
        schemapi.enable_debug_mode()
