"""``load_settings()``: the six layers of DESIGN §1.2, read, merged and validated, with provenance.

Layers, lowest to highest: built-in defaults (declared in ``schema.py``), the ``[otel]`` table of
``$CODEX_HOME/config.toml``, settings files (``[default]`` + the selected environment table,
each followed by the ``.secrets.toml`` beside it), the standard ``OTEL_*`` variables,
``CODEX_OTEL_*`` variables, explicit overrides. The settings files are read by dynaconf's TOML
loader (``_dynaconf.py``; its ``.env`` and variable loaders are off, so it never reads
``os.environ`` for settings), every other layer by our own readers; each is validated into a
canonical fragment and merged by :class:`_Store`, which records the :class:`Source` of every
key as it goes.

When nothing is configured — no Codex ``config.toml``, no settings file, no relevant variable,
no override — the model's defaults are returned after a few ``stat()`` calls, without importing
the layer readers, dynaconf or a TOML parser.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any

from codex_otel_config.errors import Problem, SettingsError
from codex_otel_config.settings import _files, schema
from codex_otel_config.settings._tree import deep_merge, leaves
from codex_otel_config.settings.model import (
    DEFAULT_SOURCE,
    OtelSettings,
    Source,
    codex_home_from,
    source_in,
)

if TYPE_CHECKING:
    from codex_otel_config.settings._sources import Fragment

__all__ = ["list_environments", "load_settings", "selected_env"]

_INHERITED = "inherited from exporter: "


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
    note = "the selected settings environment" + ("" if env_origin else ", from env= / --env")
    env_source = Source(layer="derived", variable=env_origin, note=note)
    home_set = (environ.get("CODEX_HOME") or "").strip()
    home_source = Source(layer="derived", variable="CODEX_HOME") if home_set else DEFAULT_SOURCE
    if not overrides and otel_config is None and _nothing_configured(files, environ, codex_home):
        # the fast path: the model's defaults, what the merge below gives for no layer at all
        provenance = dict.fromkeys((p.key for p in schema.SETTINGS), DEFAULT_SOURCE)
        provenance["trace_exporter"] = Source(layer="derived", note=_INHERITED + "built-in default")
        provenance["codex_home"] = home_source
        if env_name:
            provenance["environment"] = env_source
        settings = OtelSettings(codex_home=codex_home, provenance=provenance)
        return replace(settings, environment=env_name) if env_name else settings
    from codex_otel_config.settings import _sources
    from codex_otel_config.settings._build import Builder
    from codex_otel_config.settings._normalize import Context, normalize
    from codex_otel_config.settings.otel_env import read_otel_env

    warnings: list[str] = []
    paths, problems = _sources.settings_files(files, environ, codex_home)
    if _files.name_too_long(codex_home):
        message = "is too long a path for this system (no file below it can be read)"
        problems.insert(0, Problem(key="codex_home", layer="env CODEX_HOME", message=message))

    store = _Store()
    # 1. built-in defaults (trace_exporter is absent: unset, it follows exporter, as in Codex)
    tree: dict[str, Any] = {"resource_attributes": {}, "processors": {}}
    for param in schema.SETTINGS:
        if param.default is not None and "." not in param.key and param.type != "path":
            tree[param.key] = param.default
    ctx = Context("built-in default", _files.cwd(), {}, problems=problems)
    store.apply(_sources.Fragment(normalize(tree, ctx), DEFAULT_SOURCE))
    # 2. Codex's own [otel] table, 3. settings files and their .secrets.toml
    if codex := _sources.codex_fragment(codex_home, environ, problems):
        store.apply(codex)
    tables: set[str] = set()
    for fragment in _sources.file_fragments(
        paths, env_name=env_name, environ=environ, problems=problems, tables_seen=tables
    ):
        store.apply(fragment)
    if paths and env_name and env_name.lower() not in {"default", *map(str.lower, tables)}:
        found = ", ".join(sorted(tables)) or "none"
        warnings.append(
            f'settings environment "{env_name}" is not a table in any '
            f"settings file (tables found: {found})"
        )
    # layers 5 and 6 are read before layer 4, so their problems are listed in that order
    codex_env = _sources.codex_env_fragment(environ, problems)
    override = _sources.overrides_fragment(overrides or {}, environ, problems)
    # 4. the declarative configuration file, authoritative over the OTEL_* variables …
    declarative = None
    if otel_config is not None or (environ.get("OTEL_CONFIG_FILE") or "").strip():
        from codex_otel_config.settings import _otel_config  # only when a file is named

        declarative = _otel_config.layer(otel_config, environ, problems, warnings)
    if declarative is not None:
        store.apply(declarative, authoritative=True)
    else:  # … or the standard OTEL_* variables
        otel = read_otel_env(environ)
        problems += otel.problems
        if otel.touches_exporters and "trace_exporter" not in store.data:
            store.inherit_trace()
        current = copy.deepcopy(store.data)  # patch() carries tables over from it
        store.apply(otel.patch(current, store.is_explicit, store.source_of, warnings))
    # 5. CODEX_OTEL_* variables, 6. explicit overrides
    for later in (codex_env, override):
        store.apply(later)

    if "trace_exporter" not in store.data:
        store.inherit_trace()
    if env_name and store.source_of("environment").layer == "default":
        store.apply(_sources.Fragment({"environment": env_name}, env_source))
    store.provenance["codex_home"] = home_source
    for param in schema.SETTINGS:
        if store.source_of(param.key) is DEFAULT_SOURCE:
            store.provenance.setdefault(param.key, DEFAULT_SOURCE)
    builder = Builder(copy.deepcopy(store.data), store.provenance, environ, lenient=lenient)
    settings = builder.build(codex_home=codex_home, warnings=warnings)
    problems = list(dict.fromkeys(problems + builder.problems))
    if problems and not lenient:
        raise SettingsError(problems)
    ignored = tuple(f"ignored: {p}" for p in problems)
    return replace(settings, warnings=ignored + settings.warnings) if ignored else settings


def _nothing_configured(
    files: Sequence[str | PathLike[str]] | None, environ: Mapping[str, str], codex_home: Path
) -> bool:
    """No layer above the defaults can say anything: only stats and a scan of ``environ``."""
    if files or (files is None and (environ.get("CODEX_OTEL_SETTINGS_FILES") or "").strip()):
        return False
    if files is None and any(_files.exists(p) for p in _files.default_files(codex_home)):
        return False
    for name, value in environ.items():
        ours = name.startswith("CODEX_OTEL_") and name not in schema.CONTROL_VARIABLES
        if name.startswith("OTEL_") or (ours and value.strip()):
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
    from codex_otel_config.settings import _sources

    paths, _ = _sources.settings_files(files, environ, codex_home_from(environ))
    names: dict[str, None] = {}
    for path in paths:
        for file in filter(None, (path, _sources.secrets_beside(path))):
            _, tables = _sources._split_top(file, _sources.read_toml(file, []) or {}, [])
            names.update(dict.fromkeys(name for name, _ in tables.values()))
    return tuple(sorted(names, key=lambda n: (n.lower() != "default", n.lower())))


def selected_env(env: str | None, environ: Mapping[str, str]) -> tuple[str | None, str | None]:
    """The selected environment table and what selected it (``None`` or ``CODEX_OTEL_ENV``)."""
    if env is not None and env.strip():
        return env.strip(), None
    value = (environ.get("CODEX_OTEL_ENV") or "").strip()
    return (value, "CODEX_OTEL_ENV") if value else (None, None)


@dataclass
class _Store:
    """The layers merged in order (the one merge of the loader), plus the provenance of each
    key: dynaconf's record of the file and table for file layers, the variable or override
    for the others.

    A later layer that names the same exporter kind merges into it; one that names another
    kind replaces it. Tables (headers, resource attributes, processors) merge key by key.
    """

    data: dict[str, Any] = field(default_factory=dict)
    provenance: dict[str, Source] = field(default_factory=dict)

    def source_of(self, key: str) -> Source:
        return source_in(self.provenance, key)

    def is_explicit(self, key: str) -> bool:
        """True when a layer above the built-in defaults chose this exporter."""
        source = self.provenance.get(key)
        if source is not None and key == "trace_exporter" and source.layer == "derived":
            return self.is_explicit("exporter")
        return source is not None and source.layer != "default"

    def _drop(self, top: str) -> None:
        """Forget ``top`` and the provenance recorded under it (a replaced exporter)."""
        self.data.pop(top, None)
        for key in [k for k in self.provenance if k == top or k.startswith(top + ".")]:
            del self.provenance[key]

    def apply(self, fragment: Fragment, *, authoritative: bool = False) -> None:
        """Merge one layer. ``authoritative`` (the declarative file): its exporters replace
        those below outright — what it leaves out is not inherited from a settings file."""
        if authoritative:
            for top in fragment.data.keys() & schema.EXPORTER_KEYS:
                self._drop(top)
        for top, value in copy.deepcopy(fragment.data).items():
            if top not in schema.EXPORTER_KEYS:
                self.data[top] = deep_merge(self.data.get(top), value)
                for leaf in leaves(top, value):  # an empty table or a scalar is a leaf itself
                    self.provenance[leaf] = fragment.source_for(leaf)
                continue
            ((kind, fields),) = value.items()
            inherits = top == "trace_exporter" and top not in self.data and fields
            if inherits and kind in (self.data.get("exporter") or {}):
                self.inherit_trace()
            same_kind = kind in (self.data.get(top) or {})
            if not same_kind:
                self._drop(top)
            self.data[top] = deep_merge(self.data.get(top), value)
            if not (same_kind and fields):
                self.provenance[top] = fragment.source_for(top)
            for leaf in leaves(f"{top}.{kind}", fields) if fields else ():
                self.provenance[leaf] = fragment.source_for(leaf)

    def inherit_trace(self) -> None:
        """``trace_exporter`` unset: it takes the value of ``exporter``, as in Codex; an
        ``otlp-http`` endpoint's ``/v1/logs`` path becomes ``/v1/traces``."""
        value = copy.deepcopy(self.data.get("exporter") or {"none": {}})
        ((kind, fields),) = value.items()
        endpoint = fields.get("endpoint") if kind == "otlp-http" else None
        renamed = isinstance(endpoint, str) and endpoint.endswith("/v1/logs")
        if renamed:
            fields["endpoint"] = fields["endpoint"].removesuffix("/v1/logs") + "/v1/traces"
        notes = {
            "trace_exporter" + key[len("exporter") :]: src.describe()
            for key, src in self.provenance.items()
            if key == "exporter" or key.startswith("exporter.")
        }
        notes.setdefault("trace_exporter", self.source_of("exporter").describe())
        if renamed:
            notes["trace_exporter.otlp-http.endpoint"] = (
                self.source_of("exporter.otlp-http.endpoint").describe()
                + "; its /v1/logs path became /v1/traces, where traces belong"
            )
        self._drop("trace_exporter")
        self.data["trace_exporter"] = value
        for key, note in notes.items():
            self.provenance[key] = Source(layer="derived", note=_INHERITED + note)
