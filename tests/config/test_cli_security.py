"""`nentang audit export | prune`, run in-process (security monitoring's commands).

State is set up through the audit services: eight failed logins from the attacker's
address (203.0.113.7) open a brute-force alert.
"""

from __future__ import annotations

import importlib
import json
import warnings
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from django.utils import timezone

from nentang.audit.models import AuditEntry, SecurityEvent
from nentang.audit.services.security import security_defaults_install, security_event_record
from nentang.config.cli import cli

pytestmark = pytest.mark.django_db

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)  # lark-parser 0.6 imports sre_parse
    SyslogMessage = importlib.import_module("syslog_rfc5424_parser").SyslogMessage

ATTACKER = "203.0.113.7"


@pytest.fixture(autouse=True)
def attack() -> None:
    security_defaults_install()
    for _ in range(8):
        security_event_record(kind="auth.failure", outcome="failure", source_ip=ATTACKER)


def nentang(*args: str) -> Result:
    return CliRunner().invoke(cli, ["audit", *args])


def an_hour_ago() -> str:
    """Vietnam time without an offset, as an operator would type it."""
    moment = timezone.localtime(timezone.now() - timedelta(hours=1))
    return moment.replace(tzinfo=None).isoformat(timespec="seconds")


def test_export_writes_syslog_to_a_file_and_is_recorded(tmp_path: Path) -> None:
    target = tmp_path / "soc.log"

    result = nentang(
        "export", "--format", "syslog", "--since", an_hour_ago(), "--kind", "auth.failure",
        "--no-alerts", "--enterprise-number", "99999", "-o", str(target),
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    lines = target.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 8
    parsed = [SyslogMessage.parse(line).as_dict() for line in lines]
    assert {message["msgid"] for message in parsed} == {"auth.failure"}
    assert {next(iter(message["sd"])) for message in parsed} == {"nentang@99999"}
    assert "8 lines exported (syslog)" in result.stderr
    entry = AuditEntry.objects.get(action="audit.security_event.export")
    assert (entry.actor_type, entry.actor) == ("system", "cli")
    assert SecurityEvent.objects.filter(kind="data.export").count() == 1


def test_export_writes_json_lines_to_standard_output() -> None:
    result = nentang("export", "--format", "jsonl", "--since", an_hour_ago())

    assert result.exit_code == 0, result.output
    assert [json.loads(line)["type"] for line in result.stdout.splitlines()] == (
        ["security_event"] * 8 + ["alert"]
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--since", "hôm qua"], "ISO 8601"),
        (["--since", "2026-11-28T10:00", "--until", "2026-11-28T09:00"], "export refused"),
        (["--since", "2026-11-28T10:00", "--kind", "Auth Failure"], "export refused"),
    ],
)
def test_bad_arguments_get_one_sentence_and_write_nothing(args: list[str], message: str) -> None:
    result = nentang("export", "--format", "jsonl", *args)

    assert result.exit_code == 2
    assert message in result.output
    assert not SecurityEvent.objects.filter(kind="data.export").exists()


def test_prune_reports_what_it_deleted() -> None:
    result = nentang("prune")

    assert result.exit_code == 0, result.output
    assert "0 raw security events past retention deleted" in result.output
    assert SecurityEvent.objects.filter(kind="auth.failure").count() == 8
