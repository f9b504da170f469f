"""What the identity benchmarks share: a PostgreSQL database of their own with the
OpenID provider's fixtures (a machine client, a public client, a consenting person,
authorization codes, an access token), nentang and the Node peer (``node_peer/``)
served side by side, and wrk driven by small Lua scripts."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

from bench import _servers, _wrk
from bench._api import BenchmarkError, Context
from bench._audit_setup import django_on_new_database
from bench._harness import PACKAGE_DIR

PEER_DIR = PACKAGE_DIR / "node_peer"
MACHINE_ID = "bench-machine"
MACHINE_SECRET = "bench-machine-secret-0123456789abcdef0123456789abcdef"  # noqa: S105 - bench only
PORTAL_ID = "bench-portal"
CALLBACK = "http://127.0.0.1:9/callback"
VERIFIER = "bench-verifier-0123456789-0123456789-0123456789-0123456789"
CHALLENGE = (
    base64.urlsafe_b64encode(hashlib.sha256(VERIFIER.encode()).digest()).decode().rstrip("=")
)
USERINFO_TOKEN = "bench-userinfo-token-" + "0" * 24


def fixtures() -> dict[str, Any]:
    """Register the clients and a consenting level-2 person through the services."""
    import datetime

    from django.utils import timezone
    from oauth2_provider.models import AccessToken, set_token_value

    from nentang.identity.models import Account
    from nentang.identity.oidc.services import client_register, consent_grant
    from nentang.identity.services import Residence, person_register
    from nentang.kernel.auditing import Actor

    actor = Actor.system("bench")
    client_register(
        actor=actor,
        client_id=MACHINE_ID,
        name="Bench machine",
        grant="client_credentials",
        client_secret=MACHINE_SECRET,
        purpose="Benchmark",
        scopes=["introspection"],
    )
    portal = client_register(
        actor=actor,
        client_id=PORTAL_ID,
        name="Bench portal",
        public=True,
        redirect_uris=[CALLBACK],
        purpose="Benchmark",
        scopes=["openid", "profile"],
    ).application
    person = person_register(
        id_number="079090001234",
        full_name="Nguyễn Văn An",
        date_of_birth=datetime.date(1990, 5, 15),
        sex="male",
        phone="0903123456",
        password="mật-khẩu-an-toàn-2026",  # noqa: S106 - the demo citizen's bench password
        residence=Residence("79", "26740", "12 Lê Lợi"),
        portrait=b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64,
    )
    account = Account.objects.get(pk=str(person.account_id))
    consent = consent_grant(
        account=account, application=portal, scopes=["openid", "profile"], purpose="Benchmark"
    )
    token = AccessToken(
        user=account,
        application=portal,
        scope="openid profile",
        expires=timezone.now() + timedelta(hours=6),
    )
    set_token_value(token, USERINFO_TOKEN)  # stored as its digest, as the provider does
    token.save()
    return {"portal": portal, "account": account, "consent": consent}


def codes(count: int, state: dict[str, Any]) -> list[str]:
    """``count`` fresh authorization codes of the portal for the person (S256 PKCE), as
    the authorization endpoint leaves them: a DOT grant and nentang's authorization."""
    from django.db import transaction
    from django.utils import timezone
    from oauth2_provider.models import Grant

    from nentang.identity.models import Authorization
    from nentang.identity.oidc.claims import ACR_LEVEL1

    now = timezone.now()
    values = [secrets.token_urlsafe(30) for _ in range(count)]
    with transaction.atomic():
        Grant.objects.bulk_create(
            [
                Grant(
                    application=state["portal"],
                    user=state["account"],
                    code=value,
                    expires=now + timedelta(hours=1),
                    redirect_uri=CALLBACK,
                    scope="openid profile",
                    code_challenge=CHALLENGE,
                    code_challenge_method="S256",
                    nonce="bench",
                    claims="{}",
                )
                for value in values
            ],
            batch_size=2000,
        )
        Authorization.objects.bulk_create(
            [
                Authorization(
                    code_checksum=hashlib.sha256(value.encode()).hexdigest(),
                    application=state["portal"],
                    account=state["account"],
                    consent=state["consent"],
                    scope="openid profile",
                    auth_time=now,
                    acr=ACR_LEVEL1,
                    created_at=now,
                )
                for value in values
            ],
            batch_size=2000,
        )
    return values


def group_cpu_seconds(group: int) -> float:
    """CPU time (user + system) of every live process in process group ``group`` (a
    server and its workers): load-independent, unlike a rate on a shared machine."""
    return sum(_stat_cpu(stat) for stat in _stats() if stat[2] == group)


def pids_cpu_seconds(pids: list[int]) -> float:
    """CPU time of the given processes (PostgreSQL backends)."""
    wanted = set(pids)
    return sum(_stat_cpu(stat) for stat in _stats() if stat[0] in wanted)


def _stats() -> list[tuple[int, int, int, int, int]]:
    """(pid, ppid, process group, utime, stime) of every process /proc shows."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            text = (entry / "stat").read_text()
        except OSError:
            continue
        fields = text[text.rindex(")") + 2 :].split()
        found.append(
            (int(entry.name), int(fields[1]), int(fields[2]), int(fields[11]), int(fields[12]))
        )
    return found


def _stat_cpu(stat: tuple[int, int, int, int, int]) -> float:
    return (stat[3] + stat[4]) / os.sysconf("SC_CLK_TCK")


def database_backends() -> list[int]:
    """The PostgreSQL backends serving the benchmark's database (nentang's pooled
    connections), not this process's own."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid <> pg_backend_pid()"
        )
        return [pid for (pid,) in cursor.fetchall()]


def redis_cpu_seconds() -> float:
    """The Redis server's CPU time so far (shared: other users of this Redis count too)."""
    cli = shutil.which("redis-cli")
    if cli is None:
        return 0.0
    text = subprocess.run(
        [cli, "-u", REDIS_URL, "info", "cpu"], capture_output=True, text=True, timeout=10
    ).stdout
    values = dict(line.split(":", 1) for line in text.splitlines() if ":" in line)
    return float(values.get("used_cpu_user", 0)) + float(values.get("used_cpu_sys", 0))


REDIS_URL = "redis://127.0.0.1:6379"
PEER_STORAGES = ("redis", "memory")


def _peer_version() -> str:
    package = PEER_DIR / "node_modules" / "oidc-provider" / "package.json"
    return str(json.loads(package.read_text())["version"])


def _start_peer(
    context: Context, node: str, storage: str, port: int, prefix: str
) -> tuple[_servers.Server, dict[str, Any]]:
    """One oidc-provider with ``workers`` processes and the given storage; returns the
    server and what its primary minted (codes, an access token)."""
    code_list = context.workdir / f"peer-codes-{storage}.json"
    peer_count = int(context.params.get("peer_codes", 0))
    log_path = context.workdir / f"peer-{storage}.log"
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            [node, str(PEER_DIR / "server.mjs")],
            cwd=PEER_DIR,
            env={
                **os.environ,
                "PORT": str(port),
                "WORKERS": str(context.params["workers"]),
                "CODES": str(peer_count),
                "CODE_LIST": str(code_list),
                "CLIENT_SECRET": MACHINE_SECRET,
                "VERIFIER": VERIFIER,
                "ADAPTER": storage,
                "REDIS_URL": REDIS_URL,
                "REDIS_PREFIX": prefix,
            },
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = _servers.Server(f"oidc-provider ({storage})", process, log_path, port)
    _servers.wait_ready(server, "/.well-known/openid-configuration", timeout=600)
    minted = json.loads(code_list.read_text()) if code_list.exists() else {}
    return server, minted


def _redis_forget(prefix: str) -> None:
    """Delete the persisted peer's keys (Redis is shared on this machine)."""
    cli = shutil.which("redis-cli")
    if cli is None:
        return
    keys = subprocess.run(
        [cli, "-u", REDIS_URL, "--scan", "--pattern", f"{prefix}*"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    ).stdout.split()
    for start in range(0, len(keys), 1000):
        subprocess.run(
            [cli, "-u", REDIS_URL, "del", *keys[start : start + 1000]],
            capture_output=True,
            timeout=120,
            check=False,
        )


def _redis_persistence() -> dict[str, str]:
    """How the Redis baseline keeps its data (AOF, fsync policy, snapshots), for the
    result file: a Redis without AOF or snapshots writes nothing to disk."""
    cli = shutil.which("redis-cli")
    found: dict[str, str] = {}
    for name in ("appendonly", "appendfsync", "save"):
        lines = (
            subprocess.run(
                [cli, "-u", REDIS_URL, "config", "get", name],
                capture_output=True,
                text=True,
                timeout=10,
                check=False,
            ).stdout.splitlines()
            if cli
            else []
        )
        found[name] = lines[1] if len(lines) > 1 else "?"
    return found


def _require_redis() -> None:
    cli = shutil.which("redis-cli")
    answer = (
        subprocess.run(
            [cli, "-u", REDIS_URL, "ping"], capture_output=True, text=True, timeout=10, check=False
        ).stdout.strip()
        if cli
        else ""
    )
    if answer != "PONG":
        raise BenchmarkError(f"the persisted peer needs Redis at {REDIS_URL} (and redis-cli).")


@contextmanager
def servers(context: Context) -> Iterator[None]:
    """PostgreSQL database with fixtures, then nentang and two Node peers — one storing
    in Redis (the fair baseline: both sides persist what they issue), one in memory —
    each with ``workers`` processes; stopped, dropped and deleted afterwards."""
    _wrk.require_wrk()
    node = shutil.which("node")
    if node is None:
        raise BenchmarkError("Node.js is needed for the oidc-provider baseline.")
    if not (PEER_DIR / "node_modules" / "ioredis").exists():
        raise BenchmarkError(
            "the peer is not installed: run `npm ci --prefix bench/node_peer` first."
        )
    _require_redis()
    context.facts["wrk"] = _wrk.wrk_version()
    prefix = f"nentang-bench:{os.getpid()}:{secrets.token_hex(4)}:"
    with django_on_new_database(context):
        state = fixtures()
        context.state["fixtures"] = state
        workers = int(context.params["workers"])
        settings_file = context.workdir / "server-settings.json"
        ours_port = _servers.free_port()
        environment = _servers.child_environment(
            {"NENTANG_BASE_URL": f"http://127.0.0.1:{ours_port}", "NENTANG_LOG_LEVEL": "WARNING"}
        )
        environment.pop("PROMETHEUS_MULTIPROC_DIR", None)
        options = []
        if not context.params.get("pool", True):
            options.append("pool=false")
        if str(context.params.get("synchronous_commit", "on")) == "off":
            # Redis as configured on these machines (no AOF, no snapshots) writes nothing
            # to disk; with this, PostgreSQL still writes its WAL but stops waiting for
            # the flush at each commit (a crash may lose the last ~0.6 s, never corrupts).
            options.append("options=-c%20synchronous_commit%3Doff")
        if options:
            environment["NENTANG_DATABASE_URL"] += "?" + "&".join(options)
        started: list[Any] = []
        try:
            ours = _servers.start(
                "nentang",
                [
                    "nentang",
                    "--port",
                    str(ours_port),
                    "--workers",
                    str(workers),
                    "--settings",
                    str(settings_file),
                ],
                environment,
                context.workdir / "nentang.log",
                ours_port,
            )
            started.append(ours)
            _servers.wait_ready(ours, "/healthz")
            context.state["ours"] = ours.base_url
            context.state["ours_group"] = ours.process.pid
            for storage in PEER_STORAGES:
                peer, minted = _start_peer(context, node, storage, _servers.free_port(), prefix)
                started.append(peer)
                suffix = "" if storage == "redis" else "_memory"
                context.state[f"peer{suffix}"] = peer.base_url
                context.state[f"peer{suffix}_group"] = peer.process.pid
                context.state[f"peer{suffix}_codes"] = list(minted.get("codes", []))
                context.state[f"peer{suffix}_token"] = minted.get("accessToken", "")
            context.facts["peer"] = {
                "package": "oidc-provider",
                "version": _peer_version(),
                "node": subprocess.run(
                    [node, "--version"], capture_output=True, text=True, check=False
                ).stdout.strip(),
                "storage": "baseline: Redis (127.0.0.1:6379, the adapter interface the "
                "provider documents); also measured: in memory, one map per worker",
                "redis_persistence": _redis_persistence(),
                "workers": workers,
            }
            context.facts["server"] = json.loads(settings_file.read_text(encoding="utf-8"))
            yield
        finally:
            for server in reversed(started):
                _servers.stop(server)
            _redis_forget(prefix)


LUA_POST = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.body = os.getenv("BENCH_BODY")
local auth = os.getenv("BENCH_AUTH")
if auth and auth ~= "" then wrk.headers["Authorization"] = auth end
"""

LUA_CODES = """
local bodies = {}
for line in io.lines(os.getenv("BENCH_BODIES")) do bodies[#bodies + 1] = line end
local i = 0
local answered = 0
request = function()
  i = i + 1
  if i > #bodies then i = #bodies end
  local headers = {["Content-Type"] = "application/x-www-form-urlencoded"}
  return wrk.format("POST", nil, headers, bodies[i])
end
response = function(status, headers, body)
  answered = answered + 1
  if answered >= #bodies - 64 then wrk.thread:stop() end
end
"""

LUA_BEARER = """
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")
"""


def wrk_run(
    context: Context, url: str, script: str, env: dict[str, str], duration: str
) -> _wrk.WrkResult:
    if not url.startswith("http://127.0.0.1:"):
        raise BenchmarkError(f"benchmarks load loopback only, not {url}.")
    path = context.workdir / f"script-{secrets.token_hex(4)}.lua"
    path.write_text(script, encoding="utf-8")
    command = [
        _wrk.require_wrk(),
        f"-t{context.params['threads']}",
        f"-c{context.params['connections']}",
        f"-d{duration}",
        "--timeout=10s",
        "--latency",
        "-s",
        str(path),
        url,
    ]
    done = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
        env={**os.environ, **env},
    )
    if done.returncode != 0:
        raise BenchmarkError(f"wrk failed ({done.returncode}): {done.stderr.strip()[:200]}.")
    return _wrk.parse(done.stdout)


def code_bodies(path: Path, codes_: list[str]) -> None:
    from urllib.parse import urlencode

    path.write_text(
        "\n".join(
            urlencode(
                {
                    "grant_type": "authorization_code",
                    "code": code,
                    "redirect_uri": CALLBACK,
                    "client_id": PORTAL_ID,
                    "code_verifier": VERIFIER,
                }
            )
            for code in codes_
        )
        + "\n",
        encoding="utf-8",
    )
