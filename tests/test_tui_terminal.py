"""The real console script in tmux: SIGTERM or SIGHUP end the TUI the way ``q`` does, so the
terminal is given back in the modes it had (stty), off the alternate screen, with mouse
tracking off and the cursor shown (issue 11, item 7)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from fixtures.check_cli import CLI, without_proxies

pytestmark = [
    pytest.mark.timeout(90),
    pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux (apt-get install tmux)"),
]

#: tmux's view of the pane: alternate screen, the mouse modes, cursor visibility.
PANE_FORMAT = (
    "#{alternate_on} #{mouse_any_flag} #{mouse_button_flag} #{mouse_standard_flag} "
    "#{mouse_sgr_flag} #{cursor_flag}"
)
RESTORED = "0 0 0 0 0 1"


class Tmux:
    def __init__(self, socket: str) -> None:
        self.socket = socket

    def __call__(self, *args: str) -> str:
        done = subprocess.run(
            ["tmux", "-L", self.socket, "-f", "/dev/null", *args],
            capture_output=True,
            text=True,
            timeout=20,
            check=True,
        )
        return done.stdout


@pytest.fixture
def tmux(tmp_path: Path) -> Iterator[Tmux]:
    server = Tmux(f"codex-otel-test-{os.getpid()}-{tmp_path.name}")
    try:
        yield server
    finally:
        subprocess.run(
            ["tmux", "-L", server.socket, "kill-server"], capture_output=True, timeout=20
        )


def _wait(condition: object, what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if callable(condition) and condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
def test_signal_restores_the_terminal(sig: signal.Signals, tmux: Tmux, tmp_path: Path) -> None:
    settings = tmp_path / "s.toml"
    settings.write_text('[default]\nservice_name = "tmux-test"\n', encoding="utf-8")
    script = tmp_path / "run.sh"
    script.write_text(
        "stty -g > before\n"
        'sh -c \'echo $$ > pid; exec "$0" tui --config "$1"\' "$CLI" "$SETTINGS"\n'
        "echo $? > rc\n"
        "stty -g > after\n"
        "sleep 600\n",
        encoding="utf-8",
    )
    environ = without_proxies(os.environ) | {"CLI": CLI, "SETTINGS": str(settings)}
    env_args = [
        arg
        for name in ("PATH", "HOME", "CLI", "SETTINGS")
        for arg in ("-e", f"{name}={environ.get(name, '')}")
    ]
    tmux(
        "new-session", "-d", "-x", "80", "-y", "24", "-c", str(tmp_path), *env_args, f"sh {script}"
    )
    _wait(lambda: "Validate" in tmux("capture-pane", "-p"), "the TUI on screen")
    # Running: the TUI really switched the terminal (else the test would prove nothing).
    running = tmux("display-message", "-p", PANE_FORMAT).split()
    assert running[0] == "1" and running[1] == "1", running  # alternate screen, mouse on
    pid = int((tmp_path / "pid").read_text())

    os.kill(pid, sig)
    _wait(lambda: (tmp_path / "after").exists(), "the TUI to exit")

    assert int((tmp_path / "rc").read_text()) == 128 + int(sig)
    assert (tmp_path / "after").read_text() == (tmp_path / "before").read_text()  # stty modes
    assert tmux("display-message", "-p", PANE_FORMAT).strip() == RESTORED
