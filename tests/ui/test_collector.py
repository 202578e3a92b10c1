"""The app keeps what lives as long as the server out of the garbage collections Streamlit
runs after every page run (ui.resources.spare_the_collector)."""

from __future__ import annotations

import gc
import sys
import types

import pytest

from ui import resources


def test_what_is_alive_after_new_modules_is_frozen_once(monkeypatch: pytest.MonkeyPatch) -> None:
    gc.unfreeze()
    monkeypatch.setattr(resources, "_MODULES_FROZEN", 0)
    resources.spare_the_collector()
    frozen = gc.get_freeze_count()
    assert frozen > 10_000  # the loaded libraries' objects
    # A run that loads nothing new freezes nothing: what it made is still collected. (Frozen
    # objects that die are freed all the same, so the count can only fall.)
    made = [[n] for n in range(20_000)]
    resources.spare_the_collector()
    assert gc.get_freeze_count() <= frozen
    # A run that imported a module freezes what is alive then: the lists made above too.
    monkeypatch.setitem(sys.modules, "vsm_test_module", types.ModuleType("vsm_test_module"))
    resources.spare_the_collector()
    assert gc.get_freeze_count() >= frozen + len(made) // 2
    gc.unfreeze()
