"""Feedback tags: the store, the two 401 emitters (``util_tests.rs``), and Sentry."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from typing import Any

import pytest

from codex_otel_config.telemetry import (
    AuthEnvTelemetry,
    FeedbackRequestTags,
    FeedbackTagStore,
    emit_feedback_auth_recovery_tags,
    emit_feedback_request_tags,
    feedback_tags,
    recovery_followup,
)

AUTH_ENV = AuthEnvTelemetry(
    openai_api_key_env_present=True,
    codex_api_key_env_present=False,
    codex_api_key_env_enabled=True,
    provider_env_key_name="configured",
    provider_env_key_present=True,
    refresh_token_url_override_present=True,
)


def assert_has(actual: Mapping[str, Any], expected: Mapping[str, Any]) -> None:
    """``actual`` holds every key of ``expected`` with that value and type (``True`` ≠ ``1``)."""
    found = {key: (type(actual.get(key)).__name__, actual.get(key, "<absent>")) for key in expected}
    assert found == {key: (type(value).__name__, value) for key, value in expected.items()}


@pytest.fixture
def store() -> FeedbackTagStore:
    return FeedbackTagStore()


def full_request(**changes: Any) -> FeedbackRequestTags:
    fields: dict[str, Any] = {
        "endpoint": "/responses",
        "auth_header_attached": True,
        "auth_header_name": "authorization",
        "auth_mode": "chatgpt",
        "auth_retry_after_unauthorized": False,
        "auth_recovery_mode": "managed",
        "auth_recovery_phase": "refresh_token",
        "auth_connection_reused": True,
        "auth_request_id": "req-123",
        "auth_cf_ray": "ray-123",
        "auth_error": "missing_authorization_header",
        "auth_error_code": "token_expired",
        "auth_recovery_followup_success": True,
        "auth_recovery_followup_status": 200,
    }
    fields.update(changes)
    return FeedbackRequestTags(**fields)


def test_records_request_fields(store: FeedbackTagStore) -> None:
    default_before = feedback_tags()
    emit_feedback_request_tags(full_request(), auth_env=AUTH_ENV, store=store)
    assert feedback_tags() == default_before  # an explicit store is the only one written
    tags = feedback_tags(store)
    assert_has(
        tags,
        {
            "endpoint": "/responses",
            "auth_header_attached": "true",
            "auth_header_name": "authorization",
            "auth_request_id": "req-123",
            "auth_error_code": "token_expired",
            "auth_recovery_followup_success": "true",
            "auth_recovery_followup_status": "200",
            "auth_env_openai_api_key_present": "true",
            "auth_env_codex_api_key_present": "false",
            "auth_env_provider_key_name": "configured",
            "auth_env_provider_key_present": "true",
            "auth_env_refresh_token_url_override_present": "true",
        },
    )


def test_preserves_latest_auth_fields_after_unauthorized(store: FeedbackTagStore) -> None:
    emit_feedback_request_tags(
        full_request(
            auth_retry_after_unauthorized=True,
            auth_connection_reused=None,
            auth_recovery_followup_success=False,
            auth_recovery_followup_status=401,
        ),
        store=store,
    )
    tags = feedback_tags(store)
    assert_has(
        tags,
        {
            "auth_request_id": "req-123",
            "auth_cf_ray": "ray-123",
            "auth_error": "missing_authorization_header",
            "auth_error_code": "token_expired",
            "auth_recovery_followup_success": "false",
            "auth_recovery_followup_status": "401",
            "auth_retry_after_unauthorized": "true",
            "auth_connection_reused": "",
        },
    )


def test_clears_stale_latest_auth_fields(store: FeedbackTagStore) -> None:
    emit_feedback_request_tags(full_request(), auth_env=AUTH_ENV, store=store)
    emit_feedback_request_tags(
        FeedbackRequestTags(endpoint="/responses", auth_header_attached=True), store=store
    )
    tags = feedback_tags(store)
    for key in (
        "auth_header_name",
        "auth_mode",
        "auth_request_id",
        "auth_cf_ray",
        "auth_error",
        "auth_error_code",
        "auth_recovery_followup_success",
        "auth_recovery_followup_status",
    ):
        assert tags[key] == "", key
    # A legacy emitter (no auth_env) leaves the earlier auth_env_* facts in place.
    assert tags["auth_env_openai_api_key_present"] == "true"
    assert tags["auth_env_provider_key_name"] == "configured"


def test_preserves_401_specific_fields(store: FeedbackTagStore) -> None:
    emit_feedback_auth_recovery_tags(
        "managed",
        "refresh_token",
        "recovery_succeeded",
        "req-401",
        "ray-401",
        "missing_authorization_header",
        "token_expired",
        store=store,
    )
    expected_401 = {
        "auth_401_request_id": "req-401",
        "auth_401_cf_ray": "ray-401",
        "auth_401_error": "missing_authorization_header",
        "auth_401_error_code": "token_expired",
    }
    assert_has(
        feedback_tags(store),
        {
            **expected_401,
            "auth_recovery_mode": "managed",
            "auth_recovery_phase": "refresh_token",
            "auth_recovery_outcome": "recovery_succeeded",
        },
    )
    # The retried request succeeds: the latest-request facts change, the 401 evidence stays.
    followup_success, followup_status = recovery_followup(True, None, 200)
    emit_feedback_request_tags(
        FeedbackRequestTags(
            endpoint="/responses",
            auth_header_attached=True,
            auth_header_name="authorization",
            auth_retry_after_unauthorized=True,
            auth_request_id="req-200",
            auth_recovery_followup_success=followup_success,
            auth_recovery_followup_status=followup_status,
        ),
        store=store,
    )
    tags = feedback_tags(store)
    assert_has(tags, expected_401)
    assert tags["auth_request_id"] == "req-200"
    assert tags["auth_error"] == ""
    assert tags["auth_recovery_followup_success"] == "true"
    assert tags["auth_recovery_followup_status"] == "200"


def test_second_401_with_fewer_facts_clears_stale_401_fields(store: FeedbackTagStore) -> None:
    emit_feedback_auth_recovery_tags(
        "managed",
        "refresh_token",
        "recovery_failed_transient",
        "req-401-a",
        "ray-401-a",
        "missing_authorization_header",
        "token_expired",
        store=store,
    )
    emit_feedback_auth_recovery_tags(
        "managed", "done", "recovery_not_run", "req-401-b", None, None, None, store=store
    )
    tags = feedback_tags(store)
    assert tags["auth_401_request_id"] == "req-401-b"
    assert tags["auth_401_cf_ray"] == ""
    assert tags["auth_401_error"] == ""
    assert tags["auth_401_error_code"] == ""
    assert tags["auth_recovery_outcome"] == "recovery_not_run"
    assert tags["auth_recovery_phase"] == "done"


def test_recovery_followup_only_on_retry() -> None:
    assert recovery_followup(False, None, 200) == (None, None)
    assert recovery_followup(True, "http 401", 401) == (False, 401)
    assert recovery_followup(True, None, None) == (True, None)


def test_store_refuses_reserved_keys_and_caps_new_keys(caplog: pytest.LogCaptureFixture) -> None:
    store = FeedbackTagStore(max_tags=3)
    store.update({"thread_id": "t", "classification": "bug", "a": "1", "b": "2", "c": "3"})
    assert feedback_tags(store) == {"a": "1", "b": "2", "c": "3"}
    with caplog.at_level(logging.WARNING, logger="codex_otel_config.telemetry"):
        store.update({"d": "4", "a": "updated"})
        store.update({"d": "4"})
    assert feedback_tags(store) == {"a": "updated", "b": "2", "c": "3"}
    assert caplog.text.count("capped at 3 keys") == 1  # warned once per dropped key


def test_default_cap_is_64() -> None:
    store = FeedbackTagStore()
    store.update({f"k{i}": str(i) for i in range(100)})
    assert len(store) == 64


def test_snapshot_is_a_copy(store: FeedbackTagStore) -> None:
    store.set("a", "1")
    snapshot = feedback_tags(store)
    snapshot["a"] = "changed"
    assert store.get("a") == "1"


def test_auth_env_from_environ_reports_presence_only() -> None:
    environ = {
        "OPENAI_API_KEY": "sk-secret-value",
        "CODEX_API_KEY": "   ",
        "MY_PROVIDER_KEY": "provider-secret",
    }
    env = AuthEnvTelemetry.from_environ(environ, provider_env_key="MY_PROVIDER_KEY")
    assert env == AuthEnvTelemetry(
        openai_api_key_env_present=True,
        codex_api_key_env_present=False,  # blank counts as absent
        codex_api_key_env_enabled=False,
        provider_env_key_name="configured",
        provider_env_key_present=True,
        refresh_token_url_override_present=False,
    )
    rendered = repr(env) + repr(env.attributes()) + repr(env.feedback_tags())
    for secret in ("sk-secret-value", "provider-secret", "MY_PROVIDER_KEY"):
        assert secret not in rendered
    assert AuthEnvTelemetry(provider_env_key_name="MY_KEY").provider_env_key_name == "configured"
    assert "auth.env_provider_key_name" not in AuthEnvTelemetry.from_environ({}).attributes()


# -- Sentry -------------------------------------------------------------------------------


class MemoryTransport:
    """Built lazily as a ``sentry_sdk.transport.Transport`` that keeps envelopes."""

    @staticmethod
    def make() -> Any:
        from sentry_sdk.transport import Transport

        class _Memory(Transport):
            def __init__(self, options: Any = None) -> None:
                super().__init__(options)
                self.events: list[dict[str, Any]] = []

            def capture_envelope(self, envelope: Any) -> None:
                event = envelope.get_event()
                if event is not None:
                    self.events.append(event)

        return _Memory()


@pytest.fixture
def sentry() -> Iterator[Any]:
    sentry_sdk = pytest.importorskip("sentry_sdk")
    transport = MemoryTransport.make()
    sentry_sdk.init(
        dsn="https://public@sentry.example.invalid/1",
        transport=transport,
        default_integrations=False,
        auto_enabling_integrations=False,
    )
    try:
        with sentry_sdk.isolation_scope():
            yield transport
    finally:
        sentry_sdk.get_client().close()
        sentry_sdk.init()  # back to a disabled client


def test_sentry_events_carry_fitted_feedback_tags(sentry: Any, store: FeedbackTagStore) -> None:
    import sentry_sdk

    from codex_otel_config.telemetry.sentry import install_sentry_integration

    uninstall = install_sentry_integration(store)
    try:
        assert install_sentry_integration(store) is uninstall  # installed once per store
        emit_feedback_request_tags(full_request(), auth_env=AUTH_ENV, store=store)
        emit_feedback_auth_recovery_tags(
            "managed", "reload", "recovery_succeeded", "req-401", None, None, None, store=store
        )
        store.set("long_value", "x" * 500)
        store.set("multi", "line one\nline two")
        sentry_sdk.capture_message("user filed a bug report")
    finally:
        uninstall()
    (event,) = sentry.events
    tags = event["tags"]
    assert tags["auth_request_id"] == "req-123"
    assert tags["auth_401_request_id"] == "req-401"
    assert "auth_401_cf_ray" not in tags  # cleared facts are not sent as empty tags
    assert tags["auth_env_refresh_url_override"] == "true"  # 43-char key aliased
    assert "auth_env_refresh_token_url_override_present" not in tags
    assert len(tags["long_value"]) == 200
    assert tags["multi"] == "line one line two"
    assert all(len(key) <= 32 for key in tags)
    assert all(0 < len(value) <= 200 and "\n" not in value for value in tags.values())
    context = event["contexts"]["codex_feedback"]
    assert context["auth_env_refresh_token_url_override_present"] == "true"
    assert context["auth_401_cf_ray"] == ""
    # uninstalled: a later event carries no feedback tags
    sentry_sdk.capture_message("after uninstall")
    assert "auth_request_id" not in sentry.events[-1].get("tags", {})


def test_set_sentry_tags_on_current_scope(sentry: Any, store: FeedbackTagStore) -> None:
    import sentry_sdk

    from codex_otel_config.telemetry.sentry import sentry_tag_key, set_sentry_tags

    emit_feedback_request_tags(full_request(), store=store)
    set_sentry_tags(store=store)
    emit_feedback_request_tags(FeedbackRequestTags("/models", False), store=store)
    set_sentry_tags(store=store)  # the second request cleared auth_request_id
    sentry_sdk.capture_message("report")
    (event,) = sentry.events
    assert event["tags"]["endpoint"] == "/models"
    assert event["tags"]["auth_header_attached"] == "false"
    assert "auth_request_id" not in event["tags"]
    long_key = "application_specific_feedback_tag_name"
    fitted = sentry_tag_key(long_key)
    assert len(fitted) == 32 and fitted == sentry_tag_key(long_key)
    assert fitted.startswith("application_specific_fe")
