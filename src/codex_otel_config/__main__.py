"""``python -m codex_otel_config``: the same as the ``codex-otel-config`` console script."""

from codex_otel_config.cli.main import main

if __name__ == "__main__":
    main(prog_name="codex-otel-config")
