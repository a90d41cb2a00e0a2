"""``load_settings()``: the six layers of DESIGN §1.2, merged by dynaconf, with provenance.

Layers, lowest to highest: built-in defaults (declared in ``schema.py``), the ``[otel]`` table of
``$CODEX_HOME/config.toml``, settings files (``[default]`` + the selected environment table,
each followed by the ``.secrets.toml`` beside it), the standard ``OTEL_*`` variables,
``CODEX_OTEL_*`` variables, explicit overrides. Each layer is read explicitly (dynaconf's own
file, ``.env`` and environment loaders are switched off, so it never reads ``os.environ`` for
settings), validated into a canonical fragment, and merged into one dynaconf object; the loader
records the :class:`Source` of every key as it goes.

Every variable is read from the ``environ`` mapping the caller passes (``os.environ`` by
default). When nothing is configured — no Codex ``[otel]`` table, no settings file, no relevant
variable, no override — the defaults are returned without importing dynaconf or parsing TOML,
so an application that calls ``bootstrap_from_env()`` and exports nothing pays almost nothing.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any

from codex_otel_config.errors import Problem, SettingsError
from codex_otel_config.settings import _files, schema
from codex_otel_config.settings._tree import deep_merge, leaves
from codex_otel_config.settings.model import (
    DEFAULT_SOURCE,
    NoExporter,
    OtelSettings,
    Source,
    codex_home_from,
    source_in,
)

if TYPE_CHECKING:
    from codex_otel_config.settings._sources import Fragment
    from codex_otel_config.settings.otel_env import OtelEnv

__all__ = [
    "codex_home_from",
    "list_environments",
    "load_settings",
    "parse_set_options",
    "selected_env",
]


def load_settings(
    *,
    files: Sequence[str | PathLike[str]] | None = None,
    env: str | None = None,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
    lenient: bool = False,
    otel_config: str | PathLike[str] | None = None,
) -> OtelSettings:
    """Load, merge and validate every layer; raise :class:`SettingsError` with every problem.

    ``files``: settings files to load instead of ``CODEX_OTEL_SETTINGS_FILES`` or the default
    ``$CODEX_HOME/otel.toml`` and ``./codex-otel.toml`` (``[]`` loads none). ``env``: the
    environment table to apply on top of ``[default]`` (else ``CODEX_OTEL_ENV``).
    ``environ``: where every variable is read (default ``os.environ``). ``overrides``: dotted
    keys to values, the highest layer; string values are parsed like ``--set``.
    ``lenient``: what ``bootstrap_from_env()`` does unless strict — each problem becomes one
    warning and its value is ignored (the layer below or the default stands; an exporter that
    cannot be built is turned off), as the OpenTelemetry specification asks of a bad variable.
    ``otel_config``: a declarative configuration file read instead of ``OTEL_CONFIG_FILE``
    (the CLI's ``--otel-config``); it takes the place of the ``OTEL_*`` variables (layer 4).
    """
    environ = os.environ if environ is None else environ
    codex_home = codex_home_from(environ)
    env_name, env_origin = selected_env(env, environ)
    if not overrides and otel_config is None and _nothing_configured(files, environ, codex_home):
        return _default_settings(codex_home, env_name, env_origin, environ)
    from codex_otel_config.settings._sources import settings_files
    from codex_otel_config.settings.otel_env import read_otel_env

    paths, problems = settings_files(files, environ, codex_home)
    if _files.name_too_long(codex_home):
        problems.insert(
            0,
            Problem(
                key="codex_home",
                layer="env CODEX_HOME",
                message="is too long a path for this system (no file below it can be read)",
            ),
        )
    otel = read_otel_env(environ)
    loader = _Loader(codex_home, env_name, env_origin, environ, lenient=lenient)
    return loader.run(paths, problems, otel, overrides, otel_config)


def _nothing_configured(
    files: Sequence[str | PathLike[str]] | None, environ: Mapping[str, str], codex_home: Path
) -> bool:
    """The fast path: only stats and a scan of ``environ``, no imports, no parsing."""
    if files:
        return False
    if files is None:
        if (environ.get("CODEX_OTEL_SETTINGS_FILES") or "").strip():
            return False
        if any(_files.exists(p) for p in _files.default_files(codex_home)):
            return False
    for name in environ:
        if name.startswith("OTEL_") or (
            name.startswith("CODEX_OTEL_")
            and name not in schema.CONTROL_VARIABLES
            and environ[name].strip()
        ):
            return False
    return not (_files.exists(codex_home / "config.toml") or _files.name_too_long(codex_home))


def list_environments(
    *,
    files: Sequence[str | PathLike[str]] | None = None,
    environ: Mapping[str, str] | None = None,
) -> tuple[str, ...]:
    """The environment tables (``default`` first) of the settings files ``load_settings``
    would read with the same ``files`` and ``environ``: what ``--env`` may select.

    Unreadable or malformed files are skipped here; ``load_settings`` reports them.
    """
    environ = os.environ if environ is None else environ
    from codex_otel_config.settings._sources import SECRETS_NAME, read_toml, settings_files

    paths, _ = settings_files(files, environ, codex_home_from(environ))
    names: dict[str, None] = {}
    for path in paths:
        for candidate in (path, path.parent / SECRETS_NAME):
            if not _files.is_regular(candidate):
                continue
            data, _problems = read_toml(candidate, label=str(candidate))
            for name, value in (data or {}).items():
                is_key = schema.canonical(name, schema.TOP_LEVEL_KEYS) is not None
                if isinstance(value, dict) and not is_key:
                    names[name] = None
    ordered = sorted(names, key=lambda n: (n.lower() != "default", n.lower()))
    return tuple(ordered)


def selected_env(env: str | None, environ: Mapping[str, str]) -> tuple[str | None, str | None]:
    """The selected environment table and what selected it (``None`` or ``CODEX_OTEL_ENV``)."""
    if env is not None and env.strip():
        return env.strip(), None
    value = (environ.get("CODEX_OTEL_ENV") or "").strip()
    return (value, "CODEX_OTEL_ENV") if value else (None, None)


def parse_set_options(items: Iterable[str]) -> dict[str, str]:
    """``["key=value", …]`` (the CLI's ``--set``) into overrides; values stay raw text.

    The loader parses each value against the key's declared type: a TOML scalar or inline
    table where that fits (``5``, ``true``, ``"quoted"``, ``{ otlp-http = {…} }``), else the
    text as written.
    """
    out: dict[str, str] = {}
    problems: list[Problem] = []
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            problems.append(
                Problem(
                    key=key.strip() or item,
                    layer="--set",
                    message="expected key=value (e.g. service_name=billing)",
                )
            )
            continue
        out[key.strip()] = value
    if problems:
        raise SettingsError(problems)
    return out


def _codex_home_source(environ: Mapping[str, str]) -> Source:
    if (environ.get("CODEX_HOME") or "").strip():
        return Source(layer="derived", variable="CODEX_HOME")
    return DEFAULT_SOURCE


def _default_settings(
    codex_home: Path, env_name: str | None, env_origin: str | None, environ: Mapping[str, str]
) -> OtelSettings:
    provenance = dict(_DEFAULT_PROVENANCE)
    provenance["codex_home"] = _codex_home_source(environ)
    environment = "dev"
    if env_name:
        environment = env_name
        provenance["environment"] = _env_source(env_origin)
    return OtelSettings(
        environment=environment,
        codex_home=codex_home,
        trace_exporter=NoExporter(),
        provenance=provenance,
    )


def _env_source(origin: str | None) -> Source:
    note = "the selected settings environment" + ("" if origin else ", from env= / --env")
    return Source(layer="derived", variable=origin, note=note)


_DEFAULT_PROVENANCE: dict[str, Source] = {
    **{p.key: DEFAULT_SOURCE for p in schema.SETTINGS if p.key != "trace_exporter"},
    "trace_exporter": Source(layer="derived", note="inherited from exporter: built-in default"),
}


def _defaults_tree() -> dict[str, Any]:
    """Layer 1: every key's default as the schema declares it (``trace_exporter`` is absent:
    unset, it follows ``exporter``, as in Codex; unset tunings are the SDK's defaults)."""
    tree: dict[str, Any] = {"resource_attributes": {}, "processors": {}}
    for param in schema.SETTINGS:
        if param.default is not None and "." not in param.key and param.type != "path":
            tree[param.key] = param.default
    return tree


class _Store:
    """The layers merged in order (the one merge of the loader), plus the provenance of each
    key: dynaconf's record of the file and table for file layers, the variable or override
    for the others.

    A later layer that names the same exporter kind merges into it; one that names another
    kind replaces it. Tables (headers, resource attributes, processors) merge key by key.
    """

    def __init__(self) -> None:
        self._data: dict[str, Any] = {}
        self.provenance: dict[str, Source] = {}

    def __contains__(self, key: str) -> bool:
        return key in self._data

    def get(self, key: str) -> Any:
        return copy.deepcopy(self._data.get(key))

    def snapshot(self) -> dict[str, Any]:
        return copy.deepcopy(self._data)

    def _set(self, key: str, value: Any, *, merge: bool) -> None:
        value = copy.deepcopy(value)
        self._data[key] = deep_merge(self._data.get(key), value) if merge else value

    def _drop(self, key: str) -> None:
        for k in [k for k in self.provenance if k == key or k.startswith(key + ".")]:
            del self.provenance[k]

    def apply(self, fragment: Fragment) -> None:
        for top, value in fragment.data.items():
            if top in schema.EXPORTER_KEYS:
                self._apply_exporter(top, value, fragment)
            elif isinstance(value, dict):
                self._set(top, value, merge=True)
                if not value:
                    self.provenance.setdefault(top, fragment.source_for(top))
                for leaf in leaves(top, value):
                    self.provenance[leaf] = fragment.source_for(leaf)
            else:
                self._set(top, value, merge=False)
                self.provenance[top] = fragment.source_for(top)

    def apply_authoritative(self, fragment: Fragment) -> None:
        """Apply a layer whose exporters replace those below field by field (the declarative
        file: what it leaves out of an exporter is not inherited from a settings file)."""
        for top in fragment.data:
            if top in schema.EXPORTER_KEYS:
                self._data.pop(top, None)
                self._drop(top)
        self.apply(fragment)

    def _apply_exporter(self, top: str, value: dict[str, Any], fragment: Fragment) -> None:
        ((kind, fields),) = value.items()
        if top == "trace_exporter" and top not in self and fields:
            inherited = self.get("exporter") or {}
            if kind in inherited:
                self.inherit_trace()
        current = self.get(top) or {}
        if kind not in current:
            self._set(top, value, merge=False)
            self._drop(top)
            self.provenance[top] = fragment.source_for(top)
        else:
            self._set(top, value, merge=True)
            if not fields:
                self.provenance[top] = fragment.source_for(top)
        if fields:
            for leaf in leaves(f"{top}.{kind}", fields):
                self.provenance[leaf] = fragment.source_for(leaf)

    def inherit_trace(self) -> None:
        """``trace_exporter`` unset: it takes the value of ``exporter``, as in Codex."""
        value = copy.deepcopy(self.get("exporter") or {"none": {}})
        ((kind, fields),) = value.items()
        origin = self.source_of("exporter").describe()
        renamed = False
        endpoint = fields.get("endpoint")
        if kind == "otlp-http" and isinstance(endpoint, str) and endpoint.endswith("/v1/logs"):
            fields["endpoint"] = endpoint[: -len("/v1/logs")] + "/v1/traces"
            renamed = True
        self._set("trace_exporter", value, merge=False)
        self._drop("trace_exporter")
        for key, src in list(self.provenance.items()):
            if key == "exporter" or key.startswith("exporter."):
                note = f"inherited from exporter: {src.describe()}"
                self.provenance["trace_exporter" + key[len("exporter") :]] = Source(
                    layer="derived", note=note
                )
        self.provenance.setdefault(
            "trace_exporter", Source(layer="derived", note=f"inherited from exporter: {origin}")
        )
        if renamed:
            where = self.source_of("exporter.otlp-http.endpoint").describe()
            self.provenance["trace_exporter.otlp-http.endpoint"] = Source(
                layer="derived",
                note=f"inherited from exporter: {where}; its /v1/logs path became /v1/traces, "
                "where traces belong",
            )

    def source_of(self, key: str) -> Source:
        return source_in(self.provenance, key)

    def is_explicit(self, key: str) -> bool:
        """True when a layer above the built-in defaults chose this exporter."""
        source = self.provenance.get(key)
        if source is None:
            return False
        if key == "trace_exporter" and source.layer == "derived":
            return self.is_explicit("exporter")
        return source.layer != "default"


class _Loader:
    def __init__(
        self,
        codex_home: Path,
        env_name: str | None,
        env_origin: str | None,
        environ: Mapping[str, str],
        *,
        lenient: bool = False,
    ) -> None:
        self.codex_home = codex_home
        self.env_name = env_name
        self.env_origin = env_origin
        self.environ = environ
        self.lenient = lenient

    def _declarative(
        self,
        otel_config: str | PathLike[str] | None,
        problems: list[Problem],
        warnings: list[str],
    ) -> Fragment | None:
        """Layer 4 from ``OTEL_CONFIG_FILE`` / ``otel_config``; ``None`` when neither names a
        file. The ``OTEL_*`` variables it replaces are named in a warning (``show``)."""
        if otel_config is None and not (self.environ.get("OTEL_CONFIG_FILE") or "").strip():
            return None
        from codex_otel_config.settings import _otel_config
        from codex_otel_config.settings._sources import Fragment

        path = _otel_config.config_file(otel_config, self.environ)
        if path is None:
            return None
        declarative = _otel_config.read(path)
        problems += declarative.problems
        warnings += [f"{path}: {w}" for w in declarative.warnings]
        ignored = _otel_config.ignored_variables(self.environ)
        if ignored:
            warnings.append(
                f"{', '.join(ignored)} ignored: the declarative configuration {path} is "
                "authoritative (OpenTelemetry specification)"
            )
        fragment = _otel_config.fragment(declarative, self.environ, problems)
        return fragment if fragment is not None else Fragment({}, Source(layer="otel-config"))

    def run(
        self,
        paths: list[Path],
        problems: list[Problem],
        otel: OtelEnv,
        overrides: Mapping[str, Any] | None,
        otel_config: str | PathLike[str] | None = None,
    ) -> OtelSettings:
        from codex_otel_config.settings import _sources
        from codex_otel_config.settings._build import Builder
        from codex_otel_config.settings._normalize import Context, normalize

        environ = self.environ
        warnings: list[str] = []
        # Layers 2 and 3 are read first: they do not depend on what is below them, and
        # when neither has anything (a Codex config.toml without [otel] is common) and no
        # variable or override is set, dynaconf is never imported.
        fragments: list[Fragment] = []
        codex = _sources.codex_fragment(self.codex_home, environ, problems)
        if codex is not None:
            fragments.append(codex)
        tables_seen: set[str] = set()
        fragments += _sources.file_fragments(
            paths,
            env_name=self.env_name,
            environ=environ,
            problems=problems,
            tables_seen=tables_seen,
        )
        if (
            self.env_name
            and paths
            and self.env_name.lower() != "default"
            and not any(t.lower() == self.env_name.lower() for t in tables_seen)
        ):
            found = ", ".join(sorted(tables_seen)) or "none"
            warnings.append(
                f'settings environment "{self.env_name}" is not a table in any '
                f"settings file (tables found: {found})"
            )
        codex_env = _sources.codex_env_fragment(environ, problems)
        override = _sources.overrides_fragment(overrides, environ, problems) if overrides else None
        declarative = self._declarative(otel_config, problems, warnings)
        if declarative is None:
            problems += otel.problems
        if not (
            fragments
            or problems
            or warnings
            or codex_env
            or override
            or declarative
            or not otel.empty
        ):
            return _default_settings(self.codex_home, self.env_name, self.env_origin, environ)

        store = _Store()
        # 1. built-in defaults
        ctx = Context(layer="built-in default", base_dir=_files.cwd(), environ={})
        store.apply(_sources.Fragment(normalize(_defaults_tree(), ctx), DEFAULT_SOURCE))
        problems += ctx.problems  # empty unless the schema's defaults are broken
        # 2. Codex's own [otel] table, 3. settings files and their .secrets.toml
        for fragment in fragments:
            store.apply(fragment)

        # 4. the declarative configuration file, authoritative over the OTEL_* variables …
        if declarative is not None:
            store.apply_authoritative(declarative)
        # … or the standard OTEL_* variables
        elif not otel.empty:
            if otel.touches_exporters and "trace_exporter" not in store:
                store.inherit_trace()
            data, sources, otel_warnings = otel.patch(
                store.snapshot(), store.is_explicit, store.source_of
            )
            warnings += otel_warnings
            store.apply(_sources.Fragment(data, Source(layer="otel-env"), sources))

        # 5. CODEX_OTEL_* variables
        if codex_env is not None:
            store.apply(codex_env)
        # 6. explicit overrides
        if override is not None:
            store.apply(override)

        if "trace_exporter" not in store:
            store.inherit_trace()
        if self.env_name and store.provenance.get("environment", DEFAULT_SOURCE).layer == "default":
            store.apply(
                _sources.Fragment({"environment": self.env_name}, _env_source(self.env_origin))
            )

        store.provenance["codex_home"] = _codex_home_source(environ)

        for param in schema.SETTINGS:
            if store.source_of(param.key) is DEFAULT_SOURCE:
                store.provenance.setdefault(param.key, DEFAULT_SOURCE)
        builder = Builder(store.snapshot(), store.provenance, environ, lenient=self.lenient)
        settings = builder.build(codex_home=self.codex_home, warnings=warnings)
        problems += builder.problems
        if problems and not self.lenient:
            raise SettingsError(dict.fromkeys(problems))
        if problems:
            ignored = tuple(f"ignored: {p}" for p in dict.fromkeys(problems))
            settings = replace(settings, warnings=ignored + settings.warnings)
        return settings
