"""Concurrent AWS calls: a bounded pool, results in input order, the same report as a serial run.

Peers: plain threads and events for the pool (no sleeps: the order of completion is forced);
moto's HTTP server (ThreadedMotoServer on 127.0.0.1) for whole audits, so that concurrent calls
really are concurrent HTTP requests. Calls are counted with botocore's own before-call and
after-call events on the session the audit uses.
"""

from __future__ import annotations

import threading
import urllib.request
from collections import Counter

import boto3
import botocore.session
import pytest
from moto.server import ThreadedMotoServer

import audit_incidents as incidents
from ecslint.audit.command import AuditRequest, run_audit
from ecslint.audit.pool import DEFAULT_MAX_CONCURRENCY, Pool
from ecslint.report import render
from ecslint.settings import Settings
from test_audit_kit import NOW, REGION, apply_env, fake_aws_env, free_port, seed_account

WAIT = 10  # seconds; only reached when the pool is broken


def test_results_come_back_in_input_order_whatever_order_calls_finish_in():
    done = [threading.Event() for _ in range(4)]

    def work(i: int) -> int:
        # Each call waits for the next one to finish first: they must run at the same time,
        # and they finish last to first.
        if i + 1 < len(done):
            assert done[i + 1].wait(WAIT), "calls did not run concurrently"
        done[i].set()
        return i * 10

    with Pool(4) as pool:
        assert pool.map(work, range(4)) == [0, 10, 20, 30]


def test_the_pool_is_bounded():
    running, peak, lock = 0, 0, threading.Lock()
    release = threading.Event()
    started = threading.Semaphore(0)

    def work(_: int) -> None:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        started.release()
        release.wait(WAIT)
        with lock:
            running -= 1

    with Pool(3) as pool:
        thread = threading.Thread(target=pool.map, args=(work, range(9)))
        thread.start()
        for _ in range(3):
            assert started.acquire(timeout=WAIT)
        assert not started.acquire(timeout=0.2)  # a fourth call would have started by now
        release.set()
        thread.join(WAIT)
    assert peak == 3


def test_the_first_error_in_input_order_is_raised_after_every_call_ended():
    ended = []

    def work(i: int) -> int:
        ended.append(i)
        if i in (1, 3):
            raise ValueError(f"call {i}")
        return i

    with Pool(4) as pool, pytest.raises(ValueError, match="call 1"):
        pool.map(work, range(5))
    assert sorted(ended) == [0, 1, 2, 3, 4]


def test_size_one_runs_inline_in_order():
    seen = []
    with Pool(1) as pool:
        assert pool.map(lambda i: seen.append((i, threading.get_ident())) or i, [3, 1, 2]) == [
            3, 1, 2]
    assert seen == [(3, threading.get_ident()), (1, threading.get_ident()),
                    (2, threading.get_ident())]
    with pytest.raises(ValueError):
        Pool(0)
    assert DEFAULT_MAX_CONCURRENCY == 10


# ------------------------------------------------------------------ whole audits, over HTTP

def seed_many(session: boto3.Session, clusters: int = 3, per_cluster: int = 8) -> None:
    """Services beside the seeded incidents, a few with stopped tasks."""
    ec2, ecs = session.client("ec2"), session.client("ecs")
    subnet = ec2.describe_subnets()["Subnets"][0]["SubnetId"]
    sg = ec2.describe_security_groups()["SecurityGroups"][0]["GroupId"]
    network = {"awsvpcConfiguration": {"subnets": [subnet], "securityGroups": [sg]}}
    for c in range(clusters):
        ecs.create_cluster(clusterName=f"fleet-{c}")
        for s in range(per_cluster):
            family = f"svc-{c}-{s}"
            ecs.register_task_definition(
                family=family, cpu="256", memory="512", networkMode="awsvpc",
                requiresCompatibilities=["FARGATE"],
                containerDefinitions=[{"name": "app", "image": "example/app:1", "memory": 512}])
            ecs.create_service(cluster=f"fleet-{c}", serviceName=family, taskDefinition=family,
                               desiredCount=1, launchType="FARGATE",
                               networkConfiguration=network)
            if s % 3 == 0:
                task = ecs.run_task(cluster=f"fleet-{c}", taskDefinition=family,
                                    launchType="FARGATE", group=f"service:{family}",
                                    networkConfiguration=network)["tasks"][0]
                ecs.stop_task(cluster=f"fleet-{c}", task=task["taskArn"], reason="Scaling")


@pytest.fixture(scope="module")
def server():
    port = free_port()
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    moto.start()
    endpoint = f"http://127.0.0.1:{port}"
    direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    direct.open(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST"),
                timeout=10).close()
    try:
        with pytest.MonkeyPatch.context() as monkeypatch:
            apply_env(monkeypatch, fake_aws_env(endpoint))
            session = boto3.Session(region_name=REGION)
            seed_account(lambda name: session.client(name))
            incidents.seed_incidents(lambda name: session.client(name))
            seed_many(session)
            yield monkeypatch
    finally:
        moto.stop()


def audited(concurrency: int) -> tuple[str, Counter, int]:
    """The JSON report, the operations called, and the most calls that were in flight."""
    core = botocore.session.Session()
    calls: Counter = Counter()
    state = {"now": 0, "peak": 0}
    lock = threading.Lock()

    def before(model, **_: object) -> None:
        with lock:
            calls[model.name] += 1
            state["now"] += 1
            state["peak"] = max(state["peak"], state["now"])

    def after(**_: object) -> None:
        with lock:
            state["now"] -= 1

    core.register("before-call.*.*", before)
    core.register("after-call.*.*", after)
    core.register("after-call-error.*.*", after)
    report = run_audit(AuditRequest(since="2h", max_concurrency=concurrency), Settings(),
                       core=core, now=NOW)
    return render(report, "json"), calls, state["peak"]


def test_a_concurrent_audit_reports_byte_for_byte_what_a_serial_one_does(server):
    serial, serial_calls, serial_peak = audited(1)
    concurrent, concurrent_calls, concurrent_peak = audited(8)
    assert concurrent == serial
    assert concurrent_calls == serial_calls
    assert (serial_peak, concurrent_peak > 1) == (1, True)
    assert '"code": "ECS906"' in serial and '"code": "ECS907"' in serial


def test_stopped_tasks_are_listed_once_per_cluster(server):
    _, calls, _ = audited(4)
    # prod, shop, reports and three fleet clusters; 30 services.
    assert calls["ListTasks"] == 6
    assert calls["DescribeServices"] == 1 + 1 + 1 + 3
    assert calls["GetMetricData"] == 1  # every query of the region in one call (< 500)
