"""CloudWatch GetMetricData in batches: every query of an audit, up to 500 per call."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from ecslint.audit.aws import Aws, chunks
from ecslint.model import UNKNOWN, is_unknown

MAX_QUERIES = 500  # GetMetricData limit per call
WHAT = ("CloudWatch metrics of the window: service CPUUtilization/MemoryUtilization, "
        "TargetResponseTime, Container Insights usage (ECS201, ECS902, ECS903, ECS904, ECS906, "
        "ECS907)")

Series = list[tuple[datetime, float]]


class MetricBatch:
    """Queries collected from every part of the audit, then read in as few calls as possible.

    Each query is the `Maximum` of one metric (namespace, name, exact dimension set) per
    `period` seconds. The same metric asked twice is one query.
    """

    def __init__(self, period: int) -> None:
        self.period = period
        self._queries: dict[str, dict[str, Any]] = {}
        self._ids: dict[tuple, str] = {}
        self._series: dict[str, Any] = {}

    def add(self, namespace: str, metric: str, dims: dict[str, str],
            qid: str | None = None) -> str:
        """The query id of this metric, added when new (`qid` names it, else q<n>)."""
        key = (namespace, metric, tuple(sorted(dims.items())))
        if key in self._ids:
            return self._ids[key]
        qid = qid or f"q{len(self._queries)}"
        self._ids[key] = qid
        self._queries[qid] = {"Id": qid, "ReturnData": True, "MetricStat": {
            "Metric": {"Namespace": namespace, "MetricName": metric,
                       "Dimensions": [{"Name": k, "Value": v} for k, v in dims.items()]},
            "Period": self.period, "Stat": "Maximum"}}
        return qid

    def __len__(self) -> int:
        return len(self._queries)

    def fetch(self, aws: Aws, start: datetime, end: datetime) -> None:
        """Every query, in calls of up to 500 run on the account's pool."""
        def read(chunk: list[dict]) -> tuple[list[dict], list[dict] | None]:
            return chunk, aws.pages("cloudwatch", "get_metric_data", WHAT,
                                    MetricDataQueries=chunk, StartTime=start, EndTime=end)

        for chunk, pages in aws.map(read, list(chunks(list(self._queries.values()),
                                                      MAX_QUERIES))):
            points: dict[str, dict[datetime, float]] = {q["Id"]: {} for q in chunk}
            for result in (r for page in pages or [] for r in page.get("MetricDataResults", [])):
                got = points.setdefault(result["Id"], {})
                for when, value in zip(result.get("Timestamps", []), result.get("Values", []),
                                       strict=False):
                    when = when.astimezone(timezone.utc)
                    got[when] = max(value, got.get(when, value))
            for q in chunk:
                self._series[q["Id"]] = UNKNOWN if pages is None else sorted(
                    points[q["Id"]].items())

    def series(self, qid: str) -> Any:
        """[(time, value)] in time order; UNKNOWN when the call failed."""
        return self._series.get(qid, [])

    def peak(self, qid: str) -> Any:
        """The maximum in the window: None without data points, UNKNOWN when not read."""
        found = self.series(qid)
        if is_unknown(found):
            return UNKNOWN
        return max(v for _, v in found) if found else None
