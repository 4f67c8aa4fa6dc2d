"""`ecslint audit`: a read-only audit of a live AWS account (boto3 is imported only here)."""

from __future__ import annotations


class AuditError(Exception):
    """The audit cannot run at all (no credentials, bad region, endpoint unreachable...).

    The CLI prints the message as one line and exits 2; partial failures are not errors
    but "not verified" entries in the report. `extra`: what the JSON document of the
    failed audit holds besides the error (`not_verified`: the calls that failed before).
    """

    def __init__(self, message: str, extra: dict | None = None) -> None:
        super().__init__(message)
        self.extra = extra or {}
