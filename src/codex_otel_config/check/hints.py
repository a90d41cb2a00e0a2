"""One-line hints: what to change, in which setting, and which layer set it.

A hint names header *names* (they are evidence) but never a header value.
"""

from __future__ import annotations

from codex_otel_config.check.target import Target
from codex_otel_config.outcomes import Code, ExportFailure
from codex_otel_config.settings.model import OtlpGrpc


def _credential_hint(target: Target, verb: str) -> str:
    if target.is_statsig:
        return (
            f"the server {verb} the `statsig-api-key` header: check the key in "
            f"{target.where('headers')}"
        )
    names = sorted(target.exporter.headers)
    if not names:
        return (
            f"the server {verb} the request and no headers are sent: add the credential it "
            f"expects to {target.where('headers')}"
        )
    shown = ", ".join(f"`{n}`" for n in names)
    plural = "headers" if len(names) > 1 else "header"
    # Each header may come from another layer (a .secrets.toml, OTEL_EXPORTER_OTLP_HEADERS).
    wheres = [target.where(f"headers.{n}") for n in names[:3]]
    return f"the server {verb} the {shown} {plural}: check the token in {'; '.join(wheres)}"


def _tls_key(target: Target, name: str) -> str:
    return target.where(f"tls.{name}")


def hint_for(target: Target, failure: ExportFailure, stage: str) -> str:
    """The hint for a failed live stage."""
    code = failure.code
    endpoint = target.where("endpoint")
    grpc = isinstance(target.exporter, OtlpGrpc)
    port_hint = " (OTLP listens on 4317 for gRPC, 4318 for HTTP)"
    if code is Code.DNS_FAILED:
        return f"the host name does not resolve: check {endpoint}"
    if code is Code.CONNECTION_REFUSED:
        return f"nothing listens there: is the collector running? check the port in {endpoint}"
    if code is Code.TIMEOUT:
        if stage in ("dns", "tcp"):
            return f"no answer: a firewall, a proxy or a wrong host or port in {endpoint}?"
        if stage == "tls":
            return f"the TLS handshake did not finish: does the port in {endpoint} speak TLS?"
        return (
            f"the collector accepted the connection but did not answer in time: raise "
            f"--timeout or check the collector's health and {endpoint}"
        )
    if code is Code.TLS_UNTRUSTED:
        tls = target.exporter.tls
        if tls is not None and tls.ca_certificate is not None:
            return (
                "the configured CA did not issue the server certificate: check "
                f"{_tls_key(target, 'ca-certificate')}"
            )
        return (
            f"the system trust store does not trust the server certificate: set "
            f"`{target.setting('tls.ca-certificate')}` to the CA that issued it"
        )
    if code is Code.KEY_MISMATCH:
        return (
            f"use the key that belongs to the certificate: {_tls_key(target, 'client-private-key')}"
        )
    if code is Code.TLS_HOSTNAME_MISMATCH:
        return f"connect with a host name the certificate names: check {endpoint}"
    if code is Code.CERTIFICATE_EXPIRED:
        return "the collector's certificate must be renewed (or this machine's clock is wrong)"
    if code is Code.CERTIFICATE_NOT_YET_VALID:
        return "the collector's certificate is not valid yet: check this machine's clock"
    if code is Code.TLS_HANDSHAKE_FAILED:
        text = failure.message.lower()
        tls = target.exporter.tls
        has_client = tls is not None and tls.is_mtls
        hung_up = "closed the connection right after" in text
        if "certificate_required" in text or (
            ("certificate" in text or hung_up) and not has_client
        ):
            return (
                f"the server requires a client certificate: set client-certificate and "
                f"client-private-key beside {_tls_key(target, 'ca-certificate')}"
            )
        if "certificate" in text or "unknown_ca" in text or hung_up:
            return (
                f"the server rejected the client certificate: check "
                f"{_tls_key(target, 'client-certificate')}"
            )
        if "does not speak tls" in text:
            return f"the server speaks plain text: use http:// in {endpoint}"
        if "cannot load" in text:
            return f"check the TLS files in {target.where('tls')}"
        return f"check the TLS settings in {target.where('tls')} and the scheme in {endpoint}"
    if code is Code.AUTH_REJECTED or code is Code.GRPC_UNAUTHENTICATED:
        return _credential_hint(target, "rejected")
    if code is Code.FORBIDDEN:
        return _credential_hint(target, f"refused {target.signal} for")
    if code is Code.NOT_FOUND:
        return (
            f"no OTLP {target.signal} receiver at this path: OTLP/HTTP paths end in "
            f"/v1/{target.signal}; check {endpoint}"
        )
    if code is Code.UNSUPPORTED_MEDIA_TYPE:
        other = "json" if target.protocol == "http/protobuf" else "binary"
        return (
            f"the server does not accept {target.protocol}: try protocol `{other}` in "
            f"{target.where('protocol')}"
        )
    if code is Code.REDIRECTED:
        return (
            f"the server redirects elsewhere and redirects are not followed: set the final "
            f"URL (the one the message names, with its path) in {target.where('endpoint')}"
        )
    if code is Code.PARTIAL_SUCCESS:
        return (
            "the collector accepted the request but rejected items: its message says why "
            "(a limit, a policy, a malformed attribute); check the collector's logs"
        )
    if code is Code.GRPC_PORT:
        from urllib.parse import urlsplit

        port = urlsplit(target.exporter.endpoint).port
        likely = (
            "port 4318" if port in (None, 4317) else "the collector's OTLP/HTTP port (often 4318)"
        )
        return (
            f"this port speaks gRPC: use {likely} in {target.where('endpoint')}, or the "
            f"`otlp-grpc` exporter for this endpoint"
        )
    if code is Code.NOT_OTLP:
        return (
            f"a web server answered, not an OTLP collector: check the host, port and path "
            f"(OTLP/HTTP paths end in /v1/{target.signal}) in {target.where('endpoint')}"
        )
    if code is Code.RATE_LIMITED:
        return "the server is throttling this client: retry later or raise the quota"
    if code is Code.SERVER_ERROR:
        return "the collector or its backend is failing: retry later, check the collector's logs"
    if code is Code.GRPC_UNAVAILABLE:
        return f"the gRPC server is unavailable: is {endpoint} a gRPC port?{port_hint}"
    if code is Code.GRPC_UNIMPLEMENTED:
        return (
            f"the server does not implement the OTLP {target.signal} service: is {endpoint} "
            f"an OTLP/gRPC port?{port_hint}"
        )
    if grpc:
        return f"unexpected answer: is {endpoint} an OTLP/gRPC endpoint?{port_hint}"
    if target.exporter.endpoint.lower().startswith("http://"):
        return (
            f"unexpected answer from {endpoint}: if the server expects TLS, write https:// in "
            f"{target.where('endpoint')}; else is it an OTLP/HTTP port?{port_hint}"
        )
    return (
        f"unexpected answer: is {endpoint} an OTLP/HTTP endpoint (and the scheme right)?{port_hint}"
    )
