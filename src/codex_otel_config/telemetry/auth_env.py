"""Which auth-related environment variables are set — presence only, never values.

The crate's ``AuthEnvTelemetry`` (#14905): enough to tell "you have OPENAI_API_KEY set,
which overrides your login" apart from other 401 causes, without exporting a secret or
even the name of a custom provider variable (that becomes ``"configured"``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from codex_otel_config.redaction import register_environ, register_secret
from codex_otel_config.telemetry import names as n

OPENAI_API_KEY_ENV = "OPENAI_API_KEY"
CODEX_API_KEY_ENV = "CODEX_API_KEY"
REFRESH_TOKEN_URL_OVERRIDE_ENV = "CODEX_REFRESH_TOKEN_URL_OVERRIDE"


def _present(environ: Mapping[str, str], name: str) -> bool:
    # Set and not blank. The value is looked at only to test for blankness; it is never
    # stored, returned or logged.
    value = environ.get(name)
    return value is not None and bool(value.strip())


@dataclass(frozen=True)
class AuthEnvTelemetry:
    """Presence flags for the auth variables; ``provider_env_key_name`` is ``configured``/None."""

    openai_api_key_env_present: bool = False
    codex_api_key_env_present: bool = False
    codex_api_key_env_enabled: bool = False
    provider_env_key_name: str | None = None
    provider_env_key_present: bool | None = None
    refresh_token_url_override_present: bool = False

    def __post_init__(self) -> None:
        if self.provider_env_key_name not in (None, n.PROVIDER_KEY_CONFIGURED):
            # Never carry a real variable name: bucket it, as the crate does.
            object.__setattr__(self, "provider_env_key_name", n.PROVIDER_KEY_CONFIGURED)

    @classmethod
    def from_environ(
        cls,
        environ: Mapping[str, str] | None = None,
        *,
        provider_env_key: str | None = None,
        codex_api_key_env_enabled: bool = False,
    ) -> AuthEnvTelemetry:
        """Snapshot ``environ`` (default ``os.environ``).

        ``provider_env_key`` is the custom provider's ``env_key`` (its name is reported only
        as ``configured``); ``codex_api_key_env_enabled`` comes from the auth manager.
        """
        env = os.environ if environ is None else environ
        register_environ(env)  # the keys it reports the presence of are masked in any output
        if provider_env_key:
            register_secret(env.get(provider_env_key))
        return cls(
            openai_api_key_env_present=_present(env, OPENAI_API_KEY_ENV),
            codex_api_key_env_present=_present(env, CODEX_API_KEY_ENV),
            codex_api_key_env_enabled=codex_api_key_env_enabled,
            provider_env_key_name=n.PROVIDER_KEY_CONFIGURED if provider_env_key else None,
            provider_env_key_present=_present(env, provider_env_key) if provider_env_key else None,
            refresh_token_url_override_present=_present(env, REFRESH_TOKEN_URL_OVERRIDE_ENV),
        )

    def attributes(self) -> dict[str, bool | str]:
        """The ``auth.env_*`` event attributes (absent optionals omitted)."""
        attrs: dict[str, bool | str] = {
            n.AUTH_ENV_OPENAI_API_KEY_PRESENT: self.openai_api_key_env_present,
            n.AUTH_ENV_CODEX_API_KEY_PRESENT: self.codex_api_key_env_present,
            n.AUTH_ENV_CODEX_API_KEY_ENABLED: self.codex_api_key_env_enabled,
        }
        if self.provider_env_key_name is not None:
            attrs[n.AUTH_ENV_PROVIDER_KEY_NAME] = self.provider_env_key_name
        if self.provider_env_key_present is not None:
            attrs[n.AUTH_ENV_PROVIDER_KEY_PRESENT] = self.provider_env_key_present
        attrs[n.AUTH_ENV_REFRESH_TOKEN_URL_OVERRIDE_PRESENT] = (
            self.refresh_token_url_override_present
        )
        return attrs

    def feedback_tags(self) -> dict[str, str]:
        """The ``auth_env_*`` feedback tags (missing values as ``""``)."""
        return {
            "auth_env_openai_api_key_present": _flag(self.openai_api_key_env_present),
            "auth_env_codex_api_key_present": _flag(self.codex_api_key_env_present),
            "auth_env_codex_api_key_enabled": _flag(self.codex_api_key_env_enabled),
            "auth_env_provider_key_name": self.provider_env_key_name or "",
            "auth_env_provider_key_present": (
                ""
                if self.provider_env_key_present is None
                else _flag(self.provider_env_key_present)
            ),
            "auth_env_refresh_token_url_override_present": _flag(
                self.refresh_token_url_override_present
            ),
        }


def _flag(value: bool) -> str:
    return "true" if value else "false"
