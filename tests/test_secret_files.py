"""Every secret file of the platform, made by several processes at once on a fresh home.

Four processes start together (a barrier) on an empty NENTANG_HOME, as Granian's
workers and the task worker do on a first start, and each asks for the key. They must
all get the same, full-length key, and the file must hold exactly that key, mode 0600.
Before the shared helper (kernel.privatefiles) a reader could see the audit pseudonym
key's file between its creation and its write and cache an empty HMAC key for its life.

A damaged file (empty, short, not hex) is refused with a sentence naming it; it is never
used and never silently replaced.
"""

from __future__ import annotations

import hashlib
import hmac
import multiprocessing
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from nentang.audit.services import entries
from nentang.audit.tlog import keys as tlog_keys
from nentang.config import env
from nentang.identity.oidc import keys as oidc_keys
from nentang.kernel.privatefiles import SecretFileError

PROCESSES = 4
TRIALS = 25
AN = "079090001234"


def race(target: Callable[[], str]) -> list[str]:
    """Run ``target`` in PROCESSES forked processes released at the same moment; the
    results as text, or ``error: …`` for a process that raised."""
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(PROCESSES)
    results: Any = context.Queue()

    def run() -> None:
        barrier.wait()
        try:
            results.put(target())
        except BaseException as error:  # the finding itself: report it, do not die
            results.put(f"error: {type(error).__name__}: {error}")

    workers = [context.Process(target=run) for _ in range(PROCESSES)]
    for worker in workers:
        worker.start()
    answers = [results.get(timeout=60) for _ in workers]
    for worker in workers:
        worker.join(timeout=60)
    return sorted(answers)


def assert_one_private_key(answers: list[str], path: Path, expected: str) -> None:
    assert answers == [expected] * PROCESSES
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


@pytest.mark.slow
def test_the_audit_pseudonym_key_is_one_key_for_every_process(
    tmp_path: Path, settings: Any
) -> None:
    for trial in range(TRIALS):
        settings.HOME = tmp_path / f"home{trial}"
        entries._key_cache.clear()
        answers = race(lambda: entries.pseudonym(AN))
        path = settings.HOME / "audit" / "pseudonym.key"
        key = bytes.fromhex(path.read_text())
        assert len(key) == 32
        expected = "p_" + hmac.new(key, AN.encode(), hashlib.sha256).digest()[:16].hex()
        assert_one_private_key(answers, path, expected)


@pytest.mark.slow
def test_the_audit_log_signing_seed_is_one_seed_for_every_process(tmp_path: Path) -> None:
    for trial in range(TRIALS):
        path = tmp_path / f"home{trial}" / "audit" / "checkpoint.key"
        answers = race(lambda: tlog_keys.load_or_create_seed(path).hex())  # noqa: B023
        seed = path.read_text().strip()
        assert len(bytes.fromhex(seed)) == 32
        assert_one_private_key(answers, path, seed)


@pytest.mark.slow
def test_the_generated_secret_key_is_one_key_for_every_process(tmp_path: Path) -> None:
    for trial in range(TRIALS):
        home = tmp_path / f"home{trial}"
        answers = race(lambda: env.read({"NENTANG_HOME": str(home)}).secret_key)  # noqa: B023
        key = (home / "secret_key").read_text().strip()
        assert len(key) >= 50
        assert_one_private_key(answers, home / "secret_key", key)


@pytest.mark.slow
def test_the_pairwise_subject_secret_is_one_secret_for_every_process(
    tmp_path: Path, settings: Any
) -> None:
    for trial in range(TRIALS):
        settings.HOME = tmp_path / f"home{trial}"
        oidc_keys._pairwise.clear()
        answers = race(lambda: oidc_keys.pairwise_secret().hex())
        path = settings.HOME / "oidc" / "pairwise.key"
        assert_one_private_key(answers, path, oidc_keys.pairwise_secret().hex())


@pytest.mark.parametrize("content", ["", "\n", "abcd\n", "zz" * 32, "00" * 31])
def test_a_damaged_pseudonym_key_is_refused_not_used(
    tmp_path: Path, settings: Any, content: str
) -> None:
    settings.HOME = tmp_path
    entries._key_cache.clear()
    path = tmp_path / "audit" / "pseudonym.key"
    path.parent.mkdir()
    path.write_text(content)
    with pytest.raises(SecretFileError, match=r"pseudonym\.key is damaged"):
        entries.pseudonym(AN)
    assert path.read_text() == content  # never silently replaced


@pytest.mark.parametrize("content", ["", "00" * 16])
def test_a_damaged_signing_seed_is_refused(tmp_path: Path, content: str) -> None:
    path = tmp_path / "checkpoint.key"
    path.write_text(content)
    with pytest.raises(SecretFileError, match=r"checkpoint\.key is damaged"):
        tlog_keys.load_or_create_seed(path)


@pytest.mark.parametrize("content", ["", "too-short\n"])
def test_a_damaged_generated_secret_key_stops_with_one_sentence(
    tmp_path: Path, content: str
) -> None:
    (tmp_path / "secret_key").write_text(content)
    with pytest.raises(env.ConfigError, match="secret_key is damaged") as raised:
        env.read({"NENTANG_HOME": str(tmp_path)})
    assert raised.value.variable == "NENTANG_SECRET_KEY"


def test_a_damaged_pairwise_secret_is_refused(tmp_path: Path, settings: Any) -> None:
    settings.HOME = tmp_path
    oidc_keys._pairwise.clear()
    path = tmp_path / "oidc" / "pairwise.key"
    path.parent.mkdir()
    path.write_text("\n")
    with pytest.raises(SecretFileError, match=r"pairwise\.key is damaged"):
        oidc_keys.pairwise_secret()
