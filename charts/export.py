"""Charts as files: SVG and PNG rendered on the server (vl-convert, no browser, no network)."""

from __future__ import annotations

import vl_convert as vlc

from charts.style import AnyChart


def to_svg(chart: AnyChart) -> str:
    return str(vlc.vegalite_to_svg(chart.to_json()))


def to_png(chart: AnyChart, scale: float = 2.0) -> bytes:
    return bytes(vlc.vegalite_to_png(chart.to_json(), scale=scale))
