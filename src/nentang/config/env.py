"""The one place where nentang reads its environment.

Every variable is declared once in ``VARIABLES`` with its default and a one-line
description; the README's configuration table is checked against this list by a
test, so a setting cannot exist without being documented.

A malformed value raises :class:`ConfigError`, whose message is one sentence that
names the variable. The CLI prints that sentence and exits; nobody sees a traceback.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

from nentang.kernel.privatefiles import (
    SecretFileError,
    load_or_create_text,
    private_directory,
    private_file,
    private_process,
)


class ConfigError(Exception):
    """A setting is malformed. ``str(error)`` is a complete sentence for the operator."""

    def __init__(self, variable: str, message: str) -> None:
        self.variable = variable
        super().__init__(f"{variable}: {message}")


@dataclass(frozen=True)
class Variable:
    name: str
    default: str
    description: str


VARIABLES: tuple[Variable, ...] = (
    Variable(
        "NENTANG_HOME",
        "./var",
        "Directory for the SQLite file, uploads, signing keys and the generated secret key.",
    ),
    Variable(
        "NENTANG_DATABASE_URL",
        "sqlite:///$NENTANG_HOME/nentang.sqlite3",
        "Database: `sqlite:///path` or `postgresql://user:password@host:port/name`.",
    ),
    Variable(
        "NENTANG_SECRET_KEY",
        "(generated into `$NENTANG_HOME/secret_key`)",
        "Django secret key; generated once and kept in `NENTANG_HOME` when unset.",
    ),
    Variable("NENTANG_DEBUG", "false", "Debug mode (`true`/`false`). Never in production."),
    Variable(
        "NENTANG_ALLOWED_HOSTS",
        "127.0.0.1,localhost,[::1] + host of NENTANG_BASE_URL",
        "Comma-separated host names the server answers to.",
    ),
    Variable(
        "NENTANG_BASE_URL",
        "http://localhost:8000",
        "Public URL of this installation (links, OIDC issuer, audit log origin).",
    ),
    Variable(
        "NENTANG_MAX_BODY_BYTES",
        "10485760",
        "Largest request body accepted; larger bodies get 413.",
    ),
    Variable(
        "NENTANG_LOG_FORMAT",
        "json",
        "`json` for structured logs (one object per line) or `text` for a console.",
    ),
    Variable("NENTANG_LOG_LEVEL", "INFO", "DEBUG, INFO, WARNING, ERROR or CRITICAL."),
    Variable(
        "NENTANG_OUTBOUND_ALLOW_NETWORKS",
        "(empty)",
        "Comma-separated CIDRs that outbound HTTP (webhooks) may reach although private "
        "or loopback; empty means public addresses only.",
    ),
    Variable(
        "NENTANG_WEBHOOK_MAX_ATTEMPTS",
        "15",
        "Delivery attempts before a webhook delivery is dead-lettered (15 ≈ 1.5 days of "
        "exponential back-off).",
    ),
    Variable(
        "NENTANG_IDEMPOTENCY_TTL_HOURS",
        "24",
        "How long a stored Idempotency-Key response is replayed before the key expires.",
    ),
    Variable(
        "NENTANG_AUDIT_CHECKPOINT_SECONDS",
        "60",
        "Seconds between signed checkpoints of the audit log while it grows.",
    ),
    Variable(
        "NENTANG_METRICS_ALLOW_NETWORKS",
        "127.0.0.0/8,::1/128",
        "Comma-separated CIDRs whose direct requests may read /metrics; empty: none.",
    ),
    Variable(
        "NENTANG_TRUSTED_PROXIES",
        "(empty)",
        "Comma-separated CIDRs of the reverse proxies in front of nentang. A request from "
        "one of them is attributed to the address its X-Forwarded-For names (the nearest "
        "address that is not a trusted proxy), for throttles and security events; empty: "
        "X-Forwarded-For is never trusted.",
    ),
    Variable(
        "NENTANG_METRICS_TOKEN",
        "(empty)",
        "A bearer token (32 characters or more) that reads /metrics from anywhere.",
    ),
    Variable(
        "NENTANG_QUEUE_STALL_SECONDS",
        "120",
        "A queue whose oldest waiting item is older than this many seconds makes /readyz "
        "answer 503; 0 turns the check off.",
    ),
    Variable(
        "NENTANG_SECURITY_EVENTS_MIN_DAYS",
        "365",
        "The shortest retention of raw security events the SOC may set (days), on top of "
        "TCVN 11930:2017's minimum per level.",
    ),
    Variable(
        "NENTANG_DEMO_PERCENT",
        "100",
        "How much generated data `nentang demo` loads, in percent of the full demo (1–100): "
        "the named demo people, agencies and accounts are always there.",
    ),
    Variable(
        "NENTANG_DEMO_LARGE",
        "false",
        "Also load the open-data table of 1,000,000 rows in `nentang demo` (what "
        "`nentang demo --large` sets): a minute or two more, about 150 MB of database.",
    ),
    Variable(
        "NENTANG_AUDIT_WITNESS",
        "(empty)",
        "Where each signed checkpoint of the audit log is also published: a directory "
        "outside `NENTANG_HOME` (another disk, a mounted share) or an http(s) URL that "
        "accepts PUT and answers GET; `nentang audit verify` compares the log with it.",
    ),
    Variable(
        "NENTANG_SMARTCITY_MQTT_BROKER",
        "(empty)",
        "The MQTT broker (`host:port`) the smart-city devices publish to; when set, "
        "`nentang serve` also runs the ingestion bridges.",
    ),
    Variable(
        "NENTANG_SMARTCITY_MQTT_WORKERS",
        "2",
        "How many MQTT ingestion bridge processes share the devices' messages (a shared "
        "subscription) in `nentang serve` and `nentang smartcity ingest`.",
    ),
)

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}
_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


@dataclass(frozen=True)
class Database:
    engine: str  # "sqlite" or "postgresql"
    name: str
    user: str = ""
    password: str = ""
    host: str = ""
    port: str = ""
    options: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Config:
    home: Path
    database: Database
    secret_key: str
    debug: bool
    allowed_hosts: tuple[str, ...]
    base_url: str
    max_body_bytes: int
    log_format: str
    log_level: str
    outbound_allow_networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]
    webhook_max_attempts: int
    idempotency_ttl_hours: int
    audit_checkpoint_seconds: int
    queue_stall_seconds: int
    metrics_allow_networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]
    metrics_token: str
    trusted_proxies: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]
    security_events_min_days: int
    demo_percent: int
    demo_large: bool
    audit_witness: str  # "" (none), an absolute directory outside home, or an http(s) URL
    smartcity_mqtt_broker: tuple[str, int] | None
    smartcity_mqtt_workers: int


def _get(environ: Mapping[str, str], name: str) -> str | None:
    value = environ.get(name)
    if value is None:
        return None
    return value.strip()


def parse_bool(name: str, raw: str) -> bool:
    lowered = raw.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ConfigError(name, f"expected true or false, got {raw!r}.")


def parse_positive_int(name: str, raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(name, f"expected a whole number, got {raw!r}.") from None
    if value <= 0:
        raise ConfigError(name, f"expected a number greater than zero, got {raw!r}.")
    return value


def parse_non_negative_int(name: str, raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(name, f"expected a whole number, got {raw!r}.") from None
    if value < 0:
        raise ConfigError(name, f"expected zero or more, got {raw!r}.")
    return value


def parse_percent(name: str, raw: str) -> int:
    value = parse_positive_int(name, raw)
    if value > 100:
        raise ConfigError(name, f"expected a whole number from 1 to 100, got {raw!r}.")
    return value


def parse_base_url(name: str, raw: str) -> str:
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(name, f"expected an http:// or https:// URL with a host, got {raw!r}.")
    if parts.query or parts.fragment:
        raise ConfigError(name, f"must not carry a query or fragment, got {raw!r}.")
    try:
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        raise ConfigError(name, f"has a malformed port in {raw!r}.") from None
    return raw.rstrip("/")


def parse_database_url(name: str, raw: str, home: Path) -> Database:
    raw = raw.replace("$NENTANG_HOME", str(home))
    parts = urlsplit(raw)
    if parts.scheme == "sqlite":
        # sqlite:///relative/path and sqlite:////absolute/path, as dj-database-url reads them.
        if parts.netloc:
            raise ConfigError(name, f"a SQLite URL has no host; write sqlite:///path, got {raw!r}.")
        path = parts.path[1:] if parts.path.startswith("/") else parts.path
        if not path:
            raise ConfigError(name, f"the SQLite URL names no file, got {raw!r}.")
        return Database(engine="sqlite", name=str(Path(unquote(path)).resolve()))
    if parts.scheme in ("postgres", "postgresql"):
        database = unquote(parts.path.lstrip("/"))
        if not database:
            raise ConfigError(name, f"the PostgreSQL URL names no database, got {raw!r}.")
        try:
            port = parts.port
        except ValueError:
            raise ConfigError(name, f"has a malformed port in {raw!r}.") from None
        return Database(
            engine="postgresql",
            name=database,
            user=unquote(parts.username or ""),
            password=unquote(parts.password or ""),
            host=unquote(parts.hostname or ""),
            port=str(port or ""),
            options=dict(parse_qsl(parts.query)),
        )
    raise ConfigError(
        name, f"expected a sqlite:/// or postgresql:// URL, got scheme {parts.scheme!r}."
    )


def parse_networks(
    name: str, raw: str
) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    networks = []
    for item in (part.strip() for part in raw.split(",")):
        if not item:
            continue
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ConfigError(name, f"{item!r} is not an IP network such as 127.0.0.0/8.") from None
    return tuple(networks)


def parse_token(name: str, raw: str) -> str:
    if raw and len(raw) < 32:
        raise ConfigError(name, "must be at least 32 characters long (or empty).")
    return raw


def parse_host_port(name: str, raw: str) -> tuple[str, int] | None:
    """``host:port`` (``[::1]:1883`` for IPv6), or ``None`` when empty."""
    if not raw:
        return None
    host, sep, port = raw.rpartition(":")
    host = host.removeprefix("[").removesuffix("]")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ConfigError(name, f"expected host:port, got {raw!r}.")
    return host, int(port)


def parse_witness(name: str, raw: str, home: Path) -> str:
    """A witness location: an http(s) URL, or an absolute directory outside ``home`` (a
    copy the same intruder can rewrite together with the log proves nothing)."""
    if not raw:
        return ""
    if raw.startswith(("http://", "https://")):
        parts = urlsplit(raw)
        if not parts.hostname or parts.fragment:
            raise ConfigError(name, f"expected an http(s) URL with a host, got {raw!r}.")
        return raw
    path = Path(raw).expanduser()
    if not path.is_absolute():
        raise ConfigError(name, f"expected an absolute directory or an http(s) URL, got {raw!r}.")
    resolved = path.resolve()
    if resolved == home or home in resolved.parents:
        raise ConfigError(
            name, f"{resolved} lies inside NENTANG_HOME; a witness must be kept elsewhere."
        )
    return str(resolved)


def _secret_key(environ: Mapping[str, str], home: Path) -> str:
    given = _get(environ, "NENTANG_SECRET_KEY")
    if given:
        if len(given) < 32:
            raise ConfigError("NENTANG_SECRET_KEY", "must be at least 32 characters long.")
        return given
    path = home / "secret_key"

    def check(text: str) -> str | None:
        return "shorter than 32 characters" if len(text) < 32 else None

    try:
        return load_or_create_text(path, generate=lambda: secrets.token_urlsafe(50), check=check)
    except SecretFileError as error:
        raise ConfigError("NENTANG_SECRET_KEY", str(error)) from None


def _private_sqlite(path: Path) -> None:
    """The SQLite file (and so its WAL and shared memory, which SQLite creates with the
    database's mode) exists with mode 0600 before Django first opens it."""
    try:
        if not path.parent.exists():
            private_directory(path.parent)
        for item in (path, *(path.with_name(path.name + s) for s in ("-wal", "-shm"))):
            if item == path or item.exists():
                private_file(item)
    except OSError as error:
        raise ConfigError(
            "NENTANG_DATABASE_URL", f"cannot create {path}: {error.strerror}."
        ) from None


def read(environ: Mapping[str, str] | None = None) -> Config:
    """Read and validate every NENTANG_* variable; create NENTANG_HOME when missing.

    Also makes this process create private files (umask 077) and keeps the home and
    the SQLite database owner-only (kernel.privatefiles).
    """
    env = os.environ if environ is None else environ

    home = Path(_get(env, "NENTANG_HOME") or "./var").expanduser().resolve()
    private_process()  # what this process creates is its owner's only (0600/0700)
    try:
        private_directory(home)
    except PermissionError:
        pass  # a folder someone else owns: its content is still private (umask 077)
    except OSError as error:
        raise ConfigError("NENTANG_HOME", f"cannot create {home}: {error.strerror}.") from None
    if not os.access(home, os.W_OK):
        raise ConfigError("NENTANG_HOME", f"{home} is not writable.")

    database = parse_database_url(
        "NENTANG_DATABASE_URL",
        _get(env, "NENTANG_DATABASE_URL") or "sqlite:///$NENTANG_HOME/nentang.sqlite3",
        home,
    )
    if database.engine == "sqlite":
        _private_sqlite(Path(database.name))
    base_url = parse_base_url(
        "NENTANG_BASE_URL", _get(env, "NENTANG_BASE_URL") or "http://localhost:8000"
    )
    hosts_raw = _get(env, "NENTANG_ALLOWED_HOSTS")
    if hosts_raw:
        hosts = tuple(h.strip() for h in hosts_raw.split(",") if h.strip())
        if not hosts:
            raise ConfigError("NENTANG_ALLOWED_HOSTS", "lists no host name.")
    else:
        hosts = ("127.0.0.1", "localhost", "[::1]")
    base_host = urlsplit(base_url).hostname or ""
    if base_host and base_host not in hosts and "*" not in hosts:
        hosts = (*hosts, base_host)

    log_format = (_get(env, "NENTANG_LOG_FORMAT") or "json").lower()
    if log_format not in ("json", "text"):
        raise ConfigError("NENTANG_LOG_FORMAT", f"expected json or text, got {log_format!r}.")
    log_level = (_get(env, "NENTANG_LOG_LEVEL") or "INFO").upper()
    if log_level not in _LOG_LEVELS:
        raise ConfigError(
            "NENTANG_LOG_LEVEL", f"expected one of {', '.join(_LOG_LEVELS)}, got {log_level!r}."
        )

    return Config(
        home=home,
        database=database,
        secret_key=_secret_key(env, home),
        debug=parse_bool("NENTANG_DEBUG", _get(env, "NENTANG_DEBUG") or "false"),
        allowed_hosts=hosts,
        base_url=base_url,
        max_body_bytes=parse_positive_int(
            "NENTANG_MAX_BODY_BYTES", _get(env, "NENTANG_MAX_BODY_BYTES") or "10485760"
        ),
        log_format=log_format,
        log_level=log_level,
        outbound_allow_networks=parse_networks(
            "NENTANG_OUTBOUND_ALLOW_NETWORKS", _get(env, "NENTANG_OUTBOUND_ALLOW_NETWORKS") or ""
        ),
        webhook_max_attempts=parse_positive_int(
            "NENTANG_WEBHOOK_MAX_ATTEMPTS", _get(env, "NENTANG_WEBHOOK_MAX_ATTEMPTS") or "15"
        ),
        idempotency_ttl_hours=parse_positive_int(
            "NENTANG_IDEMPOTENCY_TTL_HOURS", _get(env, "NENTANG_IDEMPOTENCY_TTL_HOURS") or "24"
        ),
        audit_checkpoint_seconds=parse_positive_int(
            "NENTANG_AUDIT_CHECKPOINT_SECONDS",
            _get(env, "NENTANG_AUDIT_CHECKPOINT_SECONDS") or "60",
        ),
        metrics_allow_networks=parse_networks(
            "NENTANG_METRICS_ALLOW_NETWORKS",
            # Set but empty means "no network"; unset means loopback.
            env.get("NENTANG_METRICS_ALLOW_NETWORKS", "127.0.0.0/8,::1/128"),
        ),
        metrics_token=parse_token(
            "NENTANG_METRICS_TOKEN", _get(env, "NENTANG_METRICS_TOKEN") or ""
        ),
        trusted_proxies=parse_networks(
            "NENTANG_TRUSTED_PROXIES", _get(env, "NENTANG_TRUSTED_PROXIES") or ""
        ),
        queue_stall_seconds=parse_non_negative_int(
            "NENTANG_QUEUE_STALL_SECONDS", _get(env, "NENTANG_QUEUE_STALL_SECONDS") or "120"
        ),
        security_events_min_days=parse_non_negative_int(
            "NENTANG_SECURITY_EVENTS_MIN_DAYS",
            _get(env, "NENTANG_SECURITY_EVENTS_MIN_DAYS") or "365",
        ),
        demo_percent=parse_percent(
            "NENTANG_DEMO_PERCENT", _get(env, "NENTANG_DEMO_PERCENT") or "100"
        ),
        demo_large=parse_bool("NENTANG_DEMO_LARGE", _get(env, "NENTANG_DEMO_LARGE") or "false"),
        audit_witness=parse_witness(
            "NENTANG_AUDIT_WITNESS", _get(env, "NENTANG_AUDIT_WITNESS") or "", home
        ),
        smartcity_mqtt_broker=parse_host_port(
            "NENTANG_SMARTCITY_MQTT_BROKER", _get(env, "NENTANG_SMARTCITY_MQTT_BROKER") or ""
        ),
        smartcity_mqtt_workers=parse_positive_int(
            "NENTANG_SMARTCITY_MQTT_WORKERS", _get(env, "NENTANG_SMARTCITY_MQTT_WORKERS") or "2"
        ),
    )


def base_url_default_to_served(host: str, port: int) -> None:
    """Without NENTANG_BASE_URL, the installation's address is where ``serve``/``demo``
    serve it, named ``localhost`` for a loopback or wildcard address: browsers refuse an
    IP address as a passkey's relying party, so http://127.0.0.1:… would break passkeys.
    Set in the environment so that the server's worker processes read the same."""
    if os.environ.get("NENTANG_BASE_URL"):
        return
    loopback_or_wildcard = ("127.0.0.1", "::1", "localhost", "0.0.0.0", "::")  # noqa: S104 - compared, not bound
    name = "localhost" if host in loopback_or_wildcard else host
    if ":" in name:
        name = f"[{name}]"
    os.environ["NENTANG_BASE_URL"] = f"http://{name}:{port}"


def demo_large_requested() -> None:
    """``nentang demo --large``: the same as NENTANG_DEMO_LARGE=true, set before the
    settings are read."""
    os.environ["NENTANG_DEMO_LARGE"] = "true"
