"""Canaries for upgrades of oauthlib and django-oauth-toolkit: the provider overrides
their methods (some private) and builds oauthlib's server from its constructors. An
upgrade that renames, removes or re-signs what we override, or stops calling it, fails
here — loudly, by name — instead of silently turning a check into dead code.

When one of these fails after an upgrade: read the library's change for that method,
adapt the override, then update the expectation here."""

from __future__ import annotations

import inspect
import re
import tomllib
from importlib import metadata
from pathlib import Path
from typing import Any

import oauth2_provider
import oauthlib
import pytest
from oauth2_provider import models as dot_models
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauth2_provider.settings import oauth2_settings
from oauth2_provider.views.oidc import RPInitiatedLogoutView
from oauthlib.oauth2.rfc6749.grant_types import AuthorizationCodeGrant
from oauthlib.oauth2.rfc6749.grant_types.base import GrantTypeBase
from oauthlib.openid.connect.core.grant_types import AuthorizationCodeGrant as OpenIDCodeGrant

from nentang.identity.oidc.server import Server, pkce_s256_only
from nentang.identity.oidc.validator import Validator
from nentang.identity.oidc.views.endpoints import LogoutView

# Helpers of our own on the validator (not overrides): anything else it defines must
# exist on django-oauth-toolkit's validator with the same parameters.
OUR_OWN = {
    "_assertion",
    "_presented_methods",
    "_authenticate_assertion",
    "_grant",
    "_code",
    "_revoke_reused",
    "claim_authorization",
    "_introspection",
}
PYPROJECT = Path(__file__).resolve().parents[4] / "pyproject.toml"


def _parameters(function: Any) -> list[str]:
    return [
        name
        for name, parameter in inspect.signature(function).parameters.items()
        if parameter.kind not in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD)
    ]


def _requirement(name: str) -> str:
    data = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))
    pattern = re.compile(rf"^{re.escape(name)}\s*[<>=!~]")
    found = [r for r in data["project"]["dependencies"] if pattern.match(r)]
    assert found, f"{name} is not pinned in pyproject.toml"
    return str(found[0])


def _overrides() -> list[str]:
    """What our validator classes (Validator and the bases it is split into) define."""
    ours = [k for k in Validator.__mro__ if k.__module__.startswith("nentang.")]
    return sorted(
        {
            name
            for klass in ours
            for name, value in vars(klass).items()
            if callable(value) or isinstance(value, staticmethod)
            if not name.startswith("__") and name not in OUR_OWN
        }
    )


@pytest.mark.parametrize("name", _overrides())
def test_every_override_still_exists_upstream_with_the_same_parameters(name: str) -> None:
    upstream = getattr(OAuth2Validator, name, None)
    assert upstream is not None, (
        f"django-oauth-toolkit's validator no longer has {name}: our override is dead code"
    )
    ours = inspect.getattr_static(Validator, name)
    ours_function = ours.__func__ if isinstance(ours, staticmethod) else ours
    theirs = inspect.getattr_static(OAuth2Validator, name)
    theirs_function = theirs.__func__ if isinstance(theirs, staticmethod) else theirs
    assert _parameters(ours_function) == _parameters(theirs_function), (
        f"{name} changed its parameters upstream"
    )


def test_the_private_helpers_we_call_still_exist() -> None:
    for name in ("_extract_basic_auth", "_set_token_value", "_check_secret"):
        assert callable(getattr(OAuth2Validator, name, None)), name
    assert _parameters(dot_models.set_token_value) == ["token_instance", "raw_token"]
    # Tokens are stored as digests by this setting (issue 8, item 7).
    assert oauth2_settings.COMPLIANT_BCP_RFC9700_TOKEN_STORAGE is True


def test_the_server_is_built_from_constructors_that_take_our_validators() -> None:
    """GrantTypeBase's documented keyword arguments carry our checks; the OpenID grant
    hands them to the OAuth 2 grant it wraps."""
    assert {"pre_auth", "post_token"} <= set(
        inspect.getsource(GrantTypeBase._setup_custom_validators).split("'")
    )
    server = Server(Validator())
    for grant in (server.auth_grant, server.openid_connect_auth.proxy_target):
        assert pkce_s256_only in grant.custom_validators.pre_auth
        assert any(
            getattr(check, "__name__", "") == "claim_authorization"
            for check in grant.custom_validators.post_token
        )
    assert isinstance(server.openid_connect_auth, OpenIDCodeGrant)
    assert isinstance(server.auth_grant, AuthorizationCodeGrant)
    # What the server offers, and nothing more (read once, here, as a canary).
    assert set(server._grant_types) == {"authorization_code", "refresh_token", "client_credentials"}
    assert set(server._response_types) == {"code"}


def test_oauthlib_still_calls_the_hooks_we_rely_on() -> None:
    source = inspect.getsource(AuthorizationCodeGrant.validate_authorization_request)
    # The pre-authorization checks run after the client and redirect URI are validated.
    assert source.index("_handle_redirects") < source.index("custom_validators.pre_auth")
    assert "is_pkce_required" in source
    # Post-token checks (claiming the code) run inside validate_token_request, which
    # create_token_response calls before any token is made.
    token_source = inspect.getsource(AuthorizationCodeGrant.validate_token_request)
    assert "custom_validators.post_token" in token_source
    create = inspect.getsource(AuthorizationCodeGrant.create_token_response)
    assert create.index("validate_token_request") < create.index("create_token(")


def test_the_logout_view_hooks_are_what_we_override() -> None:
    assert _parameters(RPInitiatedLogoutView.do_logout) == _parameters(LogoutView.do_logout)
    assert _parameters(RPInitiatedLogoutView.get_request_application) == _parameters(
        LogoutView.get_request_application
    )
    assert "token_user" in inspect.getsource(RPInitiatedLogoutView.do_logout)


@pytest.mark.parametrize(
    ("distribution", "module", "minor"),
    [("oauthlib", oauthlib, "4.0"), ("django-oauth-toolkit", oauth2_provider, "3.4")],
)
def test_the_pins_allow_only_the_tested_minor(distribution: str, module: Any, minor: str) -> None:
    requirement = _requirement(distribution)
    assert f">={minor}" in requirement, requirement
    assert f"<{minor[:-1]}{int(minor[-1]) + 1}" in requirement, requirement
    assert metadata.version(distribution).startswith(minor + "."), metadata.version(distribution)
    assert module is not None
