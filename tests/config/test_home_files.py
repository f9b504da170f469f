"""Everything nentang writes under NENTANG_HOME is its owner's only, whatever the umask.

The commands run as separate processes started with umask 022 (Debian's default, under
which files come out 0644 and folders 0755). After migrating (the SQLite file and its
WAL), signing a checkpoint (the log's key), recording an entry about a person (the
pseudonym key), rotating the OpenID keys, storing an upload and serving /metrics (the
multi-process metrics files), no file or folder under the home is readable by anyone
but its owner.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.support.processes import nentang_env, start_server, stop_server

pytestmark = pytest.mark.slow

WRITE_AN_UPLOAD_AND_AN_ENTRY = """
import django; django.setup()
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from nentang.kernel import auditing
from nentang.kernel.auditing import Actor
default_storage.save("portraits/2026/11/an.jpg", ContentFile(b"\\xff\\xd8 not really a jpeg"))
with transaction.atomic():
    auditing.record(actor=Actor.person("079090001234"), action="identity.person.register",
                    subject_type="identity.person", subject="0190c7e2-7b7d-7a3e-8a1b-5d6f7e8f9a0b")
"""


def debian_umask() -> None:
    os.umask(0o022)


def run(env: dict[str, str], *args: str) -> None:
    result = subprocess.run(
        args, env=env, capture_output=True, text=True, timeout=180, preexec_fn=debian_umask
    )
    assert result.returncode == 0, result.stdout + result.stderr


def loose(home: Path) -> list[str]:
    """Paths under ``home`` (itself included) that group or others may read or enter."""
    found = []
    for path in [home, *home.rglob("*")]:
        if stat.S_IMODE(path.lstat().st_mode) & 0o077:
            found.append(f"{path.relative_to(home.parent)} {stat.filemode(path.lstat().st_mode)}")
    return found


def test_home_content_is_private_under_a_permissive_umask(tmp_path: Path) -> None:
    home = tmp_path / "home"
    env = nentang_env(
        home,
        f"sqlite:///{home / 'nentang.sqlite3'}",
        DJANGO_SETTINGS_MODULE="nentang.config.settings",
    )
    nentang = [sys.executable, "-m", "nentang"]
    run(env, *nentang, "migrate")
    run(env, sys.executable, "-c", WRITE_AN_UPLOAD_AND_AN_ENTRY)
    run(env, *nentang, "audit", "checkpoint")
    run(env, *nentang, "keys", "rotate", "--alg", "ES256")

    old_umask = os.umask(0o022)  # the server inherits it, as from an operator's shell
    try:
        server = start_server(env, "--no-migrate", log_path=tmp_path / "serve.log")
    finally:
        os.umask(old_umask)
    try:
        assert httpx.get(server.url + "/readyz", timeout=10).status_code == 200
        assert httpx.get(server.url + "/audit/key", timeout=10).status_code == 200
    finally:
        stop_server(server)

    names = {path.name for path in home.rglob("*")}
    assert {"nentang.sqlite3", "secret_key", "checkpoint.key", "pseudonym.key", "an.jpg"} <= names
    assert any(name.endswith(".db") for name in names)  # the metrics files of the workers
    assert loose(home) == []
