"""Server launcher the HTTP benchmarks run in a child process.

``python -m bench._serve nentang --port P --workers N --settings FILE`` runs the real
``nentang serve`` command (migrations, metrics directory, Granian) but records the
keyword arguments it gives Granian into FILE, after applying ``--override`` values.
``python -m bench._serve other --target MODULE:APP --port P --settings FILE`` then serves
another app (the bare ASGI app by default) with exactly those recorded settings, so both
servers are pinned alike.

``--server uvicorn`` serves either app with uvicorn instead, with the equivalent
settings (for comparison only).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections.abc import Callable, Sequence
from enum import Enum
from pathlib import Path
from typing import Any

BARE_TARGET = "bench._bare_asgi:app"
_ENUMS = {
    "interface": "Interfaces",
    "http": "HTTPModes",
    "runtime_mode": "RuntimeModes",
    "loop": "Loops",
    "task_impl": "TaskImpl",
    "log_level": "LogLevels",
    "ssl_protocol_min": "SSLProtocols",
}
_SETTINGS_CLASSES = {"http1_settings": "HTTP1Settings", "http2_settings": "HTTP2Settings"}


def encode(kwargs: dict[str, Any]) -> dict[str, Any]:
    """Granian keyword arguments as JSON-safe values (enums by value, settings as dicts)."""
    encoded: dict[str, Any] = {}
    for key, value in kwargs.items():
        if isinstance(value, Enum):
            encoded[key] = value.value
        elif dataclasses.is_dataclass(value) and not isinstance(value, type):
            encoded[key] = dataclasses.asdict(value)
        elif isinstance(value, Path):
            encoded[key] = str(value)
        elif value is None or isinstance(value, str | int | float | bool):
            encoded[key] = value
        elif isinstance(value, list | tuple) and all(isinstance(v, str | int) for v in value):
            encoded[key] = list(value)
        else:
            raise SystemExit(f"bench: cannot pin the Granian setting {key}={value!r}.")
    return encoded


def decode(encoded: dict[str, Any]) -> dict[str, Any]:
    from granian import constants, http, log

    kwargs: dict[str, Any] = {}
    for key, value in encoded.items():
        if key in _ENUMS and value is not None:
            holder = log if _ENUMS[key] == "LogLevels" else constants
            kwargs[key] = getattr(holder, _ENUMS[key])(value)
        elif key in _SETTINGS_CLASSES and value is not None:
            kwargs[key] = getattr(http, _SETTINGS_CLASSES[key])(**value)
        else:
            kwargs[key] = value
    return kwargs


def parse_overrides(items: Sequence[str]) -> dict[str, Any]:
    """``key=value`` pairs; numbers become ints, true/false booleans, http1.x=… nests."""
    overrides: dict[str, Any] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        if not sep or not key:
            raise SystemExit(f"bench: a server override is key=value, not {item!r}.")
        value: Any = raw
        if raw.lower() in ("true", "false"):
            value = raw.lower() == "true"
        elif raw.isdigit():
            value = int(raw)
        if key.startswith("http1."):
            overrides.setdefault("http1_settings", {})[key.removeprefix("http1.")] = value
        else:
            overrides[key] = value
    return overrides


def apply_overrides(encoded: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    merged = dict(encoded)
    for key, value in overrides.items():
        if key == "http1_settings":
            from granian.http import HTTP1Settings

            base = merged.get("http1_settings") or dataclasses.asdict(HTTP1Settings())
            merged[key] = {**base, **value}
        else:
            merged[key] = value
    return merged


def _serve_granian(target: str, kwargs: dict[str, Any]) -> None:
    from granian.server import Server

    Server(target, **kwargs).serve()


def _serve_uvicorn(target: str, kwargs: dict[str, Any]) -> None:
    import uvicorn

    loop = str(kwargs.get("loop", "auto"))
    interface = str(kwargs.get("interface", "asgi"))
    uvicorn.run(
        target,
        host=kwargs.get("address", "127.0.0.1"),
        port=int(kwargs.get("port", 8000)),
        workers=int(kwargs.get("workers", 1)),
        lifespan="off" if interface == "asginl" else "auto",
        loop=loop if loop in ("asyncio", "uvloop") else "auto",
        access_log=bool(kwargs.get("log_access", False)),
        log_level="warning",
    )


_SERVERS: dict[str, Callable[[str, dict[str, Any]], None]] = {
    "granian": _serve_granian,
    "uvicorn": _serve_uvicorn,
}


def serve_nentang(
    port: int, workers: int, settings: Path, server: str, overrides: dict[str, Any]
) -> None:
    """Run ``nentang serve``, recording (and overriding) what it passes to Granian."""
    import granian

    def pinned(target: str, **kwargs: Any) -> Any:
        import nentang

        encoded = apply_overrides(encode(kwargs), overrides)
        # Where nentang was imported from tells a result of a scratch copy from main's.
        source = str(Path(nentang.__file__).resolve().parent)
        recorded = {"target": target, "kwargs": encoded, "nentang_source": source}
        settings.write_text(json.dumps(recorded, indent=2), encoding="utf-8")

        class _Runner:
            def serve(self) -> None:
                _SERVERS[server](target, decode(encoded))

        return _Runner()

    granian.Granian = pinned  # type: ignore[assignment]
    from nentang.config.cli import cli

    cli.main(
        [
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--no-task-worker",
        ],
        prog_name="nentang",
    )


def serve_other(target: str, port: int, settings: Path, server: str) -> None:
    """Serve another app with the settings recorded from ``nentang serve``."""
    recorded = json.loads(settings.read_text(encoding="utf-8"))
    kwargs = decode(recorded["kwargs"])
    kwargs["port"] = port
    _SERVERS[server](target, kwargs)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench._serve")
    parser.add_argument("app", choices=["nentang", "other"])
    parser.add_argument("--target", default=BARE_TARGET, help="module:attribute of the other app")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--settings", type=Path, required=True)
    parser.add_argument("--server", choices=sorted(_SERVERS), default="granian")
    parser.add_argument("--override", action="append", default=[])
    args = parser.parse_args(argv)
    if args.app == "nentang":
        serve_nentang(
            args.port, args.workers, args.settings, args.server, parse_overrides(args.override)
        )
    else:
        serve_other(args.target, args.port, args.settings, args.server)


if __name__ == "__main__":
    main(sys.argv[1:])
