"""How the receiver answers: normally, or like a collector that is broken in a given way.

A :class:`Behavior` is a frozen value; :meth:`Receiver.set_behavior` swaps it atomically, so
a test can make the collector flap mid-run. One decision function (:func:`decide`) serves both
protocols; gRPC gets the HTTP status translated to the gRPC code an OTLP client would see.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from http import HTTPStatus

from .records import Signal

# What a gRPC client sees where an HTTP client would see the status.
GRPC_CODE_FOR_STATUS: dict[int, str] = {
    200: "OK",
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "UNIMPLEMENTED",
    408: "DEADLINE_EXCEEDED",
    413: "RESOURCE_EXHAUSTED",
    415: "INVALID_ARGUMENT",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    501: "UNIMPLEMENTED",
    502: "UNAVAILABLE",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}


def grpc_code_for(status: int) -> str:
    """The gRPC status code name standing for an HTTP status."""
    return GRPC_CODE_FOR_STATUS.get(status, "INTERNAL" if status >= 500 else "UNKNOWN")


@dataclass(frozen=True)
class Behavior:
    """A collector's answer to every export (or only to ``signals``).

    ``status``: the HTTP status to answer (gRPC: mapped by :func:`grpc_code_for`, or
    ``grpc_status`` when given). ``response_headers``: sent with the answer (gRPC: as trailing
    metadata). ``body``: the error body (gRPC: the status details). ``delay``: seconds to wait
    before answering. ``blackhole``: read the request and never answer, until the receiver
    stops. ``require_header``: ``(name, value)`` that must be present, else 401.
    ``rejected``: answer 200 with an OTLP ``partial_success`` rejecting that many items
    (``ALL``: every item of the request; 0: a warning only) and ``partial_message``.
    ``status_message``: the error body is a ``google.rpc.Status`` with this message, in the
    request's encoding (protobuf or JSON), as the OTLP spec says. ``strict_json``: decode
    OTLP JSON like the strictest collectors: a request without its top-level
    ``resourceSpans`` / ``resourceLogs`` / ``resourceMetrics`` field is a 400.
    """

    status: int = 200
    response_headers: Mapping[str, str] = field(default_factory=dict)
    body: str | bytes | None = None
    delay: float = 0.0
    blackhole: bool = False
    require_header: tuple[str, str] | None = None
    signals: frozenset[Signal] | None = None
    grpc_status: str | None = None
    rejected: int | None = None
    partial_message: str = ""
    status_message: str | None = None
    strict_json: bool = False

    #: ``rejected=ALL``: reject every item of each request.
    ALL = -1

    @classmethod
    def redirect(cls, location: str, status: int = 308) -> Behavior:
        """A load balancer sending the client elsewhere (``Location: location``)."""
        return cls(status=status, response_headers={"location": location})

    @classmethod
    def partial(cls, rejected: int = -1, message: str = "rejected by policy") -> Behavior:
        """200 with a ``partial_success`` rejecting ``rejected`` items (default: all)."""
        return cls(rejected=rejected, partial_message=message)

    @classmethod
    def unauthorized(
        cls,
        *,
        request_id: str | None = "req-401-test",
        cf_ray: str | None = "8f00000000000000-SJC",
        authorization_error: str | None = None,
        error_code: str | None = None,
        body: str | bytes | None = None,
    ) -> Behavior:
        """A 401 carrying the debug headers Codex reads (``x-error-json`` is base64 JSON)."""
        headers: dict[str, str] = {}
        if request_id is not None:
            headers["x-request-id"] = request_id
        if cf_ray is not None:
            headers["cf-ray"] = cf_ray
        if authorization_error is not None:
            headers["x-openai-authorization-error"] = authorization_error
        if error_code is not None:
            payload = json.dumps({"error": {"code": error_code}}).encode()
            headers["x-error-json"] = base64.b64encode(payload).decode()
        return cls(status=401, response_headers=headers, body=body)

    @classmethod
    def rate_limited(cls, retry_after: int = 1) -> Behavior:
        """A 429 with ``Retry-After`` in seconds."""
        return cls(status=429, response_headers={"retry-after": str(retry_after)})

    def applies_to(self, signal: Signal | None) -> bool:
        return self.signals is None or signal in self.signals


NORMAL = Behavior()


@dataclass(frozen=True)
class Answer:
    """What to do with one request. ``status is None`` means never answer."""

    status: int | None
    headers: Mapping[str, str]
    body: bytes
    delay: float
    grpc_code: str = "OK"
    rejected: int | None = None
    partial_message: str = ""
    status_message: str | None = None


def decide(behavior: Behavior, signal: Signal | None, headers: Mapping[str, str]) -> Answer:
    """The answer ``behavior`` gives to a request with these (lower-cased) headers."""
    if not behavior.applies_to(signal):
        return Answer(200, {}, b"", 0.0)
    if behavior.status == 200 and behavior.rejected is not None:
        return Answer(
            200,
            dict(behavior.response_headers),
            b"",
            behavior.delay,
            rejected=behavior.rejected,
            partial_message=behavior.partial_message,
        )
    if behavior.blackhole:
        return Answer(None, {}, b"", behavior.delay)
    status, grpc_code = behavior.status, behavior.grpc_status
    if behavior.require_header is not None:
        name, value = behavior.require_header
        if headers.get(name.lower()) != value:
            status, grpc_code = 401, None
    body = behavior.body
    if body is None:
        body = "" if status == 200 else f"{status} {_reason(status)}"
    raw = body.encode() if isinstance(body, str) else body
    grpc_code = grpc_code or grpc_code_for(status)
    return Answer(
        status,
        dict(behavior.response_headers),
        raw,
        behavior.delay,
        grpc_code,
        status_message=behavior.status_message,
    )


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "error"
