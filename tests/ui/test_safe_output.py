"""Names shown as written, CSV cells that cannot become formulas, and the limits the
server's configuration and the code must agree on."""

from __future__ import annotations

import csv
import io
import tomllib
from datetime import UTC, datetime

import polars as pl
import pytest

from model.limits import MAX_UPLOAD_MB
from tests.conftest import REPO
from ui.format import plain
from ui.widgets import FORMULA_STARTS, neutralise_formulas


@pytest.mark.parametrize(
    ("name", "escaped"),
    [
        ("<img src=x onerror=alert(1)>", "\\<img src=x onerror=alert(1)\\>"),
        ("![b](http://127.0.0.1:9/b.png)", "!\\[b\\](http\\:\u2060//127.0.0.1\\:9/b.png)"),
        ("[x](http://evil.example)", "\\[x\\](http\\:\u2060//evil.example)"),
        ("$\\frac{a}{b}$", "\\$\\\\frac{a}{b}\\$"),
        (":red[alarm] :material/delete:", "\\:red\\[alarm\\] \\:\u2060material/delete\\:"),
        (":streamlit: :smile: 10:30", "\\:\u2060streamlit\\: \\:\u2060smile\\: 10\\:30"),
        ("**bold** _it_ `code` ~~gone~~", "\\*\\*bold\\*\\* \\_it\\_ \\`code\\` \\~\\~gone\\~\\~"),
        ("# Heading", "\\# Heading"),
        ("1. first", "1\\. first"),
        ("- item", "\\- item"),
        ("line\n# two\n\n- three", "line # two - three"),
        ("www.evil.example", "www\u2060.evil.example"),
        ("ana@example.com", "ana\\@\u2060example.com"),
        ("see https://evil.example", "see https\\:\u2060//evil.example"),
        ("&lt;b&gt;", "\\&lt;b\\&gt;"),
        ("Order confirmed (QC #2), 5.1 days", "Order confirmed (QC #2), 5.1 days"),
    ],
)
def test_plain_escapes_every_markup_a_name_could_carry(name: str, escaped: str) -> None:
    assert plain(name) == escaped


def _cells(frame: pl.DataFrame) -> list[list[str]]:
    return list(csv.reader(io.StringIO(neutralise_formulas(frame).write_csv())))


def test_a_csv_cell_that_starts_like_a_formula_is_neutralised() -> None:
    frame = pl.DataFrame(
        {
            "activity": [
                '=HYPERLINK("http://evil","x")',
                "+1",
                "-2+3",
                "@SUM(A1)",
                "\tx",
                "\ry",
                "ok",
            ],
            "count": [1, -2, 3, 4, 5, 6, 7],
            "share": [-0.5, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6],
            "when": [datetime(2024, 1, 1, tzinfo=UTC)] * 7,
        }
    )
    rows = _cells(frame)
    assert rows[0] == ["activity", "count", "share", "when"]
    assert [r[0] for r in rows[1:]] == [
        '\'=HYPERLINK("http://evil","x")',
        "'+1",
        "'-2+3",
        "'@SUM(A1)",
        "'\tx",
        "'\ry",
        "ok",
    ]
    # Numbers stay numbers: a negative number is not a formula.
    assert [r[1] for r in rows[1:3]] == ["1", "-2"]
    assert rows[1][2] == "-0.5"


def test_every_text_cell_of_a_neutralised_frame_is_safe() -> None:
    hostile = [f"{c}cmd|' /C calc'!A0" for c in FORMULA_STARTS] + [None, "", "plain"]
    frame = pl.DataFrame({"name": hostile, "other": [str(i) for i in range(len(hostile))]})
    for row in _cells(frame)[1:]:
        assert not row[0].startswith(FORMULA_STARTS)


def test_the_upload_limit_of_the_configuration_is_the_one_the_code_states() -> None:
    config = tomllib.loads((REPO / ".streamlit" / "config.toml").read_text())
    assert config["server"]["maxUploadSize"] == MAX_UPLOAD_MB
    assert config["client"]["toolbarMode"] == "viewer"
    assert config["client"]["showErrorDetails"] == "none"
    assert config["client"]["showErrorLinks"] is False


def test_the_server_watches_none_of_the_apps_files() -> None:
    """Streamlit's default watches the app's folder, .venv included: each new tab had the
    server walk its ~4,000 folders before the page ran, 0.3-0.4 s on the event loop that
    serves every tab."""
    config = tomllib.loads((REPO / ".streamlit" / "config.toml").read_text())
    assert config["server"]["fileWatcherType"] == "none"


def test_the_server_compresses_what_a_page_sends_over_its_websocket() -> None:
    """Over a team's network of 20 Mbit/s a new tab of Cases (0.6 MB at ten million events)
    took 1.3-1.6 s instead of 1.9-2.0 s; the browser test of Stream health checks the
    server's handshake."""
    config = tomllib.loads((REPO / ".streamlit" / "config.toml").read_text())
    assert config["server"]["enableWebsocketCompression"] is True


def test_the_secrets_example_has_every_key_sign_in_needs() -> None:
    example = tomllib.loads((REPO / ".streamlit" / "secrets.toml.example").read_text())
    assert set(example["auth"]) == {
        "redirect_uri",
        "cookie_secret",
        "client_id",
        "client_secret",
        "server_metadata_url",
    }
    assert example["vsm"]["roles"]["default"] == "viewer"
    assert not (REPO / ".streamlit" / "secrets.toml").exists() or (
        ".streamlit/secrets.toml" in (REPO / ".gitignore").read_text()
    )


def test_every_csv_the_pages_offer_goes_through_csv_download() -> None:
    """A CSV written anywhere else would skip the formula rule."""
    offenders = [
        f"{path.relative_to(REPO)}:{n}"
        for folder in ("ui", "app_pages")
        for path in sorted((REPO / folder).glob("*.py"))
        if path.name != "widgets.py"
        for n, line in enumerate(path.read_text().splitlines(), start=1)
        if "text/csv" in line or ".write_csv(" in line
    ]
    assert offenders == []
