"""Working time in the app (the Data page's calendar editor, every page saying so, figures
equal to `python -m metrics.report --calendar`) and the forecasts on Stream health and Waits."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from metrics.derived import derive_all
from metrics.forecast import likely_done_by
from metrics.stats import duration_text
from tests.cli_runner import run_cli
from tests.ui.apptest import no_exceptions, run_app, shown
from warehouse import Warehouse
from warehouse.calendars import get_calendar

OFFERING = "Reverse engineering"
AMSTERDAM = {
    "timezone": "Europe/Amsterdam",
    "hours": {
        "mon": [["08:30", "12:30"], ["13:00", "17:00"]],
        "tue": [["08:30", "12:30"], ["13:00", "17:00"]],
        "wed": [["08:30", "12:30"], ["13:00", "17:00"]],
        "thu": [["08:30", "12:30"], ["13:00", "17:00"]],
        "fri": [["08:30", "12:30"]],
        "sat": [],
        "sun": [],
    },
    "holidays": ["2026-04-27", "2026-12-25"],
}


def _report(db: Path, *extra: str) -> dict[str, Any]:
    done = run_cli("report", "--db", str(db), "--offering", OFFERING, *extra, "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def _fill_in(at: Any) -> None:
    at.selectbox(key="cal_offering").set_value(OFFERING)
    at.run()
    at.toggle(key="cal_on").set_value(True)
    at.selectbox(key="cal_timezone").set_value("Europe/Amsterdam")
    for day in ("mon", "tue", "wed", "thu"):
        at.text_input(key=f"cal_{day}").set_value("08:30-12:30, 13:00 – 17:00")
    at.text_input(key="cal_fri").set_value("08:30-12:30")
    at.text_area(key="cal_holidays").set_value("2026-04-27\n2026-12-25")
    at.run()


def test_the_calendar_editor_saves_and_every_page_counts_working_time(
    demo_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = run_app(demo_copy, "app_pages/data.py", monkeypatch)
    no_exceptions(at)
    # A new calendar starts as office hours in UTC, off.
    at.selectbox(key="cal_offering").set_value(OFFERING).run()
    assert at.toggle(key="cal_on").value is False
    assert at.text_input(key="cal_mon").value == "09:00-17:00"
    assert at.text_input(key="cal_sat").value == ""
    _fill_in(at)
    no_exceptions(at)
    assert any(c.value.startswith("36 working hours a week, 2 holidays") for c in at.caption)
    at.button(key="cal_save").click().run()
    no_exceptions(at)
    assert any("Every page now counts Reverse engineering's" in s.value for s in at.success)
    with Warehouse.open(demo_copy) as wh:
        stored = get_calendar(wh, OFFERING)
    assert stored is not None and stored.is_on
    assert stored.definition == AMSTERDAM

    path = demo_copy.parent / "calendar.json"
    path.write_text(json.dumps(AMSTERDAM))
    working = _report(demo_copy, "--calendar", str(path))
    elapsed = _report(demo_copy)
    assert working["lead_time_s"]["p50"] < elapsed["lead_time_s"]["p50"] / 2

    at.switch_page("app_pages/vsm.py")
    at.query_params["p_offering"] = OFFERING
    at.run()
    no_exceptions(at)
    captions = "\n".join(str(c.value) for c in at.caption)
    assert "**Working time:** durations of these cases count working hours only" in captions
    assert "1 d is 24 working hours, about 3.3 working days of 7.2 h" in captions
    # The map's case figures (those of the completed cases in view) are working time too.
    shown = {m.label: m.value for m in at.metric}
    assert shown["Median lead time"] == duration_text(working["lead_time_s"]["p50"])

    # Stream health names the one offering whose durations are working time.
    at.switch_page("app_pages/health.py").run()
    captions = "\n".join(str(c.value) for c in at.caption)
    assert "durations of Reverse engineering count working hours only" in captions
    assert "the other offerings count elapsed time" in captions
    tiles = [m for m in at.metric if m.label == "Median lead time"]
    assert len(tiles) == 3

    # Switched off, the durations are elapsed time again and the note goes.
    at.switch_page("app_pages/data.py").run()
    at.selectbox(key="cal_offering").set_value(OFFERING).run()
    at.toggle(key="cal_on").set_value(False).run()
    at.button(key="cal_save").click().run()
    assert any("switched off" in s.value for s in at.success)
    at.switch_page("app_pages/vsm.py").run()
    captions = "\n".join(str(c.value) for c in at.caption)
    assert "Working time" not in captions
    shown = {m.label: m.value for m in at.metric}
    assert shown["Median lead time"] == duration_text(elapsed["lead_time_s"]["p50"])


def test_a_bad_calendar_says_what_and_where_and_cannot_be_saved(
    demo_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = run_app(demo_copy, "app_pages/data.py", monkeypatch)
    at.selectbox(key="cal_offering").set_value(OFFERING).run()
    at.text_input(key="cal_tue").set_value("whenever")
    at.text_input(key="cal_wed").set_value("17:00-09:00")
    at.text_area(key="cal_holidays").set_value("25 Dec")
    at.run()
    no_exceptions(at)
    warning = "\n".join(shown(w.value) for w in at.warning)
    assert "Tuesday: “whenever” is not a period such as 09:00-17:00." in warning
    at.text_input(key="cal_tue").set_value("09:00-17:00").run()
    warning = "\n".join(shown(w.value) for w in at.warning)
    assert '"hours" → "wed": 17:00 to 09:00 does not end after it starts' in warning
    assert '"holidays": "25" is not a date (YYYY-MM-DD)' in warning
    assert at.button(key="cal_save").disabled
    with Warehouse.open(demo_copy) as wh:
        assert get_calendar(wh, OFFERING) is None


def test_stream_health_forecasts_the_cases_in_progress(
    demo_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = run_app(demo_copy, "app_pages/health.py", monkeypatch)
    no_exceptions(at)
    lines = [str(c.value) for c in at.caption if str(c.value).startswith("**Forecast:**")]
    assert len(lines) == 3
    for offering, line in zip(
        ["Custom formulation", "Private label fulfillment", "Reverse engineering"],
        lines,
        strict=True,
    ):
        found = re.match(
            r"\*\*Forecast:\*\* the ([\d,]+) cases in progress: 85% likely done by \*\*(.+?)\*\*",
            line,
        )
        assert found, line
        report = run_cli("report", "--db", str(demo_copy), "--offering", offering, "--json")
        assert int(found[1].replace(",", "")) == json.loads(report.stdout)["open_cases"]
        forecast = run_cli(
            "forecast",
            "--db",
            str(demo_copy),
            "--offering",
            offering,
            "--items",
            found[1].replace(",", ""),
            "--json",
        )
        p85 = date.fromisoformat(json.loads(forecast.stdout)["done_by"]["p85"])
        assert found[2] == f"{p85.day} {p85:%b %Y}"


def test_the_waits_page_says_when_each_open_case_is_likely_done(
    demo_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = run_app(demo_copy, "app_pages/waits.py", monkeypatch)
    no_exceptions(at)
    table = next(d.value for d in at.dataframe if "Likely done by (85%)" in d.value.columns)
    with Warehouse.open(demo_copy) as wh:
        d = derive_all(wh.events(), wh.catalog(), wh.open_items())
    assert d.now is not None
    expected = dict(
        likely_done_by(d.cases.lazy(), d.now)
        .filter(pl.col("offering") == "Custom formulation")
        .select("case_id", pl.col("likely_done_p85").dt.date())
        .iter_rows()
    )
    shown = {row["Case"]: row["Likely done by (85%)"] for _, row in table.iterrows()}
    assert len(shown) > 5
    known = {case: day for case, day in shown.items() if day is not None and day == day}
    assert known, "no open case has an estimate"
    for case, day in known.items():
        assert (day.date() if hasattr(day, "date") else day) == expected[case], case
