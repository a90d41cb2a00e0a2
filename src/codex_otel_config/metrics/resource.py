"""The metrics resource: ``service.name``, ``service.version``, ``env``, ``os``, ``os_version``.

Metrics carry the operating system (sanitised like a tag value, omitted when unknown)
but never ``host.name``: the crate keeps per-host identity out of metric streams.
"""

from __future__ import annotations

import platform
from collections.abc import Mapping
from functools import lru_cache

from opentelemetry.sdk.resources import (
    TELEMETRY_SDK_LANGUAGE,
    TELEMETRY_SDK_NAME,
    TELEMETRY_SDK_VERSION,
    Resource,
)
from opentelemetry.sdk.version import __version__ as sdk_version

from codex_otel_config.metrics.names import (
    RESOURCE_ENV,
    RESOURCE_OS,
    RESOURCE_OS_VERSION,
    RESOURCE_SERVICE_NAME,
    RESOURCE_SERVICE_VERSION,
)
from codex_otel_config.metrics.validation import UNSPECIFIED, sanitize_metric_tag_value

# How the crate's ``os_info`` names common distributions (by os-release ``ID``).
_LINUX_NAMES = {
    "ubuntu": "Ubuntu",
    "debian": "Debian",
    "fedora": "Fedora",
    "arch": "Arch Linux",
    "alpine": "Alpine Linux",
    "amzn": "Amazon Linux AMI",
    "centos": "CentOS",
    "rhel": "Red Hat Enterprise Linux",
    "opensuse-leap": "openSUSE",
    "linuxmint": "Linux Mint",
}


@lru_cache(maxsize=1)
def os_info() -> tuple[str, str]:
    """``(os, os_version)`` as the crate's ``os_info`` reports them, e.g. ``Ubuntu``, ``22.04``."""
    system = platform.system()
    name, version = system, platform.release()
    if system == "Linux":
        try:
            release = platform.freedesktop_os_release()
        except OSError:
            release = {}
        distro = release.get("ID", "")
        name = _LINUX_NAMES.get(distro, release.get("NAME", "Linux"))
        version = release.get("VERSION_ID", version)
    elif system == "Darwin":
        name, version = "Mac OS", platform.mac_ver()[0] or version
    elif system == "Windows":
        version = platform.version() or version
    return sanitize_metric_tag_value(name or ""), sanitize_metric_tag_value(version or "")


def metrics_resource(
    environment: str,
    service_name: str,
    service_version: str,
    extra: Mapping[str, str] | None = None,
) -> Resource:
    """The resource of every metric this client exports."""
    attributes: dict[str, str] = dict(extra or {})
    attributes[RESOURCE_SERVICE_NAME] = service_name
    attributes[RESOURCE_SERVICE_VERSION] = service_version
    attributes[RESOURCE_ENV] = environment
    os_name, os_version = os_info()
    if os_name != UNSPECIFIED:
        attributes[RESOURCE_OS] = os_name
    if os_version != UNSPECIFIED:
        attributes[RESOURCE_OS_VERSION] = os_version
    # ``Resource(...)``, not ``Resource.create()``: that one re-reads OTEL_RESOURCE_ATTRIBUTES
    # and OTEL_SERVICE_NAME from os.environ (bootstrap's settings already honour them, and may
    # come from another environment) and runs the detectors named by
    # OTEL_EXPERIMENTAL_RESOURCE_DETECTORS, which may be slow or query the network.
    return Resource({**_SDK_ATTRIBUTES, **attributes})


_SDK_ATTRIBUTES = {
    TELEMETRY_SDK_LANGUAGE: "python",
    TELEMETRY_SDK_NAME: "opentelemetry",
    TELEMETRY_SDK_VERSION: sdk_version,
}
