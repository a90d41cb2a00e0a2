"""Certificate inspection with ``cryptography``: validity windows, key pairs, issuers, host names.

Used by the offline phase (the configured CA, client certificate and key) and by the ``tls``
stage (the server certificate, fetched even when verification fails, so ``check`` can say
*why* it failed). No network here.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from cryptography.x509.oid import ExtensionOID, NameOID

from codex_otel_config.check.model import Status
from codex_otel_config.outcomes import Code

#: A certificate that expires sooner than this is a warning.
EXPIRY_WARNING = timedelta(days=14)


class CertificateFileError(ValueError):
    """A PEM file that does not hold what it should (the message never quotes the file)."""


def load_certificates(path: Path) -> list[x509.Certificate]:
    """Every certificate in a PEM (or single DER) file, leaf first."""
    data = path.read_bytes()
    try:
        if b"-----BEGIN" in data:
            certs = x509.load_pem_x509_certificates(data)
        else:
            certs = [x509.load_der_x509_certificate(data)]
    except ValueError as exc:
        raise CertificateFileError("is not a PEM certificate file") from exc
    if not certs:
        raise CertificateFileError("holds no certificate")
    return certs


def load_private_key(path: Path) -> PrivateKeyTypes:
    """The private key in a PEM file; encrypted keys are reported, not prompted for."""
    data = path.read_bytes()
    try:
        return serialization.load_pem_private_key(data, password=None)
    except TypeError as exc:
        raise CertificateFileError(
            "is an encrypted private key; the exporters need an unencrypted one"
        ) from exc
    except ValueError as exc:
        raise CertificateFileError("is not a PEM private key") from exc


def name_of(name: x509.Name) -> str:
    """``CN=collector,O=Example`` (RFC 4514)."""
    return name.rfc4514_string()


def common_name(name: x509.Name) -> str | None:
    values = name.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(values[0].value) if values else None


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Validity:
    """Where ``now`` falls in a certificate's validity window."""

    code: Code
    status: Status
    message: str


def validity(cert: x509.Certificate, now: datetime, what: str) -> Validity:
    """Expired, not yet valid, expiring within 14 days, or fine."""
    not_before = cert.not_valid_before_utc
    not_after = cert.not_valid_after_utc
    subject = name_of(cert.subject) or "(empty subject)"
    if now > not_after:
        return Validity(
            Code.CERTIFICATE_EXPIRED,
            "fail",
            f"{what} {subject} expired on {iso(not_after)} ({_ago(now - not_after)} ago)",
        )
    if now < not_before:
        return Validity(
            Code.CERTIFICATE_NOT_YET_VALID,
            "fail",
            f"{what} {subject} is not valid before {iso(not_before)}",
        )
    left = not_after - now
    if left < EXPIRY_WARNING:
        return Validity(
            Code.CERTIFICATE_EXPIRING,
            "warn",
            f"{what} {subject} expires on {iso(not_after)} (in {_ago(left)})",
        )
    return Validity(
        Code.OK, "ok", f"{what} {subject} valid until {iso(not_after)} ({left.days} days left)"
    )


def _ago(span: timedelta) -> str:
    """``3 days``, ``1 day``, ``5 h``."""
    if span.days >= 1:
        return f"{span.days} day{'s' if span.days != 1 else ''}"
    return f"{int(span.total_seconds() // 3600)} h"


def _public_der(key: object) -> bytes:
    public = key.public_key()  # type: ignore[attr-defined]
    der: bytes = public.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return der


def key_matches(cert: x509.Certificate, key: PrivateKeyTypes) -> bool:
    """Whether ``key`` is the private half of ``cert``'s public key."""
    cert_der = cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return cert_der == _public_der(key)


def _issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    try:
        cert.verify_directly_issued_by(issuer)
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True


def chains_to(
    leaf: x509.Certificate,
    intermediates: Sequence[x509.Certificate],
    roots: Sequence[x509.Certificate],
) -> bool:
    """Whether ``leaf`` chains (through ``intermediates``) to one of ``roots`` by signature."""
    current = leaf
    for _ in range(8):
        if any(_issued_by(current, root) for root in roots):
            return True
        parent = next(
            (c for c in intermediates if c is not current and _issued_by(current, c)), None
        )
        if parent is None:
            return False
        current = parent
    return False


def dns_names(cert: x509.Certificate) -> list[str]:
    """The names a certificate is valid for: SAN DNS names and IPs, else its CN."""
    try:
        san = cert.extensions.get_extension_for_oid(ExtensionOID.SUBJECT_ALTERNATIVE_NAME).value
    except x509.ExtensionNotFound:
        cn = common_name(cert.subject)
        return [cn] if cn else []
    assert isinstance(san, x509.SubjectAlternativeName)
    names: list[str] = list(san.get_values_for_type(x509.DNSName))
    names += [str(ip) for ip in san.get_values_for_type(x509.IPAddress)]
    return names


def _dns_match(pattern: str, host: str) -> bool:
    pattern, host = pattern.lower().rstrip("."), host.lower().rstrip(".")
    if pattern.startswith("*."):
        head, _, rest = host.partition(".")
        return bool(head) and rest == pattern[2:]
    return pattern == host


def hostname_matches(cert: x509.Certificate, host: str) -> bool:
    """RFC 6125 matching as clients do it: SAN first (one-label wildcards), IPs exactly."""
    try:
        ip = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        ip = None
    for name in dns_names(cert):
        if ip is not None:
            try:
                if ipaddress.ip_address(name) == ip:
                    return True
            except ValueError:
                continue
        elif _dns_match(name, host):
            return True
    return False


def now_utc() -> datetime:
    return datetime.now(UTC)
