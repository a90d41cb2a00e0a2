"""dynaconf loads the settings files: ``[default]`` + the selected environment table of each
file and of the ``.secrets.toml`` beside it, in load order (its environments rules: table
names are case-insensitive), and records where each chunk came from. :func:`file_chunks`
returns that record (dynaconf's ``get_history``): one chunk per (file, environment table) with
the values dynaconf read, which the loader validates against the schema and merges with the
other layers, each leaf keeping the file and table dynaconf says it came from.

Only dynaconf's TOML loader is asked to run: its environment-variable and ``.env`` loaders are
off (the variable layers are read from the ``environ`` the caller passes). dynaconf applies its
own ``*_FOR_DYNACONF`` variables from ``os.environ`` when it sets itself up, over its init
arguments (``ENVIRONMENTS_FOR_DYNACONF=false`` would drop the environment tables,
``AUTO_CAST_FOR_DYNACONF=true`` cast ``@…`` strings, ``SETTINGS_FILE_FOR_DYNACONF`` load a file
of its own): our settings are applied again after that, and only the chunks ``load_file`` read
from our files for our two tables are used.
Imported only when a settings file with an environment table exists.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

#: How dynaconf is asked to read our files: environments on, its TOML loader only, no variable
#: or ``.env`` loader (the variables are layers 4 and 5, read from the caller's ``environ``),
#: no casting of ``@…`` strings, no files of its own.
_OURS: dict[str, object] = {
    "ENVIRONMENTS_FOR_DYNACONF": True,
    "DEFAULT_ENV_FOR_DYNACONF": "default",
    "ENV_FOR_DYNACONF": "default",
    "CORE_LOADERS_FOR_DYNACONF": ["TOML"],
    "LOADERS_FOR_DYNACONF": [],
    "LOAD_DOTENV_FOR_DYNACONF": False,
    "AUTO_CAST_FOR_DYNACONF": False,
    "MERGE_ENABLED_FOR_DYNACONF": False,
    "DOTTED_LOOKUP_FOR_DYNACONF": False,
    "VALIDATE_ON_UPDATE_FOR_DYNACONF": False,
    "ENVVAR_FOR_DYNACONF": "CODEX_OTEL_DYNACONF_UNUSED",
    "ENVVAR_PREFIX_FOR_DYNACONF": "CODEX_OTEL_DYNACONF_UNUSED",
    "SETTINGS_FILE_FOR_DYNACONF": [],
    "SECRETS_FOR_DYNACONF": [],
    "INCLUDES_FOR_DYNACONF": [],
    "PRELOAD_FOR_DYNACONF": [],
}


#: The loader name our chunks carry in dynaconf's history.
_LOADER = "codex-otel-config"


def file_chunks(
    paths: Sequence[Path], env_name: str | None
) -> list[tuple[Path, str, dict[str, Any]]]:
    """What dynaconf loaded from ``paths`` (absolute, already checked to be small regular
    TOML files), in the order it loaded them: (file, table lower-cased, the table's values as
    dynaconf read them — top-level keys upper-cased) for ``[default]`` and ``[env_name]``."""
    from dynaconf import Dynaconf
    from dynaconf.loaders import toml_loader
    from dynaconf.utils.inspect import get_history

    settings = Dynaconf(**_OURS)
    # dynaconf applies the *_FOR_DYNACONF variables of os.environ on top of its init arguments
    # when it sets itself up (ENVIRONMENTS_FOR_DYNACONF=false would drop every environment
    # table, AUTO_CAST_FOR_DYNACONF=true would cast "@int …" strings): ours are set again after.
    settings.update(_OURS)
    names = [str(p) for p in paths]
    for name in names:
        # dynaconf's TOML loader, as its load_file() runs it for each file, minus load_file's
        # naming of its caller in the history (inspect.getouterframes: ~10 ms at start-up).
        toml_loader.load(
            settings, env=(env_name or "default").upper(), filename=name, identifier=_LOADER
        )
    wanted = {"default", (env_name or "default").lower()}
    return [
        (Path(entry["identifier"]), str(entry["env"]).lower(), dict(entry["value"]))
        for entry in get_history(settings)
        if entry["loader"] == _LOADER  # not a file SETTINGS_FILE_FOR_DYNACONF added
        and entry["identifier"] in names
        and str(entry["env"]).lower() in wanted
    ]
