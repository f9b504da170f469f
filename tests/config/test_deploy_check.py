"""`nentang check --deploy`: no false warnings, a failure for each real one, and the
https redirect that an https base URL implies."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.processes import nentang_env, run_nentang

pytestmark = pytest.mark.slow


def deploy_check(tmp_path: Path, database_url: str, base_url: str) -> tuple[int, str]:
    env = nentang_env(tmp_path / "home", database_url, NENTANG_BASE_URL=base_url)
    result = run_nentang("check", "--deploy", env=env)
    return result.returncode, result.stdout + result.stderr


def failing_ids(output: str) -> set[str]:
    return {
        line.split("(", 1)[1].split(")", 1)[0]
        for line in output.splitlines()
        if line.startswith("?: (")
    }


def test_an_http_base_url_fails_the_deploy_check(
    tmp_path: Path, migrated_database_url: str
) -> None:
    code, output = deploy_check(tmp_path, migrated_database_url, "http://dichvucong.example.vn")
    assert code == 1
    assert "nentang.E010" in failing_ids(output)
    assert "NENTANG_BASE_URL is http://dichvucong.example.vn: a deployment must be" in output
    # The real consequences are named (the checks Django skipped before) …
    assert {"security.W008", "security.W012", "security.W016", "security.W004"} <= failing_ids(
        output
    )
    # … and the false ones are gone.
    assert not failing_ids(output) & {"security.W001", "security.W002", "security.W003"}
    assert "all checks passed" not in output


def test_an_https_deployment_has_no_warning_of_ours_or_djangos(
    tmp_path: Path, migrated_database_url: str
) -> None:
    code, output = deploy_check(tmp_path, migrated_database_url, "https://dichvucong.example.vn")
    others = {i for i in failing_ids(output) if not i.startswith("oauth2_provider.")}
    # The OpenID provider's RFC 9700 warnings are that context's to settle; nothing else.
    assert others == set(), output
    if code == 0:
        assert "nentang: silenced security.W001, security.W002, security.W003" in output
        assert output.rstrip().endswith("nentang: all checks passed")


REQUEST = """
import django, json; django.setup()
from django.test import Client
client = Client()
out = {}
for path in ("/", "/api/v1/ping", "/healthz", "/readyz"):
    response = client.get(path, HTTP_HOST="10.0.0.5")
    out[path] = [response.status_code, response.get("Location", "")]
print(json.dumps(out))
"""


def test_an_https_base_url_redirects_plain_http_except_the_probes(
    tmp_path: Path, migrated_database_url: str
) -> None:
    env = nentang_env(
        tmp_path / "home",
        migrated_database_url,
        NENTANG_BASE_URL="https://dichvucong.example.vn",
        NENTANG_ALLOWED_HOSTS="dichvucong.example.vn,10.0.0.5",
        DJANGO_SETTINGS_MODULE="nentang.config.settings",
    )
    result = subprocess.run(
        [sys.executable, "-c", REQUEST], env=env, capture_output=True, text=True, check=True
    )
    answers = json.loads(result.stdout.splitlines()[-1])
    assert answers["/"] == [301, "https://dichvucong.example.vn/"]
    assert answers["/api/v1/ping"] == [301, "https://dichvucong.example.vn/api/v1/ping"]
    assert answers["/healthz"][0] == 200
    assert answers["/readyz"][0] == 200
