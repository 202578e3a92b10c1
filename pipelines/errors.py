"""What can go wrong with a file, as one family of errors whose message is meant for the user.

Every message says what was wrong and where (file, row, column) in one sentence a
person can act on; the command line prints its first line, the Data page shows it.
"""

from __future__ import annotations


class IngestError(Exception):
    """A file that cannot be imported at all; nothing was stored."""


class ReadError(IngestError):
    """The file cannot be read as a table (damaged, empty, an unsupported type)."""


class FormatError(IngestError):
    """The file could not be converted by the tool format chosen or detected for it."""
