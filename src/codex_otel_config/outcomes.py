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
        }
