"""TLS material for exporters, loaded (and so validated) when the exporter is built.

Loading eagerly means an unreadable or malformed certificate is an
:class:`~codex_otel_config.errors.ExporterBuildError` at start-up, naming the settings key,
instead of a log line on every export. A custom CA *replaces* the system roots: it is the
only trust anchor, as for ``curl --cacert`` and the OTLP specification's ``certificate``.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from codex_otel_config.errors import ExporterBuildError
from codex_otel_config.settings.model import Tls
from codex_otel_config.settings.schema import TLS_KEY_OF

if TYPE_CHECKING:
    import grpc

__all__ = ["MaterialError", "PemMaterial", "grpc_credentials", "read_pem", "ssl_context"]

_FIELDS = TLS_KEY_OF


class MaterialError(ExporterBuildError):
    """TLS material that could not be used; ``key`` is the dotted settings key."""

    def __init__(self, key: str, message: str) -> None:
        self.key = key
        self.detail = message
        super().__init__(f"{key}: {message}")


def _key(prefix: str, field: str) -> str:
    name = _FIELDS[field]
    return f"{prefix}.tls.{name}" if prefix else f"tls.{name}"


def read_pem(path: Path, key: str) -> bytes:
    """The bytes of a PEM file, or a :class:`MaterialError` saying why it cannot be read."""
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise MaterialError(key, f"file {str(path)!r} does not exist") from None
    except IsADirectoryError:
        raise MaterialError(key, f"{str(path)!r} is a directory, expected a PEM file") from None
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise MaterialError(key, f"cannot read {str(path)!r}: {reason}") from None
    if b"-----BEGIN " not in data:
        raise MaterialError(key, f"{str(path)!r} is not a PEM file (no '-----BEGIN' line)")
    return data


@dataclass(frozen=True)
class PemMaterial:
    """The PEM bytes named by a :class:`Tls` block (``None`` where not configured)."""

    ca: bytes | None
    certificate: bytes | None
    private_key: bytes | None

    @classmethod
    def load(cls, tls: Tls | None, prefix: str = "") -> PemMaterial:
        if tls is None:
            return cls(None, None, None)
        if (tls.client_certificate is None) != (tls.client_private_key is None):
            missing = (
                "client_private_key" if tls.client_private_key is None else "client_certificate"
            )
            raise MaterialError(
                _key(prefix, missing),
                "mutual TLS needs both client-certificate and client-private-key",
            )

        def load_one(field: str) -> bytes | None:
            path: Path | None = getattr(tls, field)
            return None if path is None else read_pem(path, _key(prefix, field))

        return cls(
            load_one("ca_certificate"),
            load_one("client_certificate"),
            load_one("client_private_key"),
        )


def ssl_context(tls: Tls | None, prefix: str = "") -> ssl.SSLContext:
    """A client context for OTLP/HTTP over TLS: the custom CA alone, or the system roots;
    the client certificate and key loaded now so a mismatch fails at build time."""
    material = PemMaterial.load(tls, prefix)
    try:
        if material.ca is not None:
            context = ssl.create_default_context(cadata=material.ca.decode("ascii", "replace"))
        else:
            context = ssl.create_default_context()
    except (ssl.SSLError, ValueError) as exc:
        raise MaterialError(
            _key(prefix, "ca_certificate"), _ssl_reason(exc, "not a valid CA")
        ) from None
    if (
        tls is not None
        and tls.client_certificate is not None
        and tls.client_private_key is not None
    ):
        asked: list[bool] = []

        def no_passphrase() -> bytes:
            # Without a callback OpenSSL prompts on the terminal and blocks the caller.
            asked.append(True)
            return b""

        try:
            context.load_cert_chain(
                tls.client_certificate, tls.client_private_key, password=no_passphrase
            )
        except (ssl.SSLError, OSError) as exc:
            if asked:
                raise MaterialError(
                    _key(prefix, "client_private_key"),
                    "the private key is encrypted; passphrases are not supported "
                    "(store the key unencrypted, readable only by the application)",
                ) from None
            raise MaterialError(
                _key(prefix, "client_certificate"),
                _ssl_reason(exc, "certificate and private key cannot be used together"),
            ) from None
    return context


def _ssl_reason(exc: BaseException, fallback: str) -> str:
    reason = getattr(exc, "reason", None)
    if isinstance(reason, str) and reason:
        return f"{fallback} ({reason.lower().replace('_', ' ')})"
    return fallback


def grpc_credentials(tls: Tls | None, prefix: str = "") -> grpc.ChannelCredentials:
    """``grpc.ssl_channel_credentials`` from PEM bytes (grpc takes bytes, not paths).

    gRPC validates the PEM lazily (at the first handshake); the same material is therefore
    also loaded into an ``ssl`` context here, so a broken file fails now, as for HTTP.
    """
    import grpc

    material = PemMaterial.load(tls, prefix)
    ssl_context(tls, prefix)  # validation only; grpc keeps its own copy of the bytes
    return grpc.ssl_channel_credentials(
        root_certificates=material.ca,
        private_key=material.private_key,
        certificate_chain=material.certificate,
    )
