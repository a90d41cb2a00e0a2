"""Regenerate the screen captures of docs/tui.md (SVG, in docs/tui/) from the real app.

    python scripts/tui_captures.py [--out docs/tui] [--png /tmp/captures]

The app runs in ``stable`` mode against the package's own receiver on loopback, as the
snapshot tests do, so the pictures change only when the screen does. ``--png`` also writes
PNG copies (needs ``cairosvg``, not a dependency of the package) for a look at the result.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path

from textual.pilot import Pilot

from codex_otel_config.receiver import Behavior, Receiver
from codex_otel_config.tui.app import OtelConsoleApp
from codex_otel_config.tui.widgets import SettingsTree

Steps = Callable[[OtelConsoleApp, Pilot[None]], Awaitable[None]]


async def settle(app: OtelConsoleApp, pilot: Pilot[None]) -> None:
    for _ in range(3):
        await app.workers.wait_for_complete()
        await pilot.pause()


async def select_setting(app: OtelConsoleApp, pilot: Pilot[None], key: str) -> None:
    """Focus the settings tree and put its cursor on ``key``."""
    tree = app.main.query_one(SettingsTree)
    tree.focus()
    await pilot.pause()
    for line in range(tree.last_line + 1):
        node = tree.get_node_at_line(line)
        if node is not None and node.data == key:
            tree.cursor_line = line
            tree.scroll_to_line(line)
            break
    await pilot.pause()


async def press(app: OtelConsoleApp, pilot: Pilot[None], *keys: str) -> None:
    for key in keys:
        await pilot.press(key)
        await settle(app, pilot)


def settings_file(folder: Path, receiver: Receiver, name: str = "settings.toml") -> Path:
    path = folder / name
    path.write_text(
        f"""
[default]
service_name = "billing-api"
[default.exporter.otlp-http]
endpoint = "{receiver.http_url}"
headers = {{ "x-api-key" = "capture-secret-0123456789" }}
[default.trace_exporter.otlp-grpc]
endpoint = "{receiver.grpc_url}"
[default.metrics_exporter.otlp-http]
endpoint = "{receiver.http_url}"
protocol = "json"
""",
        encoding="utf-8",
    )
    return path


async def capture(
    out: Path, name: str, size: tuple[int, int], app: OtelConsoleApp, steps: Steps
) -> Path:
    async with app.run_test(size=size) as pilot:
        await settle(app, pilot)
        await steps(app, pilot)
        svg = app.export_screenshot(title=f"codex-otel-config tui — {name}")
    path = out / f"{name}.svg"
    path.write_text(svg, encoding="utf-8")
    return path


async def main(out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        receiver = Receiver(http=True, grpc=True, host="127.0.0.1").start()
        failing = Receiver(
            http=True,
            grpc=True,
            host="127.0.0.1",
            behavior=Behavior.unauthorized(request_id="req-live-401"),
        ).start()
        try:

            def app(files: list[Path], **kwargs: object) -> OtelConsoleApp:
                return OtelConsoleApp(
                    files=files,
                    environ={},
                    timeout=3.0,
                    report_dir=folder / "reports",
                    stable=True,
                    stable_paths=[str(folder)],
                    **kwargs,  # type: ignore[arg-type]
                )

            healthy = settings_file(folder, receiver)
            bad = settings_file(folder, failing, "live.toml")

            async def endpoint_selected(a: OtelConsoleApp, p: Pilot[None]) -> None:
                await select_setting(a, p, "exporter.otlp-http.endpoint")

            async def t_f_s(a: OtelConsoleApp, p: Pilot[None]) -> None:
                await press(a, p, "t", "f", "s")

            async def v_t(a: OtelConsoleApp, p: Pilot[None]) -> None:
                await press(a, p, "v", "t")

            async def v(a: OtelConsoleApp, p: Pilot[None]) -> None:
                await press(a, p, "v")

            for name, size, files, steps in (
                ("settings-80x24", (80, 24), [healthy], endpoint_selected),
                ("t-f-s-80x24", (80, 24), [healthy], t_f_s),
                ("401-80x24", (80, 24), [bad], v),
                ("v-t-100x30", (100, 30), [healthy], v_t),
                ("settings-100x30", (100, 30), [healthy], endpoint_selected),
            ):
                written.append(await capture(out, name, size, app(files), steps))
        finally:
            receiver.stop()
            failing.stop()
    return written


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs/tui"))
    parser.add_argument("--png", type=Path, default=None, help="also write PNGs here")
    args = parser.parse_args()
    paths = asyncio.run(main(args.out))
    for path in paths:
        print(path)
    if args.png is not None:
        import cairosvg

        args.png.mkdir(parents=True, exist_ok=True)
        for path in paths:
            target = args.png / f"{path.stem}.png"
            cairosvg.svg2png(url=str(path), write_to=str(target), output_width=1400)
            print(target)
