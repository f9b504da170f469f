"""`nentang clients create` and `nentang keys rotate | list`, run in-process.

What the command prints is what an integrator copies into their relying party: the
client as JSON (the secret once), or one sentence and nothing written.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from oauth2_provider.models import Application

from nentang.audit.models import AuditEntry
from nentang.config.cli import cli, console
from nentang.identity.oidc import keys as signing


@pytest.fixture(autouse=True)
def wide_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(console, "width", 200)


def nentang(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def created(result: Result) -> dict[str, Any]:
    assert result.exit_code == 0, result.output
    return dict(json.loads(result.stdout))


@pytest.mark.django_db
def test_a_public_client_gets_pkce_and_no_secret() -> None:
    client = created(
        nentang(
            "clients", "create", "--name", "Cổng dịch vụ công tỉnh",
            "--redirect-uri", "https://dichvucong.example.vn/callback", "--public",
        )
    )  # fmt: skip

    assert client["client_type"] == "public"
    assert client["token_endpoint_auth_method"] == "none"
    assert client["redirect_uris"] == ["https://dichvucong.example.vn/callback"]
    assert client["subject_type"] == "pairwise"
    assert "client_secret" not in client
    assert Application.objects.filter(client_id=client["client_id"]).exists()
    assert AuditEntry.objects.filter(action__startswith="identity.oidc.client").exists()


@pytest.mark.django_db
def test_a_confidential_client_prints_its_secret_once_and_stores_only_a_digest() -> None:
    result = nentang(
        "clients", "create", "--name", "Ngân hàng thử nghiệm",
        "--redirect-uri", "https://bank.example.vn/oidc/cb",
        "--require-level", "2", "--internal",
    )  # fmt: skip
    client = created(result)

    assert client["token_endpoint_auth_method"] == "client_secret_basic"
    assert client["require_level"] == 2
    assert client["subject_type"] == "public"
    secret = client["client_secret"]
    assert len(secret) >= 43
    assert "shown once" in result.stderr
    stored = Application.objects.get(client_id=client["client_id"]).client_secret
    assert secret not in stored


@pytest.mark.django_db
def test_a_machine_client_with_private_key_jwt_takes_its_jwks_file(tmp_path: Path) -> None:
    from cryptography.hazmat.primitives.asymmetric import ec
    from jwcrypto import jwk

    public = jwk.JWK.from_pyca(ec.generate_private_key(ec.SECP256R1()).public_key())
    jwks_file = tmp_path / "jwks.json"
    jwks_file.write_text(json.dumps({"keys": [json.loads(public.export_public())]}))

    client = created(
        nentang(
            "clients", "create", "--name", "Hệ thống liên thông",
            "--grant", "client_credentials", "--auth-method", "private_key_jwt",
            "--jwks-file", str(jwks_file),
        )
    )  # fmt: skip

    assert client["grant_types"] == ["client_credentials"]
    assert client["token_endpoint_auth_method"] == "private_key_jwt"
    assert client["jwks"]["keys"][0]["crv"] == "P-256"
    assert "client_secret" not in client


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        (["--redirect-uri", "not a url"], "redirect"),
        (["--redirect-uri", "https://rp.example.vn/cb#fragment"], "redirect"),
        (["--grant", "client_credentials", "--public"], "grant: "),
        (
            ["--redirect-uri", "https://rp.example.vn/cb", "--auth-method", "private_key_jwt"],
            "jwks",
        ),
    ],
)
def test_bad_client_options_are_one_sentence_and_write_nothing(
    arguments: list[str], field: str
) -> None:
    before = Application.objects.count()

    result = nentang("clients", "create", "--name", "Sai", *arguments)

    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.startswith("nentang: client not registered: ")
    assert field in result.stderr  # the field at fault is named
    assert Application.objects.count() == before


@pytest.mark.django_db
def test_a_jwks_file_that_is_not_json_is_refused(tmp_path: Path) -> None:
    broken = tmp_path / "jwks.json"
    broken.write_text("{not json")

    result = nentang(
        "clients", "create", "--name", "Sai", "--grant", "client_credentials",
        "--auth-method", "private_key_jwt", "--jwks-file", str(broken),
    )  # fmt: skip

    assert result.exit_code == 2
    assert result.stderr == "nentang: --jwks-file is not JSON.\n"
    assert Application.objects.count() == 0


@pytest.mark.django_db
def test_keys_rotate_adds_signing_keys_and_keeps_the_old_ones_published() -> None:
    before = {alg: signing.active_key(alg).kid for alg in ("ES256", "RS256")}

    result = nentang("keys", "rotate", "--alg", "ES256")

    assert result.exit_code == 0, result.output
    new_kid = signing.active_key("ES256").kid
    assert new_kid != before["ES256"]
    assert signing.active_key("RS256").kid == before["RS256"]  # only ES256 was asked for
    assert result.stdout == f"nentang: new ES256 signing key {new_kid}\n"
    published = {key.kid for key in signing.published_keys()}
    assert {new_kid, before["ES256"], before["RS256"]} <= published

    listing = nentang("keys", "list")

    assert listing.exit_code == 0
    rows = {line.split("│")[1].strip(): line for line in listing.stdout.splitlines() if "│" in line}
    assert "active" in rows[new_kid]
    assert "still published" in rows[before["ES256"]]
    assert "active" in rows[before["RS256"]]
