"""The order cases are numbered in, declared once for every layer.

A derivation numbers an offering's cases (`case_index`) in this order and stores their
steps in it; the warehouse derives again only the cases an import touches and those
after them in it (warehouse/derived.py), so the order decides how much an import
derives.

Shorter ids come first, ids of one length by their bytes (UTF-8). Ids that count up
without leading zeros then keep their numbers' order: `PRJ-9` before `PRJ-10`, `999`
before `1000`, so a new issue, order or pull request comes after every stored one. By
their bytes alone `PRJ-100` came before `PRJ-99`, and a new case of a project past its
hundredth issue fell among the stored ones.
"""

from __future__ import annotations

import polars as pl


def case_order(column: str = "case_id") -> list[pl.Expr]:
    """The sort keys that put case ids (`column`) in the order cases are numbered in."""
    return [pl.col(column).str.len_bytes(), pl.col(column)]


def placed(case_id: str) -> tuple[int, str]:
    """A case id's place in that order, as a Python sort key."""
    return len(case_id.encode()), case_id
