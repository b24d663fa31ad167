"""One exception hierarchy for minerwatch; the CLI maps each class to an exit code and one line."""

from __future__ import annotations


class MinerwatchError(Exception):
    """Base of every error minerwatch raises on purpose; its message is meant for the user."""

    exit_code = 1


class InputError(MinerwatchError, ValueError):
    """A user-supplied value (month, date, ticker, file, flag) is invalid; the message quotes it."""

    exit_code = 2


class DataGap(MinerwatchError):
    """The store holds no data for the requested period; the message names the available range."""

    exit_code = 3


class StoreError(MinerwatchError):
    """The store file is missing, corrupt or of an unknown schema; the message says how to rebuild it."""

    exit_code = 4


class SourceError(MinerwatchError):
    """A remote or file source failed; the message names the source and the URL or file."""

    exit_code = 5


class RateLimited(SourceError):
    """The source answered HTTP 429 (or a vendor rate-limit body) and retries were exhausted."""


class SourceUnavailable(SourceError):
    """The source could not be reached (refused, DNS, timeout, 5xx after retries)."""


class SchemaChanged(SourceError):
    """A payload did not have the shape the parser expects; the message names the missing/odd field."""
