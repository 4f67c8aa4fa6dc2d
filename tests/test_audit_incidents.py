"""Both incidents, reproduced from seeded Container Insights metrics: in-process and over HTTP.

Peers: moto in-process (`mock_aws`) for the report objects; moto's HTTP server
(ThreadedMotoServer on 127.0.0.1) for the command itself, its JSON and its HTML report, which a
real HTML parser (the standard library's) reads back: the limit lines and the points of every
chart are turned back into values and times and compared with what was seeded.
"""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from datetime import datetime, timezone
from html.parser import HTMLParser

import boto3
import pytest
from moto import mock_aws
from moto.server import ThreadedMotoServer

import audit_incidents as incidents
from ecslint.audit.command import AuditRequest, run_audit
from ecslint.report import render
from ecslint.settings import Settings
from test_audit_kit import NOW, REGION, ROOT, apply_env, fake_aws_env, free_port


@pytest.fixture(scope="module")
def in_process():
    with pytest.MonkeyPatch.context() as monkeypatch, mock_aws():
        apply_env(monkeypatch, fake_aws_env(None))
        arns = incidents.seed_incidents(lambda name: boto3.client(name, region_name=REGION))
        report = run_audit(AuditRequest(since="2h"), Settings(), now=NOW)
    return arns, report


def test_incident_2_the_container_limit_binds_far_below_the_task_memory(in_process):
    arns, report = in_process
    ecs906, = [f for f in report.findings if f.code == "ECS906"]
    assert (ecs906.file, ecs906.container) == (arns["report"], "app")
    assert ecs906.message.startswith(
        "service 'report': container 'app' peaked at 4000 MiB in the last 2h, 97.7% of its "
        "container memory limit of 4096 MiB (threshold 90%; ")
    assert "it is far below the task memory of 16384 MiB (25%)" in ecs906.message
    assert [f.container for f in report.findings if f.code == "ECS901"] == ["app"]
    usage = next(u for u in json.loads(render(report, "json"))["usage"]
                 if u["service"] == "report")
    app, = usage["containers"]
    assert (app["memory"]["peak"], app["memory"]["limit"], app["memory"]["limit_of"],
            app["memory"]["percent"], app["memory"]["source"]) == (
        4000.0, 4096, "container", 97.7, "container-insights-enhanced")
    assert (usage["task"]["memory"]["limit"], usage["task"]["memory"]["percent"]) == (16384, 24.4)
    task, = usage["stopped_tasks"]
    assert (task["task"], task["cause"], task["containers"][0]["memory"]["peak"]) == (
        arns["report_task"], "oom", 4000.0)


def test_incident_1_a_cpu_starved_container_fails_its_health_checks(in_process):
    arns, report = in_process
    ecs907, = [f for f in report.findings if f.code == "ECS907"]
    assert (ecs907.file, ecs907.container) == (arns["api"], "web")
    assert "253.4 CPU units in the last 2h, 99% of its CPU share of 256 units" in ecs907.message
    assert ("the expected latency 20.0 s of a 50 ms request at 0.25 vCPU and 99% utilization "
            "(L = C / min(q,1) / (1-p)) (ECS201), against the 5 s health-check timeout of "
            "target group 'shop-api'") in ecs907.message
    ecs902, = [f.message for f in report.findings if f.code == "ECS902"]
    assert ecs902.endswith("; peaks in that task: web CPU 99% of 256 units, memory 51.3% of "
                           "512 MiB")
    doc = json.loads(render(report, "json"))
    stops = next(s for s in doc["stopped_tasks"] if s["service"] == "api")["stops"]
    peak, = stops[0]["peaks"]
    assert (peak["container"], peak["scope"], peak["cpu"]["peak"], peak["cpu"]["percent"]) == (
        "web", "task", 253.4, 99.0)


def test_the_usage_table_puts_each_peak_next_to_its_limit(in_process):
    arns, report = in_process
    table = next(s for s in report.sections if s.startswith("Usage of shop/api"))
    rows = [line.split() for line in table.splitlines()[1:]]
    assert [" ".join(r) for r in rows] == [
        "CONTAINER MEMORY PEAK OF ITS LIMIT CPU PEAK OF ITS SHARE SOURCE",
        "web 262.5 MiB 51.3% of 512 MiB (task memory) 253.4 units 99% of 256 units (container "
        "cpu) Container Insights, per container",
        "(task) 262.5 MiB 51.3% of 512 MiB (task memory) 253.4 units 99% of 256 units (task "
        "cpu) Container Insights, task total",
        f"task {arns['api_task'][:8]}/web 262.5 MiB 51.3% of 512 MiB (task memory) 253.4 "
        "units 99% of 256 units (container cpu) Container Insights, per container"]
    table = next(s for s in report.sections if s.startswith("Usage of reports/report"))
    assert " ".join(table.splitlines()[2].split()[:9]) == (
        "app 4000 MiB 97.7% of 4096 MiB (container memory)")
    assert " ".join(table.splitlines()[3].split()[:9]) == (
        "(task) 4000 MiB 24.4% of 16384 MiB (task memory)")


# ------------------------------------------------------------------ over HTTP, and the HTML

class Charts(HTMLParser):
    """The charts of the report: each figure's attributes, scale, lines, points and stops."""

    def __init__(self) -> None:
        super().__init__()
        self.charts: list[dict] = []
        self.tags: set[str] = set()
        self.srcs: list[str] = []
        self.styles: list[str] = []
        self._style = False

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = dict(attrs)
        self.tags.add(tag)
        self.srcs += [v for k, v in attrs if k in ("src", "srcset", "data", "background")]
        if tag == "style":
            self._style = True
        if tag == "figure" and a.get("class") == "chart":
            self.charts.append({"figure": a, "lines": [], "stops": []})
        elif tag == "svg" and self.charts:
            self.charts[-1]["svg"] = a
        elif tag == "line" and self.charts and a.get("class") in ("limit", "task-limit"):
            self.charts[-1]["lines"].append(a)
        elif tag == "polyline" and self.charts:
            self.charts[-1]["points"] = [tuple(map(float, p.split(",")))
                                         for p in a["points"].split()]
        elif tag == "g" and self.charts and a.get("class") == "stop":
            self.charts[-1]["stops"].append(a)

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self._style = False

    def handle_data(self, data: str) -> None:
        if self._style:
            self.styles.append(data)


def scale(chart: dict):
    svg = chart["svg"]
    t0, t1, ymax = float(svg["data-t0"]), float(svg["data-t1"]), float(svg["data-ymax"])
    x0, y0, x1, y1 = map(float, svg["data-plot"].split())

    def value(y: float) -> float:
        return (y1 - y) / (y1 - y0) * ymax

    def when(x: float) -> float:
        return t0 + (x - x0) / (x1 - x0) * (t1 - t0)
    return value, when, ymax


@pytest.fixture(scope="module")
def server_report(tmp_path_factory):
    port = free_port()
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    moto.start()
    env = fake_aws_env(f"http://127.0.0.1:{port}")
    out = tmp_path_factory.mktemp("report")
    # The server shares this process's moto state: start from an empty account.
    direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    direct.open(urllib.request.Request(f"http://127.0.0.1:{port}/moto-api/reset",
                                       method="POST"), timeout=10).close()
    try:
        with pytest.MonkeyPatch.context() as monkeypatch:
            apply_env(monkeypatch, env)
            session = boto3.Session(region_name=REGION)
            arns = incidents.seed_incidents(lambda name: session.client(name))
        runs = {}
        for fmt in ("html", "json"):
            runs[fmt] = subprocess.run(
                [sys.executable, "-m", "ecslint", "audit", "--since", "2h", "--format", fmt,
                 "--output", str(out / f"report.{fmt}")], env={**env, "PYTHONPATH": str(ROOT)},
                cwd=ROOT, capture_output=True, text=True, timeout=120)
        yield arns, runs, out
    finally:
        moto.stop()


def test_the_command_over_http_reports_both_incidents(server_report):
    arns, runs, out = server_report
    assert [(r.returncode, r.stdout, r.stderr) for r in runs.values()] == [(1, "", "")] * 2
    doc = json.loads((out / "report.json").read_text())
    assert sorted((f["code"], f["container"]) for f in doc["findings"]
                  if f["code"] in ("ECS906", "ECS907")) == [("ECS906", "app"), ("ECS907", "web")]


def test_the_html_report_is_self_contained(server_report):
    _, _, out = server_report
    parser = Charts()
    text = (out / "report.html").read_text()
    parser.feed(text)
    assert text.startswith("<!DOCTYPE html>")
    assert not parser.tags & {"script", "link", "img", "iframe", "object", "embed", "image"}
    assert parser.srcs == []
    assert not any("url(" in s or "@import" in s or "@font-face" in s for s in parser.styles)
    assert "http://" not in text.replace("http://127.0.0.1", "")  # the endpoint, in the text


@pytest.mark.parametrize("container, metric, points, limit, limit_of, task_line", [
    ("app", "memory", incidents.REPORT_MEMORY, 4096, "container", 16384),
    ("app", "cpu", incidents.REPORT_CPU, 4096, "task", None),
    ("web", "memory", incidents.API_MEMORY, 512, "task", None),
    ("web", "cpu", incidents.API_CPU, 256, "container", None),
])
def test_the_charts_draw_the_seeded_metrics_against_the_limit(server_report, container, metric,
                                                              points, limit, limit_of,
                                                              task_line):
    _, _, out = server_report
    parser = Charts()
    parser.feed((out / "report.html").read_text())
    chart, = [c for c in parser.charts if c["figure"]["data-container"] == container
              and c["figure"]["data-metric"] == metric]
    assert chart["figure"]["data-source"] == "container-insights-enhanced"
    value, when, ymax = scale(chart)
    lines = {a["class"]: a for a in chart["lines"]}
    assert (float(lines["limit"]["data-value"]), lines["limit"]["data-of"]) == (limit, limit_of)
    assert value(float(lines["limit"]["y1"])) == pytest.approx(limit, abs=ymax / 1000)
    if task_line:
        assert value(float(lines["task-limit"]["y1"])) == pytest.approx(task_line,
                                                                       abs=ymax / 1000)
    else:
        assert "task-limit" not in lines
    drawn = [(when(x), value(y)) for x, y in chart["points"]]
    seeded = [(t.timestamp(), v) for t, v in incidents.series(points)]
    assert [v for _, v in drawn] == pytest.approx([v for _, v in seeded], abs=ymax / 1000)
    # CloudWatch (and moto) time a point by the start of its period (60 s here).
    assert all(0 <= s - d <= 61 for (d, _), (s, _) in zip(drawn, seeded, strict=True))
    stop, = chart["stops"]
    cause, minutes = ("oom", incidents.REPORT_STOP_MINUTES) if container == "app" else (
        "elb-health-check", incidents.API_STOP_MINUTES)
    assert stop["data-cause"] == cause
    assert float(stop["data-time"]) == pytest.approx(incidents.at(minutes).timestamp(), abs=1)
    assert datetime.fromtimestamp(float(stop["data-time"]), timezone.utc) <= NOW
