"""One import at a time for the packages the app loads lazily, on more than one thread."""

from __future__ import annotations

import threading
from importlib import import_module
from types import ModuleType

_ONE_AT_A_TIME = threading.RLock()


def import_once(name: str) -> ModuleType:
    """`importlib.import_module(name)`, under one lock for the whole process.

    scipy's modules import one another. Two threads importing them at once (the
    server's read ahead comparing experiments while the first page looked for findings)
    can each wait on a module the other is building; Python breaks that cycle by handing
    one of them the module half built, and its import fails ("cannot import name
    'euclidean' from partially initialized module 'scipy.spatial.distance'"). Imported
    one at a time, the second thread waits for the first and finds the module whole.
    Call it where the import is made, never from a module's own top level."""
    with _ONE_AT_A_TIME:
        return import_module(name)
