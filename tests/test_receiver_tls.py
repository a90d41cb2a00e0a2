"""The receiver over TLS and mutual TLS, on both protocols, with certificates made at test time."""

from __future__ import annotations

import datetime as dt
import ssl
import stat
import urllib.request
from typing import Any

import pytest
from cryptography import x509

from codex_otel_config.receiver import Receiver, ServerTls
from codex_otel_config.receiver.certs import CertificateAuthority, TlsBundle
from fixtures.receivers import CLIENTS, Client, export

pytestmark = pytest.mark.timeout(60)


@pytest.fixture(autouse=True)
def _no_ca_bundle_override(monkeypatch: pytest.MonkeyPatch) -> None:
    """requests lets REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE override a session's ``verify``, so
    the SDK's ``certificate_file`` is ignored where they are set; these tests are about the
    receiver, not that quirk."""
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)


@pytest.mark.parametrize("client", CLIENTS)
def test_tls_with_the_ca(receiver_factory: Any, tls_bundle: TlsBundle, client: Client) -> None:
    receiver = receiver_factory(tls=tls_bundle.server_tls())
    assert receiver.http_url.startswith("https://127.0.0.1:")
    assert receiver.grpc_url.startswith("https://127.0.0.1:")
    assert export("traces", client, receiver, ca=tls_bundle.ca_cert)
    assert receiver.wait_for_span("receiver.test.span", timeout=5) is not None


@pytest.mark.parametrize("client", ["http", "grpc"])
def test_a_client_trusting_another_ca_is_refused(
    receiver_factory: Any, tls_bundle: TlsBundle, client: Client
) -> None:
    receiver = receiver_factory(tls=tls_bundle.server_tls())
    assert not export("traces", client, receiver, ca=tls_bundle.other_ca_cert, timeout=2)
    assert receiver.requests == []


@pytest.mark.parametrize("client", CLIENTS)
def test_mutual_tls_accepts_a_client_certificate_from_the_ca(
    receiver_factory: Any, tls_bundle: TlsBundle, client: Client
) -> None:
    receiver = receiver_factory(tls=tls_bundle.server_tls(mutual=True))
    cert = (tls_bundle.client_cert, tls_bundle.client_key)
    assert export("logs", client, receiver, ca=tls_bundle.ca_cert, client_cert=cert)
    assert receiver.wait_for_log("receiver.test.log", timeout=5) is not None


@pytest.mark.parametrize("client", ["http", "grpc"])
def test_mutual_tls_rejects_a_client_without_a_certificate(
    receiver_factory: Any, tls_bundle: TlsBundle, client: Client
) -> None:
    receiver = receiver_factory(tls=tls_bundle.server_tls(mutual=True))
    assert not export("logs", client, receiver, ca=tls_bundle.ca_cert, timeout=2)
    assert receiver.requests == []


@pytest.mark.parametrize("client", ["http", "grpc"])
def test_mutual_tls_rejects_a_certificate_from_another_ca(
    receiver_factory: Any, tls_bundle: TlsBundle, client: Client
) -> None:
    receiver = receiver_factory(tls=tls_bundle.server_tls(mutual=True))
    cert = (tls_bundle.other_client_cert, tls_bundle.other_client_key)
    assert not export("logs", client, receiver, ca=tls_bundle.ca_cert, client_cert=cert, timeout=2)
    assert receiver.requests == []


def test_a_stalled_handshake_does_not_block_other_clients(
    receiver_factory: Any, tls_bundle: TlsBundle
) -> None:
    import socket

    receiver = receiver_factory(tls=tls_bundle.server_tls(), grpc=False)
    with socket.create_connection(("127.0.0.1", receiver.http_port)):  # never says hello
        assert export("traces", "http", receiver, ca=tls_bundle.ca_cert)


def test_expired_server_certificate_fails_verification(
    receiver_factory: Any, cert_authority: CertificateAuthority, tmp_path: Any
) -> None:
    now = dt.datetime.now(dt.UTC)
    expired = cert_authority.issue_server_certificate(
        not_before=now - dt.timedelta(days=10), not_after=now - dt.timedelta(days=1)
    )
    cert, key = expired.write(tmp_path, "expired")
    receiver = receiver_factory(tls=ServerTls(cert, key), grpc=False)
    context = ssl.create_default_context(cafile=str(cert_authority.write(tmp_path / "ca.pem")))
    with pytest.raises(urllib.error.URLError) as raised:
        urllib.request.urlopen(receiver.endpoint("traces"), timeout=5, context=context)
    assert isinstance(raised.value.reason, ssl.SSLCertVerificationError)
    assert "expired" in str(raised.value.reason)


# --- the certificate factory ----------------------------------------------------------------


def test_server_certificate_names_and_validity(cert_authority: CertificateAuthority) -> None:
    start = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    issued = cert_authority.issue_server_certificate(
        "collector.test", "10.0.0.7", not_before=start, not_after=start + dt.timedelta(days=2)
    )
    names = issued.certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    assert names.value.get_values_for_type(x509.DNSName) == ["collector.test"]
    assert [str(ip) for ip in names.value.get_values_for_type(x509.IPAddress)] == ["10.0.0.7"]
    assert issued.certificate.not_valid_before_utc == start
    assert issued.certificate.not_valid_after_utc == start + dt.timedelta(days=2)
    assert issued.certificate.issuer == cert_authority.authority.certificate.subject


def test_default_server_names_are_loopback(tls_bundle: TlsBundle) -> None:
    cert = x509.load_pem_x509_certificate(tls_bundle.server_cert.read_bytes())
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.DNSName) == ["localhost"]
    assert [str(ip) for ip in names.get_values_for_type(x509.IPAddress)] == ["127.0.0.1"]


def test_bundle_files_exist_and_keys_are_private(tls_bundle: TlsBundle) -> None:
    for key in (tls_bundle.server_key, tls_bundle.client_key, tls_bundle.other_client_key):
        assert key.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
        assert stat.S_IMODE(key.stat().st_mode) == 0o600
    for cert in (tls_bundle.ca_cert, tls_bundle.client_cert, tls_bundle.other_ca_cert):
        assert cert.read_bytes().startswith(b"-----BEGIN CERTIFICATE-----")
    assert tls_bundle.ca_cert.read_bytes() != tls_bundle.other_ca_cert.read_bytes()


def test_receiver_tls_context_requires_client_certs_only_when_mutual(
    tls_bundle: TlsBundle,
) -> None:
    assert tls_bundle.server_tls().ssl_context().verify_mode == ssl.CERT_NONE
    assert tls_bundle.server_tls(mutual=True).ssl_context().verify_mode == ssl.CERT_REQUIRED


def test_receiver_with_tls_as_context_manager(tls_bundle: TlsBundle) -> None:
    with Receiver(tls=tls_bundle.server_tls(), grpc=False) as receiver:
        assert export("metrics", "json", receiver, ca=tls_bundle.ca_cert)
        assert receiver.metric_points[0].name == "receiver.test.count"
