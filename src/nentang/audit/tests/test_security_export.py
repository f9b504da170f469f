"""Exports for the national monitoring centre: JSON lines and syslog (RFC 5424).

The syslog lines are read back with an independent parser from PyPI
(``syslog-rfc5424-parser``), and their header is also matched against the RFC's ABNF.
The command line (``nentang audit export``) is tested in tests/config/.
"""

from __future__ import annotations

import importlib
import json
import re
import warnings
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from nentang.audit.models import AuditEntry, SecurityEvent
from nentang.audit.services import pseudonym
from nentang.audit.services.security import (
    security_event_record,
    security_export_jsonl,
    security_export_syslog,
)
from nentang.audit.tests.security_support import ATTACKER, make_user, seed, soc_operator
from nentang.kernel.auditing import Actor
from nentang.kernel.errors import Forbidden, ValidationFailed

pytestmark = pytest.mark.django_db

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)  # lark-parser 0.6 imports sre_parse
    SyslogMessage = importlib.import_module("syslog_rfc5424_parser").SyslogMessage

# RFC 5424 §6: HEADER = PRI VERSION SP TIMESTAMP SP HOSTNAME SP APP-NAME SP PROCID SP MSGID
HEADER = re.compile(
    r"^<(?P<pri>\d{1,3})>1 "
    r"(?P<ts>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z) "
    r"(?P<host>[!-~]{1,255}) (?P<app>[!-~]{1,48}) (?P<proc>[!-~]{1,128}) (?P<msgid>[!-~]{1,32}) "
    r"(?P<sd>\[.*?(?<!\\)\])(?: (?P<msg>.*))?$"
)
TRICKY_SUBJECT = 'hồ-sơ "A]\\B"'


def unescape(value: str) -> str:
    return re.sub(r'\\(["\\\]])', r"\1", value)


@pytest.fixture(autouse=True)
def _seeded() -> None:
    seed()


@pytest.fixture
def attack() -> None:
    """Given eight failed logins (a brute-force alert) and one odd denial."""
    for _ in range(8):
        security_event_record(
            kind="auth.failure", outcome="failure", severity="low", source_ip=ATTACKER
        )
    security_event_record(
        kind="authz.denied",
        outcome="denied",
        severity="high",
        source_ip=ATTACKER,
        actor=Actor.person("an.nguyen"),
        subject=TRICKY_SUBJECT,
        detail={"lý_do": "không phải hồ sơ của mình", "path": "/a]b"},
    )


def since() -> Any:
    return timezone.now() - timedelta(hours=1)


def test_syslog_lines_parse_as_rfc_5424(attack: None) -> None:
    lines = list(
        security_export_syslog(by=soc_operator(), since=since(), hostname="soc.nentang.gov.vn")
    )

    assert len(lines) == 9 + 1  # nine events and the alert
    assert all(line.endswith("\n") and line.count("\n") == 1 for line in lines)
    parsed = [SyslogMessage.parse(line.rstrip("\n")).as_dict() for line in lines]
    failure, denial, alert = parsed[0], parsed[8], parsed[9]

    assert failure["version"] == 1
    assert failure["facility"] == "audit"  # 13, log audit
    assert failure["severity"] == "notice"  # low → 5
    assert failure["hostname"] == "soc.nentang.gov.vn"
    assert failure["appname"] == "nentang"
    assert failure["msgid"] == "auth.failure"
    assert failure["sd"]["nentang@32473"]["srcIp"] == ATTACKER
    assert failure["timestamp"].endswith("Z")

    assert denial["severity"] == "err"  # high → 3
    params = {name: unescape(value) for name, value in denial["sd"]["nentang@32473"].items()}
    assert params["subject"] == TRICKY_SUBJECT
    assert params["actor"] == pseudonym("an.nguyen")
    assert json.loads(params["detail"]) == {"lý_do": "không phải hồ sơ của mình", "path": "/a]b"}
    assert denial["msg"] == f"authz.denied (denied) from {ATTACKER} on nentang"

    assert alert["facility"] == "alert"  # 14, log alert
    assert alert["msgid"] == "alert"
    assert alert["sd"]["nentang@32473"]["rule"] == "auth-brute-force"
    assert alert["sd"]["nentang@32473"]["events"] == "8"


def test_syslog_header_follows_the_abnf(attack: None) -> None:
    lines = list(security_export_syslog(by=None, since=since(), enterprise_number=99999))

    for line in lines:
        raw = line.rstrip("\n")
        match = HEADER.match(raw)
        assert match, raw
        pri = int(match["pri"])
        assert pri // 8 in (13, 14)
        assert pri % 8 in (2, 3, 4, 5, 6)
        assert match["sd"].startswith("[nentang@99999 ")
        assert not raw.encode("utf-8").split(b"] ", 1)[-1].startswith(b"\xef\xbb\xbf")  # no BOM
        assert "\r" not in raw


def test_json_lines_carry_events_then_alerts(attack: None) -> None:
    documents = [
        json.loads(line) for line in security_export_jsonl(by=soc_operator(), since=since())
    ]

    assert [d["type"] for d in documents] == ["security_event"] * 9 + ["alert"]
    assert documents[0]["kind"] == "auth.failure"
    assert documents[0]["occurred_at"].endswith("Z")
    assert documents[8]["subject"] == TRICKY_SUBJECT
    assert documents[9]["rule"] == "auth-brute-force"
    assert documents[9]["event_count"] == 8


def test_kind_and_period_select_what_is_exported(attack: None) -> None:
    only_denials = list(
        security_export_jsonl(by=None, since=since(), kind="authz.denied", include_alerts=False)
    )
    nothing_yet = list(
        security_export_jsonl(
            by=None,
            since=timezone.now() + timedelta(seconds=1),
            until=timezone.now() + timedelta(hours=1),
        )
    )

    assert [json.loads(line)["kind"] for line in only_denials] == ["authz.denied"]
    assert nothing_yet == []


def test_every_export_is_recorded(attack: None) -> None:
    binh = soc_operator()

    lines = security_export_syslog(by=binh, since=since())

    export = SecurityEvent.objects.get(kind="data.export")
    assert export.actor == pseudonym("soc.binh")
    assert export.detail["format"] == "syslog"
    assert export.detail["events"] == 9
    assert export.detail["alerts"] == 1
    entry = AuditEntry.objects.get(action="audit.security_event.export")
    assert entry.actor == pseudonym("soc.binh")
    assert entry.summary["events"] == 9
    assert len(list(lines)) == 10  # the export's own event came after its period


def test_export_needs_the_permission(attack: None) -> None:
    viewer = make_user("duc.pham", permissions=["audit.view_securityevent"])

    with pytest.raises(Forbidden):
        security_export_jsonl(by=viewer, since=since())

    assert not SecurityEvent.objects.filter(kind="data.export").exists()


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"until": "past"}, "until"),
        ({"kind": "Auth Failure"}, "kind"),
        ({"naive": True}, "since"),
    ],
)
def test_bad_periods_and_kinds_are_refused(arguments: dict[str, Any], field: str) -> None:
    start = since()
    call: dict[str, Any] = {"by": None, "since": start}
    if arguments.get("until") == "past":
        call["until"] = start - timedelta(minutes=1)
    if "kind" in arguments:
        call["kind"] = arguments["kind"]
    if arguments.get("naive"):
        call["since"] = timezone.make_naive(start)

    with pytest.raises(ValidationFailed) as refused:
        security_export_jsonl(**call)

    assert [e.field for e in refused.value.errors] == [field]
    assert not SecurityEvent.objects.filter(kind="data.export").exists()
