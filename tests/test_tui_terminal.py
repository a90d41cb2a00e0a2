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
    after = tmp_path / "after"
    _wait(lambda: after.exists() and after.read_text().endswith("\n"), "the TUI to exit")

    assert int((tmp_path / "rc").read_text()) == 128 + int(sig)
    assert (tmp_path / "after").read_text() == (tmp_path / "before").read_text()  # stty modes
    assert tmux("display-message", "-p", PANE_FORMAT).strip() == RESTORED


@pytest.mark.skipif(not hasattr(os, "setsid"), reason="POSIX pseudo-terminals")
def test_a_real_hangup_ends_the_app_promptly(tmp_path: Path) -> None:
    """The terminal goes away (the kernel sends SIGHUP to the session's controlling process):
    the app ends with 129 instead of hanging on a terminal it can no longer write to."""
    import fcntl
    import pty
    import select
    import termios
    import threading

    settings = tmp_path / "s.toml"
    settings.write_text('[default]\nservice_name = "hangup-test"\n', encoding="utf-8")
    controller, terminal = pty.openpty()

    def controlling_terminal() -> None:  # the pseudo-terminal becomes the session's terminal
        os.setsid()
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    proc = subprocess.Popen(
        [CLI, "tui", "--config", str(settings)],
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
        cwd=tmp_path,
        env=without_proxies(os.environ) | {"TERM": "xterm-256color"},
        preexec_fn=controlling_terminal,
    )
    os.close(terminal)
    screen: list[bytes] = []
    stop = threading.Event()

    def drain() -> None:  # a full pseudo-terminal would block the app
        while not stop.is_set():
            if select.select([controller], [], [], 0.1)[0]:
                try:
                    data = os.read(controller, 65536)
                except OSError:
                    return
                screen.append(data)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    try:
        _wait(lambda: b"Validate" in b"".join(screen), "the TUI on screen")
        stop.set()
        reader.join()
        os.close(controller)  # hang up
        controller = -1
        assert proc.wait(timeout=20) == 128 + signal.SIGHUP
    finally:
        stop.set()
        if controller >= 0:
            os.close(controller)
        proc.kill()
        proc.wait()


def test_sigterm_restores_the_pty_without_tmux(tmp_path: Path) -> None:
    """The same promise where tmux is missing: on a bare pseudo-terminal, the termios modes
    after SIGTERM equal those before, and the app wrote the resets for the alternate screen
    and every mouse mode it had switched on."""
    import pty
    import select
    import termios
    import threading

    settings = tmp_path / "s.toml"
    settings.write_text('[default]\nservice_name = "pty-test"\n', encoding="utf-8")
    controller, terminal = pty.openpty()
    before = termios.tcgetattr(terminal)
    proc = subprocess.Popen(
        [CLI, "tui", "--config", str(settings)],
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
        cwd=tmp_path,
        env=without_proxies(os.environ) | {"TERM": "xterm-256color"},
        start_new_session=True,
    )
    screen: list[bytes] = []
    stop = threading.Event()

    def drain() -> None:
        while not stop.is_set():
            if select.select([controller], [], [], 0.1)[0]:
                try:
                    screen.append(os.read(controller, 65536))
                except OSError:
                    return

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    try:
        _wait(lambda: b"Validate" in b"".join(screen), "the TUI on screen")
        assert termios.tcgetattr(terminal) != before  # raw mode while it runs
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 128 + signal.SIGTERM
        time.sleep(0.2)  # let the reader take the last bytes
        stop.set()
        reader.join()
        assert termios.tcgetattr(terminal) == before
        output = b"".join(screen)
        tail = output[output.rindex(b"\x1b[?1049h") :]  # after entering the alternate screen
        for reset in (b"\x1b[?1049l", b"\x1b[?1000l", b"\x1b[?1003l", b"\x1b[?1006l"):
            if reset.replace(b"l", b"h") in output:
                assert reset in tail, reset
        assert b"\x1b[?25h" in tail  # the cursor is shown again
    finally:
        stop.set()
        proc.kill()
        proc.wait()
        os.close(terminal)
        os.close(controller)
