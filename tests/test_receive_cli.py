"""``codex-otel-config receive`` in the foreground, fed by a separate process."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path
from queue import Empty, Queue

import pytest

from codex_otel_config.receiver import Receiver
from fixtures.check_cli import (
    CLI,
    HEADERS_ENV,
    CliRunner,
    grpc,
    http,
    without_proxies,
    write_settings,
)
from fixtures.check_cli import cli as cli

pytestmark = pytest.mark.timeout(60)


class Foreground:
    """A ``receive`` process whose stdout and stderr lines are read as they come."""

    def __init__(self, *args: str, cwd: Path) -> None:
        self.proc = subprocess.Popen(
            [CLI, "receive", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=cwd,
            env=without_proxies(os.environ),
        )
        self.out: Queue[str] = Queue()
        self.err: Queue[str] = Queue()
        self.stdout: list[str] = []
        self.stderr: list[str] = []
        for stream, queue in ((self.proc.stdout, self.out), (self.proc.stderr, self.err)):
            threading.Thread(target=self._pump, args=(stream, queue), daemon=True).start()

    @staticmethod
    def _pump(stream: object, queue: Queue[str]) -> None:
        for line in stream:  # type: ignore[attr-defined]
            queue.put(line.rstrip("\n"))

    def line(self, queue: Queue[str], seen: list[str], timeout: float = 10) -> str:
        try:
            line = queue.get(timeout=timeout)
        except Empty:
            raise AssertionError(f"no line within {timeout} s; so far {seen}") from None
        seen.append(line)
        return line

    def until(self, predicate: object, timeout: float = 10) -> list[str]:
        lines: list[str] = []
        while not predicate(lines):  # type: ignore[operator]
            lines.append(self.line(self.out, self.stdout, timeout))
        return lines

    def stop(self) -> int:
        self.proc.send_signal(signal.SIGINT)
        code = self.proc.wait(timeout=10)
        while not self.err.empty():
            self.stderr.append(self.err.get())
        return code


def _urls(banner: str) -> tuple[str, str]:
    http_url, grpc_url = re.findall(r"(http://127\.0\.0\.1:\d+)", banner)
    return http_url, grpc_url


@pytest.mark.parametrize("as_json", [True, False], ids=["json", "lines"])
def test_receive_prints_what_another_process_sends(
    cli: CliRunner, tmp_path: Path, as_json: bool
) -> None:
    fg = Foreground("--http", "0", "--grpc", "0", *(["--json"] if as_json else []), cwd=tmp_path)
    try:
        banner = fg.line(fg.err, fg.stderr)
        assert banner.startswith("listening:"), banner
        http_url, grpc_url = _urls(banner)
        path = write_settings(
            tmp_path / "otel.toml",
            {
                "default": {
                    "exporter": http(http_url),
                    "trace_exporter": grpc(grpc_url),
                    "metrics_exporter": http(http_url, "json"),
                }
            },
        )
        sent = cli("send-test-events", "--config", str(path), env=HEADERS_ENV)
        assert sent.returncode == 0, sent.output
        if as_json:
            lines = fg.until(
                lambda ls: (
                    sum('"type": "log"' in x for x in ls) >= 3
                    and any('"type": "span"' in x for x in ls)
                    and any('"type": "metric"' in x for x in ls)
                )
            )
            items = [json.loads(x) for x in lines]
            logs = [i for i in items if i["type"] == "log"]
            assert [i["event_name"] for i in logs] == [
                "codex.api_request",
                "codex.auth_recovery",
                "codex.api_request",
            ]
            assert logs[0]["attributes"]["codex.test_event"] is True
        else:
            lines = fg.until(
                lambda ls: (
                    sum(x.startswith("log") for x in ls) >= 3
                    and any(x.startswith("span") for x in ls)
                    and any(x.startswith("metric") for x in ls)
                )
            )
            assert any("codex.auth_recovery" in x for x in lines)
            assert any("codex.test_event.auth_401" in x and "via grpc" in x for x in lines)
    finally:
        code = fg.stop()
    assert code == 0
    assert fg.stderr and fg.stderr[-1].startswith("received 1 spans, 3 log records")
    for line in fg.stdout + fg.stderr:
        assert "Bearer" not in line and "Traceback" not in line


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (("--redirect", "https://elsewhere.example/v1/logs"), "redirected"),
        (("--reject", "-1", "--reject-message", "quota"), "partial_success"),
    ],
    ids=["redirect", "reject"],
)
def test_receive_answers_like_other_collectors(
    cli: CliRunner, tmp_path: Path, args: tuple[str, ...], code: str
) -> None:
    """Issue #12: the console script's receiver redirects or rejects, and send-test-events
    (another console script) says nothing was delivered."""
    fg = Foreground("--http", "0", "--grpc", "0", *args, cwd=tmp_path)
    try:
        http_url, grpc_url = _urls(fg.line(fg.err, fg.stderr))
        path = write_settings(
            tmp_path / "otel.toml",
            {"default": {"exporter": http(http_url), "trace_exporter": grpc(grpc_url)}},
        )
        sent = cli("send-test-events", "--json", "--timeout", "3", "--config", str(path))
    finally:
        assert fg.stop() == 0
    assert sent.returncode == 1, sent.output
    logs = sent.json()["flush"]["signals"]["logs"]
    assert logs["error"]["code"] == code and logs["exported"] == 0


def test_receive_strict_json_catches_an_empty_object(tmp_path: Path) -> None:
    import urllib.error
    import urllib.request

    fg = Foreground("--http", "0", "--grpc", "0", "--strict-json", cwd=tmp_path)
    try:
        http_url, _ = _urls(fg.line(fg.err, fg.stderr))
        request = urllib.request.Request(
            f"{http_url}/v1/traces",
            data=b"{}",
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with pytest.raises(urllib.error.HTTPError) as caught:
            urllib.request.urlopen(request, timeout=5)
    finally:
        assert fg.stop() == 0
    assert caught.value.code == 400
    assert b"missing field resourceSpans" in caught.value.read()


@pytest.mark.parametrize("busy", ["http", "grpc"])
def test_a_busy_port_is_a_clear_error(cli: CliRunner, receiver: Receiver, busy: str) -> None:
    ports = {"http": "0", "grpc": "0"}
    ports[busy] = str(receiver.http_port if busy == "http" else receiver.grpc_port)
    run = cli("receive", "--http", ports["http"], "--grpc", ports["grpc"], timeout=20)
    assert run.returncode == 1, run.output
    assert "cannot listen" in run.stderr and "--grpc PORT" in run.stderr
    assert "RuntimeError" not in run.stderr


def test_sigterm_stops_it_too(tmp_path: Path) -> None:
    fg = Foreground("--http", "0", "--grpc", "0", cwd=tmp_path)
    assert fg.line(fg.err, fg.stderr).startswith("listening:")
    fg.proc.send_signal(signal.SIGTERM)
    assert fg.proc.wait(timeout=10) == 0


def test_help_is_fast_to_reach() -> None:
    out = subprocess.run([CLI, "--help"], capture_output=True, text=True, timeout=30, check=False)
    for name in ("check", "send-test-events", "receive"):
        assert name in out.stdout
    assert sys.executable  # the console script lives beside the interpreter
