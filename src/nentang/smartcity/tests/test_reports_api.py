"""The mobile API of citizen reports (``/api/v1/smartcity/``): a person's access token
from our own OpenID provider (authorization code + PKCE, the consent page answered),
reporting with a photo and a place, Idempotency-Key, the list and one report, the
answer's rating; other people's ids, other tokens and bad input as problem JSON."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.apps import apps
from django.test import Client

from nentang.identity import services as identity
from nentang.smartcity import services
from nentang.smartcity.models import Report
from nentang.smartcity.tests import support_reports as support
from nentang.smartcity.tests.support_reports import JPEG, OPERATOR, PNG, Cast

CALLBACK = "https://app.hue.example/callback"
APP_SECRET = "ung-dung-hue-s-bi-mat-2026"
AuditEntry = apps.get_model("audit", "AuditEntry")
ID_NUMBERS = {"an": "079090001234", "binh": "001195004321"}


@pytest.fixture
def cast(db: None) -> Cast:
    return support.cast()


def _app(scopes: list[str]) -> str:
    client_id = f"hue-s-{secrets.token_hex(3)}"
    identity.client_register(
        actor=OPERATOR,
        name="Huế-S",
        redirect_uris=[CALLBACK],
        client_id=client_id,
        client_secret=APP_SECRET,
        scopes=scopes,
        purpose="Phản ánh hiện trường của người dân",
    )
    return client_id


def person_token(who: str, scopes: tuple[str, ...] = ("openid", "smartcity.reports")) -> str:
    """Log ``who`` in at our provider, consent, and exchange the code (PKCE S256)."""
    client_id = _app(list(scopes))
    browser = Client()
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=")
    query = urlencode(
        {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": CALLBACK,
            "scope": " ".join(scopes),
            "state": "s1",
            "nonce": "n1",
            "code_challenge": challenge.decode(),
            "code_challenge_method": "S256",
        }
    )
    authorize = f"/oidc/authorize?{query}"
    login = browser.get(authorize)
    assert login.status_code == 302, login.content[:300]
    logged = browser.post(
        "/login",
        {"login": ID_NUMBERS[who], "password": support.PASSWORD, "next": authorize},
    )
    assert logged.status_code == 302, logged.content[:500]
    consent = browser.get(authorize)
    if consent.status_code == 200:
        consent = browser.post(authorize, {"decision": "allow"})
    assert consent.status_code == 302, consent.content[:500]
    location = consent["Location"]
    assert location.startswith(CALLBACK), location
    code = parse_qs(urlsplit(location).query)["code"][0]
    basic = base64.b64encode(f"{client_id}:{APP_SECRET}".encode()).decode()
    token = Client().post(
        "/oidc/token",
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": CALLBACK,
            "code_verifier": verifier,
        },
        HTTP_AUTHORIZATION=f"Basic {basic}",
    )
    assert token.status_code == 200, token.content
    return str(token.json()["access_token"])


class App:
    """A citizen's phone: the API with a bearer token."""

    def __init__(self, token: str) -> None:
        self.client = Client()
        self.token = token

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(
            "/api/v1/smartcity" + path, params, headers={"Authorization": f"Bearer {self.token}"}
        )

    def post(self, path: str, body: Any, key: str | None = None) -> Any:
        headers = {"Authorization": f"Bearer {self.token}"}
        if key is not None:
            headers["Idempotency-Key"] = key
        return self.client.post(
            "/api/v1/smartcity" + path,
            body if isinstance(body, str) else json.dumps(body),
            content_type="application/json",
            headers=headers,
        )


def _body(cast: Cast, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "city": "hue",
        "category": "streetlight",
        "description": "Đèn đường trước số 12 Lê Lợi tắt ba đêm nay",
        "ward_code": cast.ward,
        "photo": base64.b64encode(JPEG).decode(),
    }
    body.update(changes)
    return body


def test_a_citizen_reports_with_a_photo_follows_it_and_rates_the_answer(cast: Cast) -> None:
    an = App(person_token("an"))
    created = an.post("/reports", _body(cast), key="an-den-1")
    assert created.status_code == 201, created.content
    report = created.json()
    assert (report["city"], report["category"], report["status"]) == (
        "hue",
        "streetlight",
        "received",
    )
    assert report["ward_code"] == cast.ward
    assert report["can_rate"] is False
    assert [s["action"] for s in report["steps"]] == ["create"]
    # The retry of a lost answer replays the first one; nothing new is stored.
    replay = an.post("/reports", _body(cast), key="an-den-1")
    assert (replay.status_code, replay.headers["Idempotent-Replayed"]) == (201, "true")
    assert replay.json()["id"] == report["id"]
    assert Report.objects.count() == 1
    photo = an.get(f"/reports/{report['id']}/photo")
    assert photo.status_code == 200
    assert b"".join(photo.streaming_content) == JPEG
    assert (photo["Content-Type"], photo["Cache-Control"]) == ("image/jpeg", "private, no-store")

    for action in ("triage", "resolve"):
        services.report_act(
            actor=cast.hue, report_id=report["id"], action=action, answer="Đã thay bóng đèn"
        )
    followed = an.get(f"/reports/{report['id']}").json()
    assert (followed["status"], followed["answer"], followed["can_rate"]) == (
        "resolved",
        "Đã thay bóng đèn",
        True,
    )
    assert followed["steps"][-1]["answer"] == "Đã thay bóng đèn"
    assert [r["id"] for r in an.get("/reports").json()["items"]] == [report["id"]]

    rated = an.post(f"/reports/{report['id']}/rating", {"rating": 5, "comment": "Nhanh"})
    assert rated.status_code == 200, rated.content
    assert (rated.json()["rating"], rated.json()["can_rate"]) == (5, False)
    again = an.post(f"/reports/{report['id']}/rating", {"rating": 5, "comment": "Nhanh"})
    assert again.status_code == 200
    other = an.post(f"/reports/{report['id']}/rating", {"rating": 1})
    assert (other.status_code, other.json()["code"]) == (409, "city_report_rating_not_allowed")
    assert AuditEntry.objects.filter(action="smartcity.report.rate").count() == 1


def test_coordinates_only_find_the_ward_and_a_data_url_photo_is_accepted(cast: Cast) -> None:
    an = App(person_token("an"))
    body = _body(cast, ward_code="", latitude=16.4637, longitude=107.5909)
    body["photo"] = "data:image/png;base64," + base64.b64encode(PNG).decode()
    created = an.post("/reports", body)
    assert created.status_code == 201, created.content
    report = Report.objects.get()
    assert report.ward_code != ""
    assert report.photo.endswith(".png")
    assert created.json()["ward_code"] == report.ward_code


def test_another_citizen_gets_404s_for_every_report_of_someone_else(cast: Cast) -> None:
    an = App(person_token("an"))
    binh = App(person_token("binh"))
    report = an.post("/reports", _body(cast)).json()["id"]
    services.report_act(actor=cast.hue, report_id=report, action="triage")
    services.report_act(actor=cast.hue, report_id=report, action="resolve", answer="Đã sửa xong")
    for path in (f"/reports/{report}", f"/reports/{report}/photo"):
        answer = binh.get(path)
        assert (answer.status_code, answer.json()["code"]) == (404, "city_report_not_found")
    rate = binh.post(f"/reports/{report}/rating", {"rating": 1})
    assert (rate.status_code, rate.json()["code"]) == (404, "city_report_not_found")
    assert binh.get("/reports").json() == {"items": [], "next_cursor": None}
    assert Report.objects.get().rating is None
    # Not a report id at all, and a report without an answer photo: the same 404.
    for path in ("/reports/not-a-uuid", f"/reports/{report}/answer-photo"):
        assert an.get(path).json()["code"] == "city_report_not_found"


def test_one_key_from_two_citizens_is_two_reports(cast: Cast) -> None:
    """Keys belong to the person, not to the address: two phones behind one
    carrier-grade NAT that pick the same key never see each other's answer."""
    an = App(person_token("an"))
    binh = App(person_token("binh"))
    first = an.post("/reports", _body(cast), key="1")
    second = binh.post("/reports", _body(cast), key="1")
    assert (first.status_code, second.status_code) == (201, 201)
    assert "Idempotent-Replayed" not in second.headers
    assert first.json()["id"] != second.json()["id"]
    assert Report.objects.count() == 2
    # Without a valid token the stored answer is not replayed either.
    stranger = App("khong-phai-token").post("/reports", _body(cast), key="1")
    assert (stranger.status_code, stranger.json()["code"]) == (401, "invalid_token")


def test_tokens_without_the_scope_or_unknown_are_refused(cast: Cast) -> None:
    anonymous = Client().get("/api/v1/smartcity/reports")
    assert anonymous.status_code == 401
    assert anonymous["Content-Type"].startswith("application/problem+json")
    unknown = App("khong-phai-token").get("/reports")
    assert (unknown.status_code, unknown.json()["code"]) == (401, "invalid_token")
    openid_only = App(person_token("an", scopes=("openid",))).post("/reports", _body(cast))
    assert (openid_only.status_code, openid_only.json()["code"]) == (401, "invalid_token")
    assert Report.objects.count() == 0


def test_bad_input_is_a_field_error_and_stores_nothing(cast: Cast) -> None:
    an = App(person_token("an"))
    cases: list[tuple[dict[str, Any], str, str]] = [
        (_body(cast, photo="không phải base64!"), "photo", "invalid_base64"),
        (_body(cast, photo=base64.b64encode(b"GIF89a....").decode()), "photo", "invalid_type"),
        (_body(cast, category="khong-co"), "category", "required"),
        (_body(cast, description="ngắn"), "description", "short"),
        (_body(cast, ward_code="00001"), "ward_code", "invalid_choice"),
        (_body(cast, ward_code="", latitude=10.77, longitude=106.70), "latitude", "outside_city"),
        (_body(cast, latitude="bắc"), "latitude", "invalid"),
        (_body(cast, extra=1) | {"description": None}, "description", "wrong_type"),
    ]
    for body, field, code in cases:
        answer = an.post("/reports", body)
        assert answer.status_code == 422, (field, answer.content)
        assert answer["Content-Type"].startswith("application/problem+json")
        assert {(e["field"], e["code"]) for e in answer.json()["errors"]} >= {(field, code)}, (
            answer.json()
        )
    nowhere = an.post("/reports", _body(cast, city="hanoi"))
    assert (nowhere.status_code, nowhere.json()["code"]) == (404, "city_report_city_not_found")
    broken = an.post("/reports", '{"city": ')
    assert (broken.status_code, broken.json()["code"]) == (400, "malformed_body")
    reused = an.post("/reports", _body(cast), key="k-1")
    assert reused.status_code == 201
    other = an.post(
        "/reports", _body(cast, description="Một phản ánh khác hẳn nội dung"), key="k-1"
    )
    assert (other.status_code, other.json()["code"]) == (409, "idempotency_key_reused")
    bad_key = an.post("/reports", _body(cast), key="khóa có dấu")
    assert (bad_key.status_code, bad_key.json()["code"]) == (400, "invalid_idempotency_key")
    # Two long keys that share their first 100 characters are two reports.
    long_keys = ["k" * 100 + "-1", "k" * 100 + "-2"]
    made = {an.post("/reports", _body(cast), key=key).json()["id"] for key in long_keys}
    assert len(made) == 2
    assert Report.objects.count() == 3
    rating = an.post(f"/reports/{reused.json()['id']}/rating", {"rating": 9})
    assert rating.status_code == 422
    early = an.post(f"/reports/{reused.json()['id']}/rating", {"rating": 4})
    assert (early.status_code, early.json()["code"]) == (409, "city_report_rating_not_allowed")


def test_the_list_pages_with_a_cursor(cast: Cast) -> None:
    an = App(person_token("an"))
    made = [an.post("/reports", _body(cast), key=f"k-{n}").json()["id"] for n in range(3)]
    first = an.get("/reports", limit=2).json()
    second = an.get("/reports", limit=2, cursor=first["next_cursor"]).json()
    assert [r["id"] for r in first["items"] + second["items"]] == made[::-1]
    assert second["next_cursor"] is None
    assert an.get("/reports", cursor="!!").json()["code"] == "invalid_cursor"


def test_public_lists_for_the_app_and_the_openapi_document(cast: Cast) -> None:
    anyone = Client()
    cities = anyone.get("/api/v1/smartcity/cities").json()
    assert [c["id"] for c in cities] == ["hue", "danang"]  # by title
    assert cities[0]["bounds"]["min_latitude"] < 16.46 < cities[0]["bounds"]["max_latitude"]
    categories = anyone.get("/api/v1/smartcity/report-categories").json()
    assert "streetlight" in [c["code"] for c in categories]
    wards = anyone.get("/api/v1/smartcity/cities/hue/wards").json()
    assert cast.ward in [w["code"] for w in wards]
    missing = anyone.get("/api/v1/smartcity/cities/hanoi/wards")
    assert (missing.status_code, missing.json()["code"]) == (404, "city_report_city_not_found")
    document = anyone.get("/api/v1/openapi.json").json()
    create = document["paths"]["/api/v1/smartcity/reports"]["post"]
    assert "Idempotency-Key" in [p["name"] for p in create["parameters"]]
    assert "application/problem+json" in create["responses"]["422"]["content"]
    assert create["security"] == [{"CitizenAuth": []}]


def test_reports_past_the_hourly_limit_get_429_problem_json(
    cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(services.reports, "REPORTS_PER_HOUR", 1)
    an = App(person_token("an"))
    assert an.post("/reports", _body(cast, photo=None), key="a1").status_code == 201
    refused = an.post("/reports", _body(cast, photo=None), key="a2")
    assert refused.status_code == 429
    assert refused["Content-Type"].startswith("application/problem+json")
    assert refused.json()["code"] == "rate_limited"
    assert int(refused["Retry-After"]) > 0
    assert Report.objects.count() == 1
