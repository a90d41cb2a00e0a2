"""Stable outcome codes shared by bootstrap reports, ``check`` and the TUI (DESIGN §4.2).

Pure values: no I/O, and no imports from the rest of the package but the redaction boundary
(layer 0 too), so every layer can use them.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from enum import StrEnum

from codex_otel_config.redaction import redact


class Code(StrEnum):
    """Every outcome ``check`` or an export report can name. The values are public."""

    OK = "ok"
    INVALID_SETTING = "invalid_setting"
    FILE_MISSING = "file_missing"
    CERTIFICATE_EXPIRED = "certificate_expired"
    CERTIFICATE_NOT_YET_VALID = "certificate_not_yet_valid"
    CERTIFICATE_EXPIRING = "certificate_expiring"
    KEY_MISMATCH = "key_mismatch"
    DNS_FAILED = "dns_failed"
    CONNECTION_REFUSED = "connection_refused"
    TIMEOUT = "timeout"
    TLS_UNTRUSTED = "tls_untrusted"
    TLS_HOSTNAME_MISMATCH = "tls_hostname_mismatch"
    TLS_HANDSHAKE_FAILED = "tls_handshake_failed"
    AUTH_REJECTED = "auth_rejected"
    FORBIDDEN = "forbidden"
    NOT_FOUND = "not_found"
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
    RATE_LIMITED = "rate_limited"
    SERVER_ERROR = "server_error"
    GRPC_UNAUTHENTICATED = "grpc_unauthenticated"
    GRPC_UNAVAILABLE = "grpc_unavailable"
    GRPC_UNIMPLEMENTED = "grpc_unimplemented"
    UNEXPECTED_RESPONSE = "unexpected_response"
    #: A 3xx answer: not followed (see docs/check.md), nothing was delivered.
    REDIRECTED = "redirected"
    #: HTTP 200 whose OTLP ``partial_success`` rejected some items.
    PARTIAL_SUCCESS = "partial_success"
    #: Items lost before reaching the exporter (queue full, or stranded at shutdown).
    DROPPED = "dropped"
    #: An HTTP/1.1 request answered by an HTTP/2-only (gRPC) server.
    GRPC_PORT = "grpc_port"
    #: An HTTP server that is not an OTLP receiver (an HTML page, say).
    NOT_OTLP = "not_otlp"
    #: Warnings of ``check``'s offline stages (status ``warn``), apart from the failures.
    SETTING_WARNING = "setting_warning"
    UNKNOWN_ENVIRONMENT = "unknown_environment"
    SDK_DISABLED = "sdk_disabled"
    NOTHING_EXPORTED = "nothing_exported"
    ENDPOINT_WARNING = "endpoint_warning"


#: Outcomes of an export answer that mean the collector took the data (all, or some:
#: ``partial_success`` delivers what it did not reject). The one rule every report uses.
DELIVERED = frozenset({Code.OK, Code.PARTIAL_SUCCESS})


@dataclass(frozen=True)
class ExportFailure:
    """A classified export error: what went wrong, safe to print (never a secret or a body)."""

    code: Code
    message: str
    http_status: int | None = None
    grpc_status: str | None = None
    request_id: str | None = None
    cf_ray: str | None = None
    retry_after: str | None = None
    #: Items the collector said it rejected (an OTLP ``partial_success``).
    rejected: int | None = None

    @property
    def delivered(self) -> bool:
        """Whether the collector accepted the export (see :data:`DELIVERED`)."""
        return self.code in DELIVERED

    def __post_init__(self) -> None:
        # Safe by construction: the message and the server's ids cross the redaction boundary.
        for item in fields(self):
            value = getattr(self, item.name)
            if isinstance(value, str) and item.name != "code":
                object.__setattr__(self, item.name, redact(value))

    def to_dict(self) -> dict[str, object]:
        return {
            "code": self.code.value,
            "message": self.message,
            "http_status": self.http_status,
            "grpc_status": self.grpc_status,
            "request_id": self.request_id,
            "cf_ray": self.cf_ray,
            "retry_after": self.retry_after,
            "rejected": self.rejected,
        }
