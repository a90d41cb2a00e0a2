"""The one table that declares every settings key (the Logfire ``ConfigParam`` pattern).

Each key of :class:`~codex_otel_config.settings.model.OtelSettings` is declared once here with
its type, default, the variables that set it, whether it is secret and a one-line description.
The loader takes its vocabulary, coercion and error messages from this table, and a test checks
that ``docs/configuration.md`` mentions every key and every variable declared here, so the docs
cannot drift. Pure data: importing this module costs nothing beyond the standard library.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from typing import Literal

from codex_otel_config._version import __version__

ValueType = Literal["str", "bool", "int", "float", "path", "exporter", "table", "choice"]

#: Fixed spelling of the exporter kinds (Codex's kebab-case).
EXPORTER_KINDS: tuple[str, ...] = ("none", "statsig", "otlp-http", "otlp-grpc", "console")
#: Kinds that may be written as a bare string.
STRING_KINDS: tuple[str, ...] = ("none", "statsig", "console")
#: The settings key that holds each signal's exporter (signal order: logs, traces, metrics).
SIGNAL_KEYS: dict[str, str] = {
    "logs": "exporter",
    "traces": "trace_exporter",
    "metrics": "metrics_exporter",
}
EXPORTER_KEYS: tuple[str, ...] = tuple(SIGNAL_KEYS.values())
#: The OTLP/HTTP body encodings as settings files spell them, and as the specification's
#: ``OTEL_EXPORTER_OTLP_PROTOCOL`` spells them.
HTTP_PROTOCOL_SPELLINGS: dict[str, str] = {"binary": "http/protobuf", "json": "http/json"}
HTTP_PROTOCOLS: tuple[str, ...] = tuple(HTTP_PROTOCOL_SPELLINGS)
#: ``OTEL_EXPORTER_OTLP_PROTOCOL`` values (the specification's spelling).
OTEL_PROTOCOLS: tuple[str, ...] = ("grpc", *HTTP_PROTOCOL_SPELLINGS.values())
#: ``OTEL_{SIGNAL}_EXPORTER`` values this package builds (anything else is warned and ignored).
OTEL_EXPORTER_CHOICES: tuple[str, ...] = ("otlp", "console", "none")
COMPRESSIONS: tuple[str, ...] = ("none", "gzip")
#: The TLS fields: settings key, ``Tls`` attribute, suffix of ``OTEL_EXPORTER_OTLP[_{SIGNAL}]_*``.
TLS_FIELDS: tuple[tuple[str, str, str], ...] = (
    ("ca-certificate", "ca_certificate", "CERTIFICATE"),
    ("client-certificate", "client_certificate", "CLIENT_CERTIFICATE"),
    ("client-private-key", "client_private_key", "CLIENT_KEY"),
)
TLS_KEYS: tuple[str, ...] = tuple(key for key, _, _ in TLS_FIELDS)
#: ``Tls`` attribute → settings key (``ca_certificate`` → ``ca-certificate``).
TLS_KEY_OF: dict[str, str] = {attr: key for key, attr, _ in TLS_FIELDS}
#: Deadline of one export, in seconds, when nothing sets it (0 means no limit).
DEFAULT_TIMEOUT_S = 10.0
#: Upper bounds of numeric keys: durations fit a signed 32-bit count of milliseconds (what
#: the SDK's worker threads can wait for); queue and batch sizes stay allocatable.
MAX_MS = 2**31 - 1
MAX_TIMEOUT_S = MAX_MS / 1000
MAX_COUNT = 1_000_000
#: Header names the exporter sets itself: a configured value would corrupt the request.
RESERVED_HEADERS: frozenset[str] = frozenset(
    {"content-length", "content-type", "content-encoding", "transfer-encoding", "te", "host"}
)
#: Settings files (and Codex's config.toml) larger than this are refused unread.
MAX_FILE_BYTES = 1024 * 1024
#: Deepest nesting of tables/arrays accepted in a settings file or an inline table.
MAX_DEPTH = 32
#: The characters of an HTTP header name (RFC 9110 ``token``).
HEADER_NAME_CHARS = frozenset(string.ascii_letters + string.digits + "!#$%&'*+-.^_`|~")

#: The variable prefix of layer 5.
CODEX_PREFIX = "CODEX_OTEL_"


@dataclass(frozen=True)
class Param:
    """One settings key.

    ``key`` is dotted as in a settings file. Exporter fields are declared once per kind with the
    key ``<kind>.<field>`` (``otlp-http.endpoint``) and apply under each of ``exporter``,
    ``trace_exporter`` and ``metrics_exporter``. ``otel_env`` lists the standard variables that
    set the key (``{SIGNAL}`` stands for ``LOGS``, ``TRACES`` or ``METRICS``); ``codex_env`` the
    ``CODEX_OTEL_*`` form (derived from the key when ``None``; empty means none).
    """

    key: str
    type: ValueType
    default: object
    description: str
    otel_env: tuple[str, ...] = ()
    codex_env: tuple[str, ...] | None = None
    secret: bool = False
    codex_config: bool = False
    file: bool = True
    choices: tuple[str, ...] = ()
    #: Inclusive range of a numeric key (the schema bounds every one; whole bounds as ``int``).
    low: float = float("-inf")
    high: float = float("inf")
    #: How the standard variables write the value when it differs from files: a unit
    #: (``ms``: files say seconds) or the specification's spellings of the choices.
    otel_unit: str = ""
    otel_choices: tuple[str, ...] = ()

    def in_range(self, number: float) -> bool:
        return self.low <= number <= self.high

    def range_text(self) -> str:
        """``a whole number from 1 to 1000000``: what ``in_range`` accepts, for messages."""
        unit = "a whole number" if self.type == "int" else "a number of seconds"
        return f"{unit} from {self.low} to {self.high}"

    @property
    def variables(self) -> tuple[str, ...]:
        """Every variable that sets this key (documented in docs/configuration.md)."""
        if self.codex_env is not None:
            return self.otel_env + self.codex_env
        path = ("<EXPORTER>." if self.key.split(".")[0] in EXPORTER_KINDS else "") + self.key
        return (*self.otel_env, CODEX_PREFIX + path.replace(".", "__").replace("-", "_").upper())


_P = Param

#: Batch processor and metric reader tunings: name, the SDK's documented default, description.
#: The variable is the name in capitals without ``_ms`` (``OTEL_BSP_SCHEDULE_DELAY``).
#: Durations are milliseconds (a deadline may be 0: no limit); sizes are counts.
_PROCESSORS = (
    ("bsp_schedule_delay_ms", 5000, "Span batch processor: delay between exports (ms)."),
    ("bsp_max_queue_size", 2048, "Span batch processor: queue size."),
    ("bsp_max_export_batch_size", 512, "Span batch processor: spans per export."),
    ("bsp_export_timeout_ms", 30000, "Span batch processor: export deadline (ms)."),
    ("blrp_schedule_delay_ms", 1000, "Log batch processor: delay between exports (ms)."),
    ("blrp_max_queue_size", 2048, "Log batch processor: queue size."),
    ("blrp_max_export_batch_size", 512, "Log batch processor: records per export."),
    ("blrp_export_timeout_ms", 30000, "Log batch processor: export deadline (ms)."),
    ("metric_export_interval_ms", 60000, "Metric reader: interval between exports (ms)."),
)

#: Top-level keys, in the order ``show`` prints them.
SETTINGS: tuple[Param, ...] = (
    _P(
        "environment",
        "str",
        "dev",
        "Deployment environment, exported as the `env` resource attribute; defaults to the "
        "selected settings environment, else `dev`.",
        codex_config=True,
    ),
    _P(
        "service_name",
        "str",
        "codex-cli",
        "`service.name` of every signal.",
        otel_env=("OTEL_SERVICE_NAME",),
    ),
    _P(
        "service_version",
        "str",
        __version__,
        "`service.version` of every signal; defaults to this package's version.",
    ),
    _P(
        "codex_home",
        "path",
        None,
        "Codex's home folder: where `config.toml` and `otel.toml` are looked for; relative TLS "
        "paths of the Codex `[otel]` table resolve against it.",
        codex_env=("CODEX_HOME",),
        file=False,
    ),
    _P(
        "log_user_prompt",
        "bool",
        False,
        "Export the text of user prompts in log events (off: only their length).",
        codex_config=True,
    ),
    _P(
        "exporter",
        "exporter",
        "none",
        "Exporter of the logs signal.",
        otel_env=("OTEL_LOGS_EXPORTER",),
        otel_choices=OTEL_EXPORTER_CHOICES,
        codex_config=True,
    ),
    _P(
        "trace_exporter",
        "exporter",
        None,
        "Exporter of the traces signal; when unset it follows `exporter` (an inherited "
        "endpoint ending in `/v1/logs` becomes `/v1/traces`).",
        otel_env=("OTEL_TRACES_EXPORTER",),
        otel_choices=OTEL_EXPORTER_CHOICES,
        codex_config=True,
    ),
    _P(
        "metrics_exporter",
        "exporter",
        "none",
        "Exporter of the metrics signal (`none` by default: no key is shipped for Statsig).",
        otel_env=("OTEL_METRICS_EXPORTER",),
        otel_choices=OTEL_EXPORTER_CHOICES,
        codex_config=True,
    ),
    _P(
        "runtime_metrics",
        "bool",
        False,
        "Keep an on-demand reader beside the metrics exporter for runtime snapshots and "
        "summaries (needs a metrics exporter; exports nothing extra).",
    ),
    _P(
        "resource_attributes",
        "table",
        {},
        "Extra resource attributes (string to string) on every signal.",
        otel_env=("OTEL_RESOURCE_ATTRIBUTES",),
    ),
    _P(
        "sdk_disabled",
        "bool",
        False,
        "Disable every signal whatever the exporters say.",
        otel_env=("OTEL_SDK_DISABLED",),
    ),
    *(
        _P(
            f"processors.{name}",
            "int",
            None,
            description,
            otel_env=("OTEL_" + name.removesuffix("_ms").upper(),),
            low=0 if name.endswith("timeout_ms") else 1,
            high=MAX_COUNT if "size" in name else MAX_MS,
        )
        for name, _, description in _PROCESSORS
    ),
)


def _otlp_env(suffix: str) -> tuple[str, str]:
    """The generic and per-signal variables of one OTLP exporter field."""
    return (f"OTEL_EXPORTER_OTLP_{suffix}", f"OTEL_EXPORTER_OTLP_{{SIGNAL}}_{suffix}")


_TLS_DESCRIPTIONS = {
    "ca-certificate": "PEM file of the CA that signed the collector's certificate (replaces the "
    "system roots).",
    "client-certificate": "PEM client certificate for mTLS (needs `client-private-key`).",
    "client-private-key": "PEM private key of the client certificate (needs `client-certificate`).",
}


def _otlp_fields(kind: str) -> tuple[Param, ...]:
    """The fields of ``otlp-http`` / ``otlp-grpc``, in the order ``show`` prints them."""
    protocol = _P(
        f"{kind}.protocol",
        "choice",
        "binary",
        "Body encoding: `binary` (protobuf) or `json`.",
        otel_env=_otlp_env("PROTOCOL"),
        choices=HTTP_PROTOCOLS,
        otel_choices=OTEL_PROTOCOLS,
    )
    tls = [
        _P(f"{kind}.tls.{key}", "path", None, _TLS_DESCRIPTIONS[key], otel_env=_otlp_env(suffix))
        for key, _, suffix in TLS_FIELDS
    ]
    return (
        _P(
            f"{kind}.endpoint",
            "str",
            None,
            "Collector URL (`http://` without TLS, `https://` with TLS). OTLP/HTTP: a URL with "
            "no path gets `/v1/<signal>`; gRPC: no path allowed.",
            otel_env=_otlp_env("ENDPOINT"),
        ),
        *((protocol,) if kind == "otlp-http" else ()),
        _P(
            f"{kind}.headers",
            "table",
            {},
            "Request headers (names lower-cased; every value is treated as a secret).",
            otel_env=_otlp_env("HEADERS"),
            secret=True,
        ),
        *tls,
        _P(
            f"{kind}.timeout",
            "float",
            DEFAULT_TIMEOUT_S,
            "Deadline of one export, in seconds (`0`: no limit; the variables are in ms).",
            otel_env=_otlp_env("TIMEOUT"),
            low=0,
            high=MAX_TIMEOUT_S,
            otel_unit="ms",
        ),
        _P(
            f"{kind}.compression",
            "choice",
            "none",
            "`none` or `gzip`.",
            otel_env=_otlp_env("COMPRESSION"),
            choices=COMPRESSIONS,
        ),
    )


#: Fields of each exporter kind (keys ``<kind>.<field>``).
EXPORTER_FIELDS: tuple[Param, ...] = (
    *_otlp_fields("otlp-http"),
    *_otlp_fields("otlp-grpc"),
    _P(
        "statsig.api_key",
        "str",
        None,
        "Statsig server secret (`secret-…`); falls back to the variable "
        "`STATSIG_SERVER_SDK_SECRET`.",
        otel_env=("STATSIG_SERVER_SDK_SECRET",),
        secret=True,
    ),
    _P(
        "statsig.endpoint",
        "str",
        "https://api.statsig.com/otlp",
        "Base URL of Statsig's OTLP intake (`/v1/<signal>` is appended).",
    ),
    _P(
        "statsig.timeout",
        "float",
        DEFAULT_TIMEOUT_S,
        "Deadline of one export, in seconds (`0`: no limit).",
        low=0,
        high=MAX_TIMEOUT_S,
    ),
    _P("statsig.compression", "choice", "none", "`none` or `gzip`.", choices=COMPRESSIONS),
)

#: Variables that steer loading rather than set a key.
CONTROL_VARIABLES: dict[str, str] = {
    "CODEX_OTEL_ENV": "Selects the environment table of the settings files (like `--env`).",
    "CODEX_OTEL_SETTINGS_FILES": "Comma-separated settings files to load instead of the "
    "default `$CODEX_HOME/otel.toml` and `./codex-otel.toml`.",
    "CODEX_OTEL_STRICT": "`true`: `bootstrap_from_env()` raises `SettingsError` instead of "
    "logging one warning.",
}

ALL_PARAMS: tuple[Param, ...] = SETTINGS + EXPORTER_FIELDS
SETTINGS_BY_KEY: dict[str, Param] = {p.key: p for p in SETTINGS}
FIELDS_BY_KEY: dict[str, Param] = {p.key: p for p in EXPORTER_FIELDS}
TOP_LEVEL_KEYS: tuple[str, ...] = tuple(dict.fromkeys(p.key.split(".")[0] for p in SETTINGS))
PROCESSOR_KEYS: tuple[str, ...] = tuple(name for name, _, _ in _PROCESSORS)
#: The SDK's documented value of each processor tuning, passed on when none is set, so the
#: SDK never reads ``OTEL_BSP_*`` / ``OTEL_BLRP_*`` from ``os.environ`` itself.
PROCESSOR_SDK_DEFAULTS: dict[str, int] = {name: default for name, default, _ in _PROCESSORS}
#: Keys the Codex ``[otel]`` table may hold (Codex refuses any other).
CODEX_CONFIG_KEYS: tuple[str, ...] = tuple(p.key for p in SETTINGS if p.codex_config)
SECRET_KEYS: frozenset[str] = frozenset(p.key for p in ALL_PARAMS if p.secret)


def kind_fields(kind: str) -> tuple[str, ...]:
    """The first-level field names of an exporter kind (``tls`` once, not its sub-keys)."""
    keys = [p.key.split(".") for p in EXPORTER_FIELDS]
    return tuple(dict.fromkeys(key[1] for key in keys if key[0] == kind))


def field_param(kind: str, path: str) -> Param | None:
    """The declaration of ``<kind>.<path>`` (``otlp-http.tls.ca-certificate``), if any."""
    return FIELDS_BY_KEY.get(f"{kind}.{path}")


def every_variable() -> tuple[str, ...]:
    """Every variable the loader reads, with ``{SIGNAL}`` forms spelled out."""
    names = [v for p in ALL_PARAMS for v in p.variables if "<EXPORTER>" not in v]
    spelled = [v.replace("{SIGNAL}", signal.upper()) for v in names for signal in SIGNAL_KEYS]
    return tuple(dict.fromkeys([*spelled, *CONTROL_VARIABLES]))


def header_problem(name: str, value: object) -> str | None:
    """Why a header cannot be sent as configured, or ``None``; one rule for every layer.

    The message names the header but never quotes its value (every value is a secret)."""
    if not name or not set(name) <= HEADER_NAME_CHARS:
        shown = name.encode("unicode_escape").decode("ascii")
        return f'"{shown}" is not a valid header name (letters, digits and !#$%&\'*+-.^_`|~ only)'
    if name.lower() in RESERVED_HEADERS:
        return f'"{name}" is set by the exporter itself and cannot be configured'
    if isinstance(value, str) and has_control(value):
        return f'the value of "{name}" contains a control character (line break, NUL, ESC, …)'
    return None


def has_control(text: str) -> bool:
    """A C0/C1 control character (line break, NUL, ESC, …): never sent in a header or key."""
    return any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in text)


def fold(name: str) -> str:
    """Compare vocabulary words ignoring case and ``-`` versus ``_``."""
    return name.strip().lower().replace("-", "_")


def canonical(name: str, vocabulary: tuple[str, ...]) -> str | None:
    """The canonical spelling of ``name`` in ``vocabulary`` (``otlp_http`` → ``otlp-http``)."""
    return next((word for word in vocabulary if fold(word) == fold(name)), None)


def listed(names: tuple[str, ...]) -> str:
    """``"a", "b", "c"``: a declared vocabulary as messages quote it."""
    return ", ".join(f'"{name}"' for name in names)


def did_you_mean(name: str, vocabulary: tuple[str, ...]) -> str:
    """`` (did you mean "x"?)`` or ``""``; lazily imports difflib (only on the error path)."""
    import difflib

    folded = {fold(w): w for w in vocabulary}
    match = difflib.get_close_matches(fold(name), list(folded), n=1, cutoff=0.6)
    return f' (did you mean "{folded[match[0]]}"?)' if match else ""
