"""Errors of the accounts file loader (the one data-file error style of :mod:`fenqi.datafile`)."""
from __future__ import annotations

from fenqi.datafile import DataFileError, Problem

__all__ = ["AccountsFileError", "Problem"]


class AccountsFileError(DataFileError):
    """The accounts data is invalid; nothing was written. ``problems`` lists every finding.

    ``str()`` is one line: the source, the first problem, and how many more there are.
    """

    default_message = "invalid accounts data"
