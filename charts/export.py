"""Charts as files: SVG and PNG rendered on the server (vl-convert for Altair charts,
Graphviz's `dot` for the process map; no browser, no network)."""

from __future__ import annotations

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
