"""The API in GovStack Registration shape: the catalogue, e-forms, applications (with
Idempotency-Key), officers' tasks, the public status; problem codes on bad input;
cursor pagination."""

from __future__ import annotations

import json
from typing import Any

from django.apps import apps
from django.test import Client
from tests.support.staff import log_in_as

from nentang.publicservices import selectors
from nentang.publicservices.models import Dossier
from nentang.publicservices.tests import support
from nentang.publicservices.tests.support import Cast


def signed_in(account: Any) -> Client:
    client = Client()
    log_in_as(client, account)
    return client


def post(client: Client, path: str, body: Any, **headers: str) -> Any:
    return client.post(path, json.dumps(body), content_type="application/json", headers=headers)


def test_the_catalogue_pages_with_a_cursor(client: Client, cast: Cast) -> None:
    first = client.get("/api/v1/services", {"limit": 4})
    assert first.status_code == 200
    body = first.json()
    assert len(body["items"]) == 4
    second = client.get("/api/v1/services", {"limit": 100, "cursor": body["next_cursor"]}).json()
    ids = [s["id"] for s in body["items"] + second["items"]]
    assert len(ids) == 10
    assert ids == sorted(ids)
    assert second["next_cursor"] is None
    assert client.get("/api/v1/services", {"cursor": "!!"}).json()["code"] == "invalid_cursor"
    found = client.get("/api/v1/services", {"q": "ly lich tu phap"}).json()["items"]
    assert [s["id"] for s in found] == ["cap-phieu-ly-lich-tu-phap"]


def test_a_service_and_its_e_form(client: Client, cast: Cast) -> None:
    service = client.get("/api/v1/services/dang-ky-khai-sinh").json()
    assert (service["processing_days"], service["eid_level"]) == (1, 2)
    [form] = client.get("/api/v1/services/dang-ky-khai-sinh/eforms").json()
    assert form["data_schema"]["type"] == "object"
    assert form["pages"][0]["prefill"] == "full_name"
    missing = client.get("/api/v1/services/khong-co")
    assert (missing.status_code, missing.json()["code"]) == (404, "procedure_not_found")


def test_an_application_through_the_api_from_submission_to_completion(cast: Cast) -> None:
    an = signed_in(cast.an)
    body = {
        "agency": "so-tu-phap-tp-hcm",
        "data": support.judicial_record(result_delivery="online"),
        "documents": support.papers_json("cap-phieu-ly-lich-tu-phap"),
    }
    created = post(an, "/api/v1/services/cap-phieu-ly-lich-tu-phap/applications", body,
                   **{"Idempotency-Key": "an-llpt-1"})  # fmt: skip
    assert created.status_code == 201, created.content
    replay = post(an, "/api/v1/services/cap-phieu-ly-lich-tu-phap/applications", body,
                  **{"Idempotency-Key": "an-llpt-1"})  # fmt: skip
    assert replay.status_code == 201
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json()["id"] == created.json()["id"]
    assert Dossier.objects.count() == 1
    application = created.json()["id"]

    officer = signed_in(cast.justice)
    [task] = officer.get("/api/v1/tasks").json()["items"]
    assert task["id"] == application
    assert "receive" in task["actions"]
    received = post(officer, f"/api/v1/tasks/{application}/complete", {"action": "receive"})
    assert received.json()["state"] == "fee_due"
    assert received.json()["fee"] == 205_000

    from nentang.kernel.auditing import Actor
    from nentang.publicservices import services

    services.dossier_fee_paid(
        actor=Actor.system("payments"),
        dossier_reference=received.json()["receipt_code"],
        payment_reference="PAY-API-1",
        amount=205_000,
    )
    for action in ("process", "approve", "issue_result"):
        done = post(officer, f"/api/v1/tasks/{application}/complete", {"action": action})
        assert done.status_code == 200, done.content
    mine = an.get(f"/api/v1/applications/{application}").json()
    assert (mine["state"], mine["fee_paid"]) == ("completed", True)
    assert [a["id"] for a in an.get("/api/v1/applications").json()["items"]] == [application]
    status = Client().get(f"/api/v1/dossier-status/{mine['receipt_code']}").json()
    assert status == {
        "receipt_code": mine["receipt_code"],
        "state": "completed",
        "label": status["label"],
    }
    # justice holds every role, approval included: the result can be revoked, with reasons.
    unexplained = post(
        officer, f"/api/v1/tasks/{application}/complete", {"action": "revoke_result"}
    )
    assert unexplained.status_code == 422
    revoked = post(
        officer,
        f"/api/v1/tasks/{application}/complete",
        {"action": "revoke_result", "reason": "Cấp nhầm người yêu cầu"},
    )
    assert revoked.status_code == 200, revoked.content
    assert selectors.result_status(receipt_code=mine["receipt_code"]).status == "revoked"


def test_bad_input_gets_problem_codes_and_changes_nothing(cast: Cast) -> None:
    an = signed_in(cast.an)
    invalid = post(
        an,
        "/api/v1/services/dang-ky-khai-sinh/applications",
        {"agency": "ubnd-phuong-sai-gon", "data": support.birth(child_sex="boy")},
    )
    assert invalid.status_code == 422
    assert invalid.json()["errors"][0]["field"] == "child_sex"
    level_one = post(
        signed_in(cast.binh),
        "/api/v1/services/dang-ky-khai-sinh/applications",
        {"agency": "ubnd-phuong-sai-gon", "data": support.birth()},
    )
    assert (level_one.status_code, level_one.json()["code"]) == (403, "eid_level_too_low")
    anonymous = post(
        Client(), "/api/v1/services/dang-ky-khai-sinh/applications", {"agency": "x", "data": {}}
    )
    assert anonymous.status_code == 401
    bearer = Client().get("/api/v1/applications", headers={"Authorization": "Bearer nope"})
    assert (bearer.status_code, bearer.json()["code"]) == (401, "invalid_token")
    assert Dossier.objects.count() == 0


def test_officers_of_another_agency_and_wrong_actions(cast: Cast) -> None:
    an = signed_in(cast.an)
    created = post(
        an,
        "/api/v1/services/dang-ky-khai-sinh/applications",
        {
            "agency": "ubnd-phuong-sai-gon",
            "data": support.birth(),
            "documents": support.papers_json("dang-ky-khai-sinh"),
        },
    ).json()
    stranger = post(
        signed_in(cast.stranger), f"/api/v1/tasks/{created['id']}/complete", {"action": "receive"}
    )
    assert (stranger.status_code, stranger.json()["code"]) == (404, "dossier_not_found")
    wrong = post(
        signed_in(cast.reception), f"/api/v1/tasks/{created['id']}/complete", {"action": "approve"}
    )
    assert (wrong.status_code, wrong.json()["code"]) == (409, "action_not_allowed")
    unknown = post(
        signed_in(cast.reception), f"/api/v1/tasks/{created['id']}/complete", {"action": "fly"}
    )
    assert unknown.status_code == 422
    other = signed_in(cast.binh).get(f"/api/v1/applications/{created['id']}")
    assert other.status_code == 404
    update = an.put(
        f"/api/v1/applications/{created['id']}",
        json.dumps({"data": {"child_full_name": "Nguyễn Minh Khang"}}),
        content_type="application/json",
    )
    assert (update.status_code, update.json()["code"]) == (409, "action_not_allowed")


def test_a_submission_with_a_bearer_token_costs_a_fixed_number_of_queries(cast: Cast) -> None:
    """The benchmark's request (``publicservices-submit``): a person's bearer token, the
    answers and a required document inline. Its statements are counted, not timed: the
    token, the agency, BEGIN, the dossier with the file's row (one statement on
    PostgreSQL), its log entry, one audit entry (the document in it), the outbox event (in
    a test's transaction; served, BEGIN and COMMIT and the after-commit task checks are
    added)."""
    from datetime import timedelta

    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone
    from oauth2_provider.models import AccessToken, set_token_value

    from nentang.identity import services as identity
    from nentang.kernel.auditing import Actor

    scopes = ["openid", "publicservices"]
    portal = identity.client_register(
        actor=Actor.system("test"),
        client_id="test-dvc-portal",
        name="Test portal",
        public=True,
        redirect_uris=["http://127.0.0.1:9/callback"],
        purpose="Test",
        scopes=scopes,
    ).application
    apps.get_model("identity", "Consent").objects.create(
        account=cast.an,
        application=portal,
        scopes=scopes,
        purpose="Test",
        granted_at=timezone.now(),
    )
    token = AccessToken(
        user=cast.an,
        application=portal,
        scope=" ".join(scopes),
        expires=timezone.now() + timedelta(hours=1),
    )
    set_token_value(token, "test-publicservices-token-" + "0" * 24)
    token.save()
    client = Client()
    path = "/api/v1/services/cap-phieu-ly-lich-tu-phap/applications"
    body = {
        "agency": "so-tu-phap-tp-hcm",
        "data": support.judicial_record(),
        "documents": support.papers_json("cap-phieu-ly-lich-tu-phap"),
    }
    bearer = {"Authorization": "Bearer test-publicservices-token-" + "0" * 24}
    assert post(client, path, body, **bearer).status_code == 201  # caches warm
    with CaptureQueriesContext(connection) as queries:
        created = post(client, path, body, **bearer)
    assert created.status_code == 201, created.content
    statements = [q["sql"] for q in queries.captured_queries]
    # The audit log's own statements depend on the database (one on PostgreSQL, three on
    # SQLite): counted as entries, one for the submission and its document.
    # On PostgreSQL the log entry goes in the audit entry's statement (``alongside``), and
    # the dossier and its document's row are one statement (``rowinserts.insert_linked``).
    ours = [s for s in statements if "audit_" not in s]
    limit = 6 if connection.vendor == "postgresql" else 8
    assert len(ours) <= limit, "\n".join(s[:120] for s in ours)
    assert (
        apps.get_model("publicservices", "DossierAction")
        .objects.filter(dossier_id=created.json()["id"], action="submit", seq=1)
        .exists()
    )
    assert sum("INSERT INTO" in s and "audit_auditentry" in s for s in statements) == 1
    audit_entries = apps.get_model("audit", "AuditEntry").objects
    [entry] = audit_entries.filter(
        action="publicservices.dossier.submit", subject=created.json()["id"]
    )
    given = support.papers_json("cap-phieu-ly-lich-tu-phap")
    assert [d["document"] for d in entry.summary["documents"]] == [p["document"] for p in given]
    assert all(len(d["sha256"]) == 64 for d in entry.summary["documents"])
    assert not audit_entries.filter(action="publicservices.dossier.document_upload").exists()
