"""Certificates made on the spot, for tests and ``--demo``: a CA, server and client certs.

Built on ``cryptography`` (a runtime dependency, so ``--demo`` works without dev extras) rather
than trustme, because tests also need certificates that are expired or not yet valid.
EC P-256 keys keep generation in the milliseconds.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from .tls import ServerTls

DEFAULT_SERVER_NAMES = ("127.0.0.1", "localhost")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _validity(
    not_before: dt.datetime | None, not_after: dt.datetime | None
) -> tuple[dt.datetime, dt.datetime]:
    """Default: valid from a day ago (clock skew) for 30 days."""
    start = not_before or _now() - dt.timedelta(days=1)
    return start, not_after or max(start, _now()) + dt.timedelta(days=30)


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


@dataclass(frozen=True)
class IssuedCertificate:
    """A certificate and its private key."""

    certificate: x509.Certificate
    private_key: ec.EllipticCurvePrivateKey

    @property
    def cert_pem(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.PEM)

    @property
    def key_pem(self) -> bytes:
        return self.private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    def write(self, directory: Path | str, stem: str) -> tuple[Path, Path]:
        """Write ``<stem>.pem`` and ``<stem>.key`` (mode 0600) into ``directory``."""
        folder = Path(directory)
        folder.mkdir(parents=True, exist_ok=True)
        cert_path, key_path = folder / f"{stem}.pem", folder / f"{stem}.key"
        cert_path.write_bytes(self.cert_pem)
        key_path.touch(mode=0o600)
        key_path.write_bytes(self.key_pem)
        return cert_path, key_path


class CertificateAuthority:
    """A self-signed CA that issues server and client certificates."""

    def __init__(
        self,
        common_name: str = "codex-otel-config test CA",
        *,
        not_before: dt.datetime | None = None,
        not_after: dt.datetime | None = None,
    ) -> None:
        key = _key()
        start, end = _validity(not_before, not_after or _now() + dt.timedelta(days=365))
        public = key.public_key()
        certificate = (
            x509.CertificateBuilder()
            .subject_name(_name(common_name))
            .issuer_name(_name(common_name))
            .public_key(public)
            .serial_number(x509.random_serial_number())
            .not_valid_before(start)
            .not_valid_after(end)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    key_cert_sign=True,
                    crl_sign=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
            .sign(key, hashes.SHA256())
        )
        self.authority = IssuedCertificate(certificate, key)

    @property
    def cert_pem(self) -> bytes:
        return self.authority.cert_pem

    def write(self, path: Path | str) -> Path:
        """Write the CA certificate (what a client trusts) to ``path``."""
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(self.cert_pem)
        return target

    def issue_server_certificate(
        self,
        *names: str,
        not_before: dt.datetime | None = None,
        not_after: dt.datetime | None = None,
    ) -> IssuedCertificate:
        """A server certificate for ``names`` (IP addresses or DNS names; default
        127.0.0.1 and localhost)."""
        names = names or DEFAULT_SERVER_NAMES
        alternatives: list[x509.GeneralName] = []
        for name in names:
            try:
                alternatives.append(x509.IPAddress(ipaddress.ip_address(name)))
            except ValueError:
                alternatives.append(x509.DNSName(name))
        return self._issue(
            names[0], ExtendedKeyUsageOID.SERVER_AUTH, alternatives, not_before, not_after
        )

    def issue_client_certificate(
        self,
        common_name: str = "codex-otel-config test client",
        *,
        not_before: dt.datetime | None = None,
        not_after: dt.datetime | None = None,
    ) -> IssuedCertificate:
        """A client certificate (for mutual TLS)."""
        return self._issue(common_name, ExtendedKeyUsageOID.CLIENT_AUTH, [], not_before, not_after)

    def _issue(
        self,
        common_name: str,
        usage: x509.ObjectIdentifier,
        alternatives: list[x509.GeneralName],
        not_before: dt.datetime | None,
        not_after: dt.datetime | None,
    ) -> IssuedCertificate:
        key = _key()
        start, end = _validity(not_before, not_after)
        issuer = self.authority
        builder = (
            x509.CertificateBuilder()
            .subject_name(_name(common_name))
            .issuer_name(issuer.certificate.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start)
            .not_valid_after(end)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False
            )
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.private_key.public_key()),
                critical=False,
            )
        )
        if alternatives:
            builder = builder.add_extension(
                x509.SubjectAlternativeName(alternatives), critical=False
            )
        return IssuedCertificate(builder.sign(issuer.private_key, hashes.SHA256()), key)


@dataclass(frozen=True)
class TlsBundle:
    """Paths of a ready-made TLS set-up on loopback.

    ``client_*`` is signed by ``ca_cert``; ``other_ca_cert`` is an unrelated CA (a client
    trusting it must reject the server) and ``other_client_*`` is signed by it (the server
    must reject that client).
    """

    directory: Path
    ca_cert: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path
    other_ca_cert: Path
    other_client_cert: Path
    other_client_key: Path

    def server_tls(self, *, mutual: bool = False) -> ServerTls:
        """The receiver's TLS settings; ``mutual=True`` requires a client certificate."""
        return ServerTls(self.server_cert, self.server_key, self.ca_cert if mutual else None)


def make_tls_bundle(directory: Path | str) -> TlsBundle:
    """Generate a CA, a server cert for 127.0.0.1/localhost, a client cert and an unrelated
    CA with its own client cert, as PEM files in ``directory``."""
    folder = Path(directory)
    ca = CertificateAuthority()
    other = CertificateAuthority("codex-otel-config unrelated CA")
    server_cert, server_key = ca.issue_server_certificate().write(folder, "server")
    client_cert, client_key = ca.issue_client_certificate().write(folder, "client")
    other_cert, other_key = other.issue_client_certificate().write(folder, "other-client")
    return TlsBundle(
        directory=folder,
        ca_cert=ca.write(folder / "ca.pem"),
        server_cert=server_cert,
        server_key=server_key,
        client_cert=client_cert,
        client_key=client_key,
        other_ca_cert=other.write(folder / "other-ca.pem"),
        other_client_cert=other_cert,
        other_client_key=other_key,
    )
