"""``codex-otel-config receive``: the package's OTLP receiver in the foreground.

Point an application at it and see what it really sends: one line per span, log record and
metric point as it arrives (``--json``: one JSON object per line on stdout), until SIGINT or
SIGTERM. Where it listens, and the totals at the end, go to stderr so stdout stays clean.
"""

from __future__ import annotations

import json
import signal
import sys
import threading
from types import FrameType
from typing import Any

import click

EXIT_BUSY = 1


@click.command("receive")
@click.option(
    "--http",
    "http_port",
    type=click.IntRange(0, 65535),
    default=4318,
    show_default=True,
    metavar="PORT",
    help="OTLP/HTTP port (protobuf and JSON); 0 picks a free one.",
)
@click.option(
    "--grpc",
    "grpc_port",
    type=click.IntRange(0, 65535),
    default=4317,
    show_default=True,
    metavar="PORT",
    help="OTLP/gRPC port; 0 picks a free one.",
)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on (loopback by default; 0.0.0.0 exposes it to the network).",
)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per item and line.")
@click.option(
    "--strict-json",
    is_flag=True,
    help="Decode OTLP JSON like the strictest collectors: no top-level resource field is a 400.",
)
@click.option(
    "--redirect",
    metavar="URL",
    help="Answer every export with 308 and this Location (like a load balancer): nothing is kept.",
)
@click.option(
    "--reject",
    type=click.IntRange(min=-1),
    metavar="N",
    help="Answer 200 with an OTLP partial success rejecting N items of each request (-1: all; "
    "0: a warning only).",
)
@click.option(
    "--reject-message",
    default="rejected by the receiver (--reject)",
    show_default=True,
    help="The partial success's error message.",
)
def receive(
    http_port: int,
    grpc_port: int,
    host: str,
    as_json: bool,
    strict_json: bool,
    redirect: str | None,
    reject: int | None,
    reject_message: str,
) -> None:
    """Run a local OTLP receiver and print each span, log record and metric point it gets.

    --strict-json, --redirect and --reject make it answer like other collectors do, to see
    what an application (or `check`, `send-test-events`) makes of it.
    """
    from codex_otel_config.receiver import Behavior, Receiver, format_item, item_to_json
    from codex_otel_config.redaction import terminal_safe

    if redirect is not None:
        behavior = Behavior.redirect(redirect)
    elif reject is not None:
        behavior = Behavior.partial(reject, reject_message)
    else:
        behavior = Behavior()
    if strict_json:
        from dataclasses import replace

        behavior = replace(behavior, strict_json=True)

    lock = threading.Lock()
    stop = threading.Event()

    def on_item(item: Any) -> None:
        if as_json:
            line = json.dumps(item_to_json(item), default=str)
        else:  # what a client sent, shown with its control characters escaped
            line = terminal_safe(format_item(item), newlines=True)
        with lock:
            try:
                sys.stdout.write(line + "\n")
                sys.stdout.flush()
            except (BrokenPipeError, ValueError):
                stop.set()  # the reader went away: stop quietly

    receiver = Receiver(
        host=host, http_port=http_port, grpc_port=grpc_port, on_item=on_item, behavior=behavior
    )
    try:
        receiver.start()
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        click.echo(
            f"error: cannot listen on {host} (HTTP {http_port}, gRPC {grpc_port}): {reason}; "
            "choose other ports with --http PORT --grpc PORT (0 picks a free one)",
            err=True,
        )
        raise SystemExit(EXIT_BUSY) from None

    def on_signal(_number: int, _frame: FrameType | None) -> None:
        stop.set()

    previous = {
        number: signal.signal(number, on_signal) for number in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        click.echo(
            f"listening: OTLP/HTTP {receiver.http_url} (/v1/traces, /v1/logs, /v1/metrics), "
            f"OTLP/gRPC {receiver.grpc_url} — Ctrl-C to stop",
            err=True,
        )
        while not stop.wait(0.5):
            pass
    finally:
        receiver.stop()
        for number, handler in previous.items():
            signal.signal(number, handler)
        click.echo(
            f"received {len(receiver.spans)} spans, {len(receiver.log_records)} log records, "
            f"{len(receiver.metric_points)} metric points in {len(receiver.requests)} requests",
            err=True,
        )
