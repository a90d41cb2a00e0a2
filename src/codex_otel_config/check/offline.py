"""The offline phase: settings, files, certificates and endpoint sanity. No network.

Each function returns findings; the engine stamps them with the environment and scrubs them.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from cryptography import x509

from codex_otel_config.check.certificates import (
    CertificateFileError,
    chains_to,
    iso,
    key_matches,
    load_certificates,
    load_private_key,
    name_of,
    validity,
)
from codex_otel_config.check.model import Finding, Stage, Status
from codex_otel_config.check.target import TLS_KEYS, Target
from codex_otel_config.errors import SettingsError
from codex_otel_config.outcomes import Code
from codex_otel_config.settings.model import (
    EXPORTER_FIELD,
    Console,
    NoExporter,
    OtelSettings,
    OtlpGrpc,
    Signal,
)

_FILE_WORDS = re.compile(
    r"\b(not found|does not exist|no such file|missing file|not a file)\b", re.IGNORECASE
)
_TLS_SUFFIXES = tuple(TLS_KEYS) + tuple(TLS_KEYS.values())
#: Exporter timeouts above this many seconds were almost certainly meant as milliseconds.
_TIMEOUT_SANITY_S = 1000.0


def settings_error_findings(error: SettingsError, environment: str | None) -> list[Finding]:
    """One finding per settings problem; a missing TLS file is ``file_missing``."""
    findings = []
    for problem in error.problems:
        is_file = problem.key.endswith(_TLS_SUFFIXES) and bool(_FILE_WORDS.search(problem.message))
        findings.append(
            Finding(
                code=Code.FILE_MISSING if is_file else Code.INVALID_SETTING,
                stage="files" if is_file else "settings",
                status="fail",
                message=str(problem),
                environment=environment,
                setting=problem.key or None,
                hint=f"fix `{problem.key}` in {problem.layer}" if problem.layer else None,
            )
        )
    return findings


def _warning_code(warning: str) -> Code:
    """A loader warning's code: an environment no file has, or another setting warning."""
    if "is not a table in any settings file" in warning:
        return Code.UNKNOWN_ENVIRONMENT
    return Code.SETTING_WARNING


def settings_findings(settings: OtelSettings, signals: tuple[Signal, ...]) -> list[Finding]:
    """The loaded settings: loader warnings, and the signals that are exported nowhere."""
    env = settings.environment
    findings = [
        Finding(_warning_code(warning), "settings", "warn", warning, environment=env)
        for warning in settings.warnings
    ]
    if settings.sdk_disabled:
        findings.append(
            Finding(
                Code.SDK_DISABLED,
                "settings",
                "warn",
                "OTEL_SDK_DISABLED is true: nothing will be exported",
                environment=env,
                setting="sdk_disabled",
                hint=f"set by {settings.source_of('sdk_disabled').describe()}",
            )
        )
    for signal in signals:
        if isinstance(settings.exporter_for(signal), Console):
            findings.append(
                Finding(
                    Code.OK,
                    "settings",
                    "ok",
                    f"{signal} are written to stderr by the console exporter: nothing to probe",
                    signal=signal,
                    environment=env,
                    setting=EXPORTER_FIELD[signal],
                )
            )
        if isinstance(settings.exporter_for(signal), NoExporter) and not settings.sdk_disabled:
            findings.append(
                Finding(
                    Code.OK,
                    "settings",
                    "ok",
                    f"{signal} are not exported (exporter `none`)",
                    signal=signal,
                    environment=env,
                )
            )
    exported = [s for s in signals if not isinstance(settings.exporter_for(s), NoExporter)]
    if signals and not exported and not settings.sdk_disabled:
        findings.append(
            Finding(
                Code.NOTHING_EXPORTED,
                "settings",
                "warn",
                "no signal is exported: every exporter is `none`",
                environment=env,
                hint="configure `exporter`, `trace_exporter` or `metrics_exporter` (or "
                "OTEL_EXPORTER_OTLP_ENDPOINT), or see the whole loop with "
                "`codex-otel-config check --demo`",
            )
        )
    if not findings:
        findings.append(Finding(Code.OK, "settings", "ok", "settings loaded", environment=env))
    return findings


def _finding(
    target: Target, code: Code, stage: Stage, status: Status, message: str, **kw: Any
) -> Finding:
    return Finding(
        code=code,
        stage=stage,
        status=status,
        message=message,
        signal=target.signal,
        endpoint=target.endpoint,
        environment=target.environment,
        **kw,
    )


def _tls_paths(target: Target) -> dict[str, Path]:
    tls = target.exporter.tls
    if tls is None:
        return {}
    found = {}
    for attr in TLS_KEYS:
        path = getattr(tls, attr)
        if path is not None:
            found[attr] = Path(path)
    return found


def file_findings(target: Target) -> list[Finding]:
    """Every configured TLS file exists and is readable."""
    paths = _tls_paths(target)
    if not paths:
        return []
    findings = []
    for attr, path in paths.items():
        setting = f"tls.{TLS_KEYS[attr]}"
        problem = None
        if not path.exists():
            problem = f"{TLS_KEYS[attr]} {path} does not exist"
        elif not path.is_file():
            problem = f"{TLS_KEYS[attr]} {path} is not a file"
        else:
            try:
                with path.open("rb") as handle:
                    handle.read(1)
            except OSError as exc:
                problem = f"{TLS_KEYS[attr]} {path} cannot be read ({exc.strerror})"
        if problem:
            findings.append(
                _finding(
                    target,
                    Code.FILE_MISSING,
                    "files",
                    "fail",
                    problem,
                    setting=target.setting(setting),
                    file=str(path),
                    hint=f"fix the path in {target.where(setting)}",
                )
            )
    if not findings:
        names = ", ".join(TLS_KEYS[a] for a in paths)
        findings.append(_finding(target, Code.OK, "files", "ok", f"present: {names}"))
    return findings


def certificate_findings(target: Target, now: datetime) -> list[Finding]:
    """The CA and client certificate: validity, key pair, and whether the CA signed the client."""
    paths = _tls_paths(target)
    findings: list[Finding] = []
    ca_certs = None
    client_certs = None
    key = None

    def broken(attr: str, error: CertificateFileError) -> None:
        setting = f"tls.{TLS_KEYS[attr]}"
        findings.append(
            _finding(
                target,
                Code.INVALID_SETTING,
                "certificates",
                "fail",
                f"{TLS_KEYS[attr]} {paths[attr]} {error}",
                setting=target.setting(setting),
                file=str(paths[attr]),
                hint=f"point {target.where(setting)} at a PEM file",
            )
        )

    def readable(attr: str) -> bool:
        return attr in paths and paths[attr].is_file()

    if readable("ca_certificate"):
        try:
            ca_certs = load_certificates(paths["ca_certificate"])
        except (CertificateFileError, OSError) as exc:
            broken("ca_certificate", CertificateFileError(str(exc)))
    if readable("client_certificate"):
        try:
            client_certs = load_certificates(paths["client_certificate"])
        except (CertificateFileError, OSError) as exc:
            broken("client_certificate", CertificateFileError(str(exc)))
    if readable("client_private_key"):
        try:
            key = load_private_key(paths["client_private_key"])
        except (CertificateFileError, OSError) as exc:
            broken("client_private_key", CertificateFileError(str(exc)))

    if ca_certs:
        findings.append(_ca_validity(target, ca_certs, paths["ca_certificate"], now))
    if client_certs:
        leaf = client_certs[0]
        setting = "tls.client-certificate"
        check = validity(leaf, now, "client certificate")
        findings.append(
            _finding(
                target,
                check.code,
                "certificates",
                check.status,
                check.message,
                setting=target.setting(setting),
                file=str(paths["client_certificate"]),
                cert_subject=name_of(leaf.subject),
                cert_issuer=name_of(leaf.issuer),
                cert_not_after=iso(leaf.not_valid_after_utc),
                hint=None if check.status == "ok" else f"renew it: {target.where(setting)}",
            )
        )
        if key is not None and not key_matches(leaf, key):
            findings.append(
                _finding(
                    target,
                    Code.KEY_MISMATCH,
                    "certificates",
                    "fail",
                    f"client-private-key {paths['client_private_key']} is not the key of the "
                    f"client certificate {name_of(leaf.subject)}",
                    setting=target.setting("tls.client-private-key"),
                    file=str(paths["client_private_key"]),
                    hint=f"use the key that belongs to the certificate: "
                    f"{target.where('tls.client-private-key')}",
                )
            )
        if ca_certs and not chains_to(leaf, client_certs[1:], ca_certs):
            findings.append(
                _finding(
                    target,
                    Code.TLS_UNTRUSTED,
                    "certificates",
                    "warn",
                    f"the client certificate {name_of(leaf.subject)} (issued by "
                    f"{name_of(leaf.issuer)}) is not signed by the configured CA",
                    setting=target.setting("tls.client-certificate"),
                    file=str(paths["client_certificate"]),
                    hint="the server must trust the client certificate's issuer; ca-certificate "
                    "only verifies the server",
                )
            )
    tls = target.exporter.tls
    if tls is not None and (tls.client_certificate is None) != (tls.client_private_key is None):
        missing = "client-private-key" if tls.client_private_key is None else "client-certificate"
        findings.append(
            _finding(
                target,
                Code.INVALID_SETTING,
                "certificates",
                "fail",
                f"mTLS needs both client-certificate and client-private-key; {missing} is not set",
                setting=target.setting(f"tls.{missing}"),
                hint=f"set {target.setting(f'tls.{missing}')} beside {target.where('tls')}",
            )
        )
    return findings


def _ca_validity(
    target: Target, certs: list[x509.Certificate], path: Path, now: datetime
) -> Finding:
    """A CA file with one certificate is judged by it; a bundle fails only if none is valid."""
    setting = "tls.ca-certificate"
    if len(certs) == 1:
        check = validity(certs[0], now, "CA certificate")
        code, status, message = check.code, check.status, check.message
    else:
        checks = [validity(c, now, "CA certificate") for c in certs]
        usable = [c for c in checks if c.status != "fail"]
        if usable:
            code, status = Code.OK, "ok"
            message = f"CA bundle with {len(certs)} certificates, {len(usable)} valid now"
        else:
            code, status = checks[0].code, "fail"
            message = f"none of the {len(certs)} certificates in the CA bundle is valid now"
    first = certs[0]
    return _finding(
        target,
        code,
        "certificates",
        status,
        message,
        setting=target.setting(setting),
        file=str(path),
        cert_subject=name_of(first.subject),
        cert_issuer=name_of(first.issuer),
        cert_not_after=iso(first.not_valid_after_utc),
        hint=None if status == "ok" else f"renew it: {target.where(setting)}",
    )


def endpoint_findings(target: Target, probe_timeout: float | None = None) -> list[Finding]:
    """Sanity of the endpoint as it will be used: scheme, host, path, TLS, timeout
    (``probe_timeout``: the bound on each live stage, shown beside the export timeout)."""
    exporter = target.exporter
    where = target.where("endpoint")
    try:
        parts = urlsplit(exporter.endpoint)
        _ = parts.port  # raises for a port that is not a number
    except ValueError as exc:
        return [
            _finding(
                target,
                Code.INVALID_SETTING,
                "endpoint",
                "fail",
                f"the endpoint is not a valid URL ({exc})",
                setting=target.setting("endpoint"),
                hint=f"fix {where}",
            )
        ]
    findings: list[Finding] = []

    def add(status: Status, message: str, hint: str, key: str = "endpoint") -> None:
        findings.append(
            _finding(
                target,
                Code.INVALID_SETTING if status == "fail" else Code.ENDPOINT_WARNING,
                "endpoint",
                status,
                message,
                setting=target.setting(key),
                hint=hint,
            )
        )

    if parts.scheme not in ("http", "https"):
        add(
            "fail",
            f"the endpoint scheme must be http or https, not {parts.scheme!r}",
            f"write the endpoint as http://host:port or https://host:port in {where}",
        )
        return findings
    if not parts.hostname:
        add("fail", "the endpoint has no host", f"fix {where}")
        return findings
    if parts.scheme == "http" and exporter.tls is not None:
        add(
            "fail",
            "a TLS block is set but the endpoint is http:// (no TLS)",
            f"use https:// in {where}, or remove {target.setting('tls')}",
        )
    if isinstance(exporter, OtlpGrpc):
        if parts.path not in ("", "/"):
            add(
                "warn",
                f"a gRPC endpoint takes no path; {parts.path!r} is ignored",
                f"remove the path from {where}",
            )
    else:
        _check_http_path(target.signal, parts.path, add, where)
    proxy = _proxy_for(parts.scheme, parts.hostname, isinstance(exporter, OtlpGrpc))
    if proxy is not None:
        add(
            "warn",
            f"the exporter will go through the proxy set by {proxy}; check connects directly",
            f"if the direct probes fail, the proxy may still reach {parts.hostname}; "
            "exclude the host with NO_PROXY to export directly",
        )
    if exporter.timeout > _TIMEOUT_SANITY_S:
        add(
            "warn",
            f"the export timeout is {exporter.timeout:g} s; was it meant in milliseconds?",
            "timeouts are seconds in settings files and milliseconds in "
            f"OTEL_EXPORTER_OTLP_*TIMEOUT; check {target.where('timeout')}",
            "timeout",
        )
    if not findings:
        findings.append(
            _finding(target, Code.OK, "endpoint", "ok", _describe(target, probe_timeout))
        )
    return findings


def _proxy_for(scheme: str, host: str, grpc: bool) -> str | None:
    """The variable naming a proxy the exporter would use for ``host`` (requests and grpc
    honour ``HTTPS_PROXY`` / ``HTTP_PROXY`` / ``NO_PROXY``; grpc also ``grpc_proxy``)."""
    from urllib.request import getproxies_environment, proxy_bypass

    proxies = getproxies_environment()
    if not proxies or proxy_bypass(host):
        return None
    names = ["grpc_proxy"] if grpc else []
    names.append(f"{scheme}_proxy")
    for name in names:
        if proxies.get(name.removesuffix("_proxy")) or os.environ.get(name):
            return name.upper() if name != "grpc_proxy" else name
    return None


def _describe(target: Target, probe_timeout: float | None = None) -> str:
    """``http/protobuf, gzip, probe timeout 5 s (export 10 s), TLS with a CA …``: the probe
    timeout is the one that applies to ``check``; the export timeout is the exporter's."""
    exporter = target.exporter
    parts = [target.protocol]
    if exporter.compression != "none":
        parts.append(exporter.compression)
    if probe_timeout is None:
        parts.append(f"export timeout {exporter.timeout:g} s")
    else:
        parts.append(f"probe timeout {probe_timeout:g} s (export {exporter.timeout:g} s)")
    tls = exporter.tls
    if tls is not None:
        material = [
            name
            for name, present in (
                ("a CA", tls.ca_certificate is not None),
                ("a client certificate", tls.client_certificate is not None),
            )
            if present
        ]
        parts.append("TLS with " + " and ".join(material) if material else "TLS")
    if target.exporter.headers:
        parts.append("headers " + ", ".join(sorted(target.exporter.headers)))
    return ", ".join(parts)


def _check_http_path(
    signal: Signal, path: str, add: Callable[[Status, str, str], None], where: str
) -> None:
    """A path naming another signal, a doubled ``/v1/<signal>``, or an unusual path."""
    named = re.findall(r"/v1/(logs|traces|metrics)(?=/|$)", path)
    others = [s for s in named if s != signal]
    if others:
        add(
            "fail",
            f"the {signal} endpoint path {path!r} names another signal ({others[0]})",
            f"use a path ending in /v1/{signal}, or give a base URL without a path, in {where}",
        )
    elif len(named) > 1:
        add(
            "fail",
            f"the path {path!r} repeats /v1/{signal}",
            f"a generic OTEL_EXPORTER_OTLP_ENDPOINT gets /v1/{signal} appended; give it without "
            f"the path, or use the per-signal variable, in {where}",
        )
    elif not path.rstrip("/").endswith(f"/v1/{signal}"):
        add(
            "warn",
            f"the path {path!r} does not end in /v1/{signal}; it is used as written",
            f"an OTLP/HTTP collector listens on /v1/{signal}; check {where}",
        )


def offline_findings(
    target: Target, now: datetime, probe_timeout: float | None = None
) -> list[Finding]:
    """Files, certificates and endpoint sanity of one target."""
    return (
        file_findings(target)
        + certificate_findings(target, now)
        + endpoint_findings(target, probe_timeout)
    )


__all__ = [
    "certificate_findings",
    "endpoint_findings",
    "file_findings",
    "offline_findings",
    "settings_error_findings",
    "settings_findings",
]
