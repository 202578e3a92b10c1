"""Charts as files: SVG and PNG rendered on the server (vl-convert for Altair charts,
Graphviz's `dot` for the process map; no browser, no network). The process map's page
shows `dot`'s SVG too, where Graphviz is installed (`dot_markup`)."""

from __future__ import annotations

import re
import shutil
import subprocess

import vl_convert as vlc

from charts.style import AnyChart


def to_svg(chart: AnyChart) -> str:
    return str(vlc.vegalite_to_svg(chart.to_json()))


def to_png(chart: AnyChart, scale: float = 2.0) -> bytes:
    return bytes(vlc.vegalite_to_png(chart.to_json(), scale=scale))


def graphviz_available() -> bool:
    """Whether Graphviz's `dot` is installed (Debian's graphviz package; `make run` installs
    it when run as root): the process map renders to PNG and SVG with it."""
    return shutil.which("dot") is not None


def dot_to(dot: str, fmt: str) -> bytes:
    """A Graphviz DOT text rendered to `fmt` ('svg' or 'png') by the `dot` program."""
    if fmt not in ("svg", "png"):
        raise ValueError(f"fmt must be svg or png, not {fmt!r}")
    done = subprocess.run(
        ["dot", f"-T{fmt}", "-Gdpi=144" if fmt == "png" else "-Gdpi=72"],
        input=dot.encode("utf-8"),
        capture_output=True,
        timeout=60,
        check=True,
    )
    return done.stdout


def dot_markup(dot: str) -> str:
    """A Graphviz DOT text drawn by `dot` as SVG markup to place in a page (st.markdown
    with HTML), in a `div` of class "graphviz": the XML prolog and comments dropped, and
    no blank line, which would end markdown's HTML block and have the rest of the
    drawing's text read as markdown (`_inert`). Graphviz escapes every label and tooltip
    (charts.process_map quotes every text of the data), so no text of the data becomes
    markup; a drawing with a link, a script, an event handler or foreign content is
    refused all the same (ValueError: the page then lays the map out in the browser)."""
    svg = dot_to(dot, "svg").decode("utf-8")
    svg = re.sub(r"<!--.*?-->", "", svg[svg.index("<svg") :], flags=re.DOTALL)
    return '<div class="graphviz">\n' + _inert(svg.strip()) + "\n</div>"


_UNSAFE = re.compile(
    r"^<\s*/?\s*(?:script|foreignobject|iframe|style|image|use)\b|\s(?:xlink:)?href\s*=|\son\w+\s*=",
    re.IGNORECASE,
)
"""What a process map's SVG never holds: a script, foreign content, a link, an event
handler."""

_MARKDOWN_SIGNS = re.compile(r"[:$\[\]*_~`\\\n\r]")
"""What Streamlit's markdown reads as a directive even inside HTML (a step named
`:material/delete:` became `:material_delete:`), a formula or emphasis; and line breaks,
which inside a name could make a blank line."""


def _inert(markup: str) -> str:
    """`markup` with _MARKDOWN_SIGNS in its text and attribute values written as character
    references, which the browser shows as the characters themselves and markdown leaves
    alone; tag and attribute names as they are, and the space between two tags one line
    break (no blank line). ValueError for a tag of what a process map never holds
    (`_UNSAFE`)."""

    def signs(text: str) -> str:
        return _MARKDOWN_SIGNS.sub(lambda m: f"&#{ord(m.group())};", text)

    def part(m: re.Match[str]) -> str:
        piece = m.group()
        if piece.startswith("<"):
            if _UNSAFE.search(re.sub(r'"[^"]*"', '""', piece)):  # its names, not its values
                raise ValueError(f"the drawing has a tag a process map never has: {piece[:80]!r}")
            return re.sub(r'"[^"]*"', lambda v: signs(v.group()), piece)
        return "\n" if not piece.strip() else signs(piece)

    return re.sub(r"<[^>]*>|[^<]+", part, markup)
