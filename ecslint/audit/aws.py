"""AWS access for the audit: session, clients, pagination, and calls that may be denied."""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Sequence, TypeVar

import boto3
import botocore.session
from botocore import exceptions as bx
from botocore.config import Config

from ecslint import __version__
from ecslint.audit import AuditError
from ecslint.audit.pool import Pool

# boto3 client name -> IAM action prefix (the signing names differ for CloudWatch).
IAM_PREFIX = {
    "ecs": "ecs", "elbv2": "elasticloadbalancing",
    "application-autoscaling": "application-autoscaling", "autoscaling": "autoscaling",
    "cloudwatch": "cloudwatch", "sts": "sts", "ec2": "ec2",
}
# The clients of one region's audit (ec2 only lists the regions for --all-regions).
AUDIT_CLIENTS = ("sts", "ecs", "elbv2", "application-autoscaling", "autoscaling", "cloudwatch")
# Throttling is retried with backoff; a large account can throttle DescribeServices for a while.
DEFAULT_MAX_ATTEMPTS = 10
# An endpoint that does not answer is another matter: a call whose attempts time out (or
# cannot connect) is given up after TIMEOUT_ATTEMPTS, so with the default timeouts a dead
# endpoint ends the audit in under a minute (3 x 15 s plus backoff), not after 10 x 60 s.
CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 15.0
TIMEOUT_ATTEMPTS = 3
DEADLINE = 600.0  # the whole audit, every region
_NO_ANSWER = (bx.ConnectionError, bx.HTTPClientError)  # timeouts, refused, closed

_DENIED = frozenset({"AccessDenied", "AccessDeniedException", "UnauthorizedOperation",
                     "UnauthorizedException", "AuthorizationError", "Forbidden"})
# These say the credentials themselves are bad: every further call would fail the same way.
_BAD_CREDENTIALS = frozenset({
    "InvalidClientTokenId", "UnrecognizedClientException", "SignatureDoesNotMatch",
    "InvalidSignatureException", "ExpiredToken", "ExpiredTokenException", "RequestExpired",
    "AuthFailure", "InvalidAccessKeyId", "MissingAuthenticationToken", "IncompleteSignature"})
_USERINFO = re.compile(r"://[^/@\s]+@")

T = TypeVar("T")
R = TypeVar("R")


def one_line(text: str) -> str:
    """Error text for a one-line message, with any user:password@ in URLs masked."""
    return _USERINFO.sub("://***@", " ".join(str(text).split()))


def chunks(items: Sequence[T], size: int) -> Iterable[list[T]]:
    for i in range(0, len(items), size):
        yield list(items[i:i + size])


@dataclass(frozen=True)
class NotVerified:
    """A call that failed: what it would have shown is unknown, never passing."""

    action: str  # IAM action, e.g. "ecs:DescribeCapacityProviders"
    what: str  # what the report lacks, e.g. "capacity providers of cluster prod (ECS301)"
    error: str  # "AccessDeniedException: User ... is not authorized ..."

    def as_dict(self) -> dict[str, str]:
        return {"action": self.action, "what": self.what, "error": self.error}


def _valid_region(core: botocore.session.Session, region: str) -> bool:
    """Known to this botocore, or shaped like a region of a known partition (new regions)."""
    for partition in core.get_data("endpoints")["partitions"]:
        if region in partition.get("regions", {}):
            return True
        pattern = partition.get("regionRegex")
        if pattern and re.fullmatch(pattern, region):
            return True
    return False


@dataclass(frozen=True)
class Timeouts:
    """How long the audit waits: per connection, per answer, and in all (`--deadline`,
    from the start of the audit; `at` is that moment on the monotonic clock)."""

    connect: float = CONNECT_TIMEOUT
    read: float = READ_TIMEOUT
    deadline: float = DEADLINE
    at: float = 0.0

    def started(self) -> Timeouts:
        return Timeouts(self.connect, self.read, self.deadline, time.monotonic())


def open_session(profile: str | None, region: str | None,
                 core: botocore.session.Session | None = None,
                 timeouts: Timeouts | None = None) -> Aws:
    """Clients from the standard credential chain; AuditError when they cannot work.

    `core` is a botocore session to use instead of a new one (tests register event hooks
    on it); `profile` still applies to it.
    """
    core = core or botocore.session.Session()
    try:
        if profile:
            core.set_config_variable("profile", profile)
        session = boto3.Session(botocore_session=core, region_name=region)
        region = session.region_name
        if not region:
            raise AuditError("no AWS region: pass --region, or set AWS_REGION / "
                             "AWS_DEFAULT_REGION or a region in the profile")
        if not _valid_region(core, region):
            raise AuditError(f"unknown AWS region '{region}'")
        if session.get_credentials() is None:
            raise AuditError("no AWS credentials found (environment, shared credentials file, "
                             "profile, SSO or instance role); pass --profile or configure them")
    except bx.ProfileNotFound:
        raise AuditError(f"AWS profile '{profile}' not found") from None
    except bx.BotoCoreError as exc:
        raise AuditError(f"cannot load AWS credentials: {one_line(exc)}") from None
    return Aws(session, core, timeouts or Timeouts().started())


def _error(exc: bx.ClientError) -> tuple[str, str]:
    """Error code and message; an XML error body in a JSON protocol (some proxies and
    emulators send one) is unpacked rather than shown raw."""
    error = exc.response.get("Error", {})
    code, message = str(error.get("Code", "Error")), str(error.get("Message", ""))
    body = message if "<Code>" in message else ""
    if body:
        inner = re.search(r"<Code>(.*?)</Code>", body, re.S)
        text = re.search(r"<Message>(.*?)</Message>", body, re.S)
        code = inner.group(1) if inner else code
        message = text.group(1) if text else ""
    return code, message


class Aws:
    """Clients for one account and region. Failed calls are recorded in `not_verified`."""

    def __init__(self, session: boto3.Session, core: botocore.session.Session,
                 timeouts: Timeouts | None = None) -> None:
        self.session = session
        self.timeouts = timeouts or Timeouts().started()
        self.region: str = session.region_name or ""
        self._clients: dict[str, Any] = {}
        # Creating clients from one botocore session is not thread-safe; using them is.
        self._lock = threading.Lock()
        self.not_verified: list[NotVerified] = []
        self.pool = Pool(1)  # the command puts in a wider one
        # AWS_MAX_ATTEMPTS or the profile's max_attempts, when set, still wins. Both count
        # the first attempt, as `total_max_attempts` does (`max_attempts` here would not).
        attempts = core.get_config_variable("max_attempts")
        self._config = Config(
            retries={"mode": "standard",
                     "total_max_attempts": int(attempts or DEFAULT_MAX_ATTEMPTS)},
            connect_timeout=self.timeouts.connect, read_timeout=self.timeouts.read,
            user_agent_extra=f"ecslint/{__version__}")

    def use(self, name: str, client: Any) -> None:
        """Put in a client of one's own (tests: a client with a Stubber attached)."""
        self._clients[name] = client

    def client(self, name: str) -> Any:
        with self._lock:
            if name not in self._clients:
                # botocore reads AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_<SERVICE> itself.
                client = self._clients[name] = self.session.client(name, config=self._config)
                client.meta.events.register("needs-retry", self._retry_guard)
            return self._clients[name]

    def _retry_guard(self, attempts: int, caught_exception: Exception | None = None,
                     **_: Any) -> None:
        """Before botocore retries an attempt: no retry past the deadline, and none after
        TIMEOUT_ATTEMPTS attempts that got no answer (throttling keeps its 10)."""
        if isinstance(caught_exception, _NO_ANSWER) and attempts >= TIMEOUT_ATTEMPTS:
            raise caught_exception
        self.check_deadline()

    def check_deadline(self) -> None:
        t = self.timeouts
        if t.at and time.monotonic() - t.at > t.deadline:
            raise AuditError(f"the audit did not finish within {t.deadline:g} s (--deadline): "
                             f"AWS at {self.endpoint()} answers too slowly; what was read is "
                             "not reported, as it is incomplete")

    def prepare(self, names: Iterable[str] = AUDIT_CLIENTS) -> None:
        """The clients the audit uses, created now, before calls run on several threads."""
        for name in names:
            self.client(name)

    def map(self, fn: Callable[[T], R], items: Iterable[T]) -> list[R]:
        """fn over items on this account's pool, results in input order."""
        return self.pool.map(fn, items)

    def verification_failures(self) -> list[NotVerified]:
        """The failed calls in a fixed order, whatever order concurrent calls failed in."""
        return sorted(self.not_verified, key=lambda e: (e.action, e.what, e.error))

    def partition(self) -> str:
        return self.session.get_partition_for_region(self.region)

    def endpoint(self, name: str = "ecs") -> str:
        return one_line(self.client(name).meta.endpoint_url)

    def action(self, service: str, method: str) -> str:
        client = self.client(service)
        return f"{IAM_PREFIX[service]}:{client.meta.method_to_api_mapping[method]}"

    # ------------------------------------------------------------------ calls

    def call(self, service: str, method: str, what: str, **params: Any) -> dict | None:
        """One call; None (and a not-verified entry) when AWS refuses or fails it."""
        self.check_deadline()
        try:
            return getattr(self.client(service), method)(**params)
        except Exception as exc:  # noqa: BLE001 - _failed re-raises what it does not handle
            self._failed(service, method, what, exc)
            return None

    def pages(self, service: str, method: str, what: str, **params: Any) -> list[dict] | None:
        """Every page of a paginated call, or None when any page fails (partial data would
        look complete)."""
        self.check_deadline()
        try:
            paginator = self.client(service).get_paginator(method)
            return list(paginator.paginate(**params))
        except Exception as exc:  # noqa: BLE001
            self._failed(service, method, what, exc)
            return None

    def token_pages(self, service: str, method: str, what: str, **params: Any
                    ) -> list[dict] | None:
        """Pages of a call botocore has no paginator for, following `nextToken`."""
        out = []
        while True:
            page = self.call(service, method, what, **params)
            if page is None:
                return None
            out.append(page)
            token = page.get("nextToken")
            if not token:
                return out
            params = {**params, "nextToken": token}

    def _failed(self, service: str, method: str, what: str, exc: Exception) -> None:
        if isinstance(exc, bx.ClientError):
            code, message = _error(exc)
            if code in _BAD_CREDENTIALS:
                # An opt-in region that is not enabled answers the same way.
                raise AuditError(f"AWS rejected the credentials in {self.region} ({code}): "
                                 f"{one_line(message)}") from None
            text = f"{code}: {one_line(message)}" if message else code
            self.not_verified.append(NotVerified(self.action(service, method), what, text))
            return
        if isinstance(exc, (bx.ConnectionError, bx.HTTPClientError)):
            raise AuditError(f"cannot reach AWS at {self.endpoint(service)}: "
                             f"{one_line(exc)}") from None
        if isinstance(exc, (bx.NoCredentialsError, bx.PartialCredentialsError)):
            raise AuditError("no AWS credentials found; pass --profile or configure the "
                             "credential chain") from None
        if isinstance(exc, bx.BotoCoreError) and not isinstance(exc, bx.ParamValidationError):
            raise AuditError(f"AWS call {self.action(service, method)} failed: "
                             f"{one_line(exc)}") from None
        raise exc

    def account(self) -> str | None:
        """The account id; also the first call, which proves credentials and endpoint."""
        found = self.call("sts", "get_caller_identity", "the account id in the header")
        return found.get("Account") if found else None
