"""The ``codex-otel-config`` console script: presentation only, over the library calls."""
