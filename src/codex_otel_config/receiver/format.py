"""One received item as a human line or a JSON object: what ``codex-otel-config receive`` prints."""

from __future__ import annotations

import base64
import dataclasses
import json
from collections.abc import Mapping
from typing import Any

from .records import Item, ReceivedLogRecord, ReceivedMetricPoint, ReceivedSpan

_MAX_VALUE = 120

KIND_OF_ITEM = {ReceivedSpan: "span", ReceivedLogRecord: "log", ReceivedMetricPoint: "metric"}


def item_to_json(item: Item) -> dict[str, Any]:
    """A JSON-serialisable dict with every field and ``"type"``: span, log or metric."""
    fields = {f.name: _jsonable(getattr(item, f.name)) for f in dataclasses.fields(item)}
    return {"type": KIND_OF_ITEM[type(item)], **fields}


def format_item(item: Item) -> str:
    """One line a person can scan: type, name, ids or value, attributes, service and protocol."""
    if isinstance(item, ReceivedSpan):
        parts = [f"span    {item.name}", f"trace={item.trace_id}", f"span={item.span_id}"]
        parts += _pairs(item.attributes)
        if item.events:
            parts.append("events=" + ",".join(event.name for event in item.events))
    elif isinstance(item, ReceivedLogRecord):
        label = item.name or _short(item.body)
        parts = [f"log     {label}"]
        if item.severity_text:
            parts.append(item.severity_text)
        parts += _pairs(item.attributes, skip=("event.name",))
        if item.name and item.body not in (None, ""):
            parts.append(f"body={_short(item.body)}")
    else:
        parts = [f"metric  {item.name}", item.kind]
        if item.value is not None:
            parts.append(f"value={_short(item.value)}")
        if item.count is not None:
            parts.append(f"count={item.count} sum={_short(item.sum)}")
        parts += _pairs(item.attributes)
    service = item.resource.get("service.name")
    parts.append(f"[{service or '?'} via {item.protocol}]")
    return "  ".join(parts)


def _pairs(attributes: Mapping[str, Any], skip: tuple[str, ...] = ()) -> list[str]:
    return [f"{key}={_short(value)}" for key, value in attributes.items() if key not in skip]


def _short(value: Any) -> str:
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, str):
        text = value if value and not any(c.isspace() for c in value) else json.dumps(value)
    else:
        text = json.dumps(_jsonable(value), separators=(",", ":"))
    return text if len(text) <= _MAX_VALUE else text[: _MAX_VALUE - 1] + "…"


def _jsonable(value: Any) -> Any:
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    return value
