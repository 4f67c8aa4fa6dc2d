"""`ecslint audit`: a read-only audit of a live AWS account (boto3 is imported only here)."""

from __future__ import annotations


class AuditError(Exception):
    """The audit cannot run at all (no credentials, bad region, endpoint unreachable...).

    The CLI prints the message as one line and exits 2; partial failures are not errors
    but "not verified" entries in the report.
    """
