"""AWS access: retries on throttling, pagination everywhere, failures recorded or fatal."""

# Peers: for throttling, a minimal AWS JSON-protocol endpoint on 127.0.0.1 (moto never
# throttles, and a Stubber answers before botocore's retry handler runs, so neither can show
# a retry); for pagination and error codes, botocore's Stubber with the real response shapes
# (moto does not paginate ListClusters and cannot return a chosen error code).

from __future__ import annotations

import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import boto3
import pytest
from botocore.stub import Stubber

from ecslint.audit import AuditError, metrics
from ecslint.audit.aws import NotVerified, open_session
from ecslint.audit.live_model import Live, LiveService
from ecslint.audit.live_related import TargetGroups
from ecslint.model import EcsModel, Location, Service
from test_audit_kit import NOW, REGION, apply_env, fake_aws_env

CLUSTER = "arn:aws:ecs:us-east-1:123456789012:cluster/prod"


@pytest.fixture(autouse=True)
def no_real_aws(monkeypatch):
    """Fake keys and a closed loopback endpoint: a call a Stubber does not catch fails."""
    apply_env(monkeypatch, fake_aws_env())


@pytest.fixture
def aws():
    return open_session(None, None)


def stubbed(aws, name: str) -> Stubber:
    client = boto3.client(name, region_name=REGION)
    aws.use(name, client)
    return Stubber(client)


# ------------------------------------------------------------------ retries

def test_retry_configuration(monkeypatch):
    monkeypatch.delenv("AWS_MAX_ATTEMPTS")
    config = open_session(None, None).client("ecs").meta.config
    assert (config.retries, config.connect_timeout, config.read_timeout) == (
        {"mode": "standard", "total_max_attempts": 10}, 5, 15)
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "4")
    assert open_session(None, None).client("ecs").meta.config.retries == {
        "mode": "standard", "total_max_attempts": 4}


class Throttling(BaseHTTPRequestHandler):
    """ECS ListClusters over the JSON protocol; the first `throttle` requests are throttled."""

    throttle = 1
    seen: list[str] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        self.rfile.read(int(self.headers["Content-Length"]))
        type(self).seen.append(self.headers["X-Amz-Target"])
        if len(self.seen) <= self.throttle:
            status, body = 400, {"__type": "ThrottlingException", "message": "Rate exceeded"}
        else:
            status, body = 200, {"clusterArns": [CLUSTER]}
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/x-amz-json-1.1")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def throttling_endpoint():
    Throttling.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Throttling)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_throttling_is_retried_with_backoff(monkeypatch, throttling_endpoint):
    apply_env(monkeypatch, fake_aws_env(throttling_endpoint))
    monkeypatch.delenv("AWS_MAX_ATTEMPTS")
    aws = open_session(None, None)
    pages = aws.pages("ecs", "list_clusters", "clusters")
    assert pages is not None and pages[0]["clusterArns"] == [CLUSTER]
    assert Throttling.seen == ["AmazonEC2ContainerServiceV20141113.ListClusters"] * 2
    assert aws.not_verified == []


def test_throttling_that_outlasts_the_retries_is_not_verified(monkeypatch, throttling_endpoint):
    monkeypatch.setattr(Throttling, "throttle", 99)
    apply_env(monkeypatch, fake_aws_env(throttling_endpoint))
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "2")
    aws = open_session(None, None)
    assert aws.pages("ecs", "list_clusters", "the clusters") is None
    assert len(Throttling.seen) == 2
    assert aws.not_verified == [NotVerified("ecs:ListClusters", "the clusters",
                                            "ThrottlingException: Rate exceeded")]


# ------------------------------------------------------------------ pagination

def test_paginated_calls_read_every_page(aws):
    stub = stubbed(aws, "ecs")
    stub.add_response("list_services", {"serviceArns": ["a"], "nextToken": "t1"},
                      {"cluster": CLUSTER})
    stub.add_response("list_services", {"serviceArns": ["b"]},
                      {"cluster": CLUSTER, "nextToken": "t1"})
    with stub:
        pages = aws.pages("ecs", "list_services", "services", cluster=CLUSTER)
    assert [p["serviceArns"] for p in pages] == [["a"], ["b"]]


def test_calls_without_a_paginator_follow_next_token(aws):
    stub = stubbed(aws, "ecs")
    provider = {"capacityProviderArn": "arn:aws:ecs:us-east-1:123456789012:capacity-provider/",
                "status": "ACTIVE"}
    stub.add_response("describe_capacity_providers", {
        "capacityProviders": [{**provider, "name": "a"}], "nextToken": "t1"},
        {"capacityProviders": ["a", "b"]})
    stub.add_response("describe_capacity_providers", {
        "capacityProviders": [{**provider, "name": "b"}]},
        {"capacityProviders": ["a", "b"], "nextToken": "t1"})
    with stub:
        pages = aws.token_pages("ecs", "describe_capacity_providers", "providers",
                                capacityProviders=["a", "b"])
    assert [p["capacityProviders"][0]["name"] for p in pages] == ["a", "b"]


def test_a_page_that_fails_makes_the_whole_list_not_verified(aws):
    stub = stubbed(aws, "ecs")
    stub.add_response("list_services", {"serviceArns": ["a"], "nextToken": "t1"},
                      {"cluster": CLUSTER})
    stub.add_client_error("list_services", "AccessDeniedException", "not authorized",
                          expected_params={"cluster": CLUSTER, "nextToken": "t1"})
    with stub:
        assert aws.pages("ecs", "list_services", "services of prod", cluster=CLUSTER) is None
    assert aws.not_verified == [NotVerified("ecs:ListServices", "services of prod",
                                            "AccessDeniedException: not authorized")]


def test_metric_maxima_span_pages(aws):
    svc = Service(address="arn:svc", where=Location("arn:svc"), name="api")
    live = Live(EcsModel(live=True), [LiveService(svc, "prod")], [], TargetGroups())
    stub = stubbed(aws, "cloudwatch")
    start, end = NOW - timedelta(hours=1), NOW
    at = [NOW - timedelta(minutes=m) for m in (10, 20, 30)]
    stub.add_response("get_metric_data", {"MetricDataResults": [
        {"Id": "cpu0", "Timestamps": at[:2], "Values": [40.0, 97.0],
         "StatusCode": "PartialData"},
        {"Id": "mem0", "Timestamps": [], "Values": [], "StatusCode": "PartialData"}],
        "NextToken": "t1"})
    stub.add_response("get_metric_data", {"MetricDataResults": [
        {"Id": "cpu0", "Timestamps": at[2:], "Values": [88.0], "StatusCode": "Complete"},
        {"Id": "mem0", "Timestamps": [], "Values": [], "StatusCode": "Complete"}]})
    with stub:
        found = metrics.collect(aws, live, start, end)
    assert (found["arn:svc"].max_cpu, found["arn:svc"].max_memory) == (97.0, None)
    assert (svc.max_cpu_utilization, svc.max_memory_utilization) == (97.0, None)


# ------------------------------------------------------------------ errors

@pytest.mark.parametrize("code", ["UnrecognizedClientException", "ExpiredTokenException"])
def test_rejected_credentials_stop_the_audit(aws, code):
    stub = stubbed(aws, "ecs")
    stub.add_client_error("list_clusters", code, "The security token is invalid.")
    with stub, pytest.raises(AuditError) as caught:
        aws.pages("ecs", "list_clusters", "clusters")
    assert str(caught.value) == f"AWS rejected the credentials in us-east-1 ({code}): The " \
                                "security token is invalid."


def test_other_errors_are_not_verified_with_their_code(aws):
    stub = stubbed(aws, "ecs")
    stub.add_client_error("describe_task_definition", "ClientException",
                          "Unable to describe task definition.")
    with stub:
        assert aws.call("ecs", "describe_task_definition", "task definition api:3",
                        taskDefinition="api:3") is None
    assert aws.not_verified == [NotVerified("ecs:DescribeTaskDefinition",
                                            "task definition api:3",
                                            "ClientException: Unable to describe task "
                                            "definition.")]


def test_urls_in_errors_lose_their_userinfo(monkeypatch):
    apply_env(monkeypatch, fake_aws_env("http://user:secret@127.0.0.1:9"))
    aws = open_session(None, None)
    with pytest.raises(AuditError) as caught:
        aws.account()
    assert "secret" not in str(caught.value)
    assert str(caught.value).startswith("cannot reach AWS at http://***@127.0.0.1:9")
