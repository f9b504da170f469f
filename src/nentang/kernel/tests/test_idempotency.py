"""Idempotency-Key: same key + same body → same response, once; another body → 409."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from nentang.kernel.idempotency import purge_expired
from nentang.kernel.models import CalendarDay, IdempotencyRecord

pytestmark = pytest.mark.urls("nentang.kernel.tests.api_fixture")

URL = "/api/v1/test/days"


def post(client: Client, body: dict[str, Any], key: str | None = None, **headers: str) -> Any:
    if key is not None:
        headers["Idempotency-Key"] = key
    return client.post(URL, data=json.dumps(body), content_type="application/json", headers=headers)


@pytest.mark.django_db
def test_same_key_same_body_replays_the_first_response(client: Client) -> None:
    body = {"date": "2031-01-02", "name": "Ngày thử"}
    first = post(client, body, key="key-0001")
    second = post(client, body, key="key-0001")
    assert first.status_code == second.status_code == 201
    assert second.content == first.content
    assert second["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert CalendarDay.objects.filter(name="Ngày thử").count() == 1


@pytest.mark.django_db
def test_json_key_order_and_spacing_do_not_matter(client: Client) -> None:
    post(client, {"date": "2031-01-03", "name": "Thứ tự"}, key="key-order")
    raw = '{ "name": "Thứ tự",   "date": "2031-01-03" }'
    again = client.post(
        URL, data=raw, content_type="application/json", headers={"Idempotency-Key": "key-order"}
    )
    assert again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"


@pytest.mark.django_db
def test_same_key_other_body_is_a_conflict_and_writes_nothing(client: Client) -> None:
    post(client, {"date": "2031-01-04", "name": "Một"}, key="key-0002")
    before = CalendarDay.objects.count()
    response = post(client, {"date": "2031-01-05", "name": "Hai"}, key="key-0002")
    assert response.status_code == 409
    assert json.loads(response.content)["code"] == "idempotency_key_reused"
    assert CalendarDay.objects.count() == before


@pytest.mark.django_db
def test_structured_field_form_of_the_key_is_the_same_key(client: Client) -> None:
    post(client, {"date": "2031-01-06", "name": "Ba"}, key="key-0003")
    replay = post(client, {"date": "2031-01-06", "name": "Ba"}, key='"key-0003"')
    assert replay["Idempotent-Replayed"] == "true"


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["", "x" * 256, "khóa-có-dấu"])
def test_malformed_keys_are_refused(client: Client, key: str) -> None:
    response = client.post(
        URL,
        data=json.dumps({"date": "2031-01-07", "name": "Bốn"}),
        content_type="application/json",
        headers={"Idempotency-Key": key.encode("utf-8").decode("latin-1")},
    )
    assert response.status_code == 400
    assert json.loads(response.content)["code"] == "invalid_idempotency_key"
    assert not CalendarDay.objects.filter(name="Bốn").exists()


@pytest.mark.django_db
def test_errors_are_not_stored_so_a_retry_can_succeed(client: Client) -> None:
    bad = post(client, {"date": "2031-01-08", "name": "invalid-by-rule"}, key="key-0004")
    assert bad.status_code == 422
    assert not IdempotencyRecord.objects.filter(key="key-0004").exists()


@pytest.mark.django_db
def test_keys_are_scoped_per_caller(client: Client) -> None:
    body = {"date": "2031-01-09", "name": "Năm"}
    post(client, body, key="shared-key", REMOTE_ADDR="10.0.0.1")
    other = Client(REMOTE_ADDR="10.0.0.2")
    response = post(other, {"date": "2031-01-10", "name": "Sáu"}, key="shared-key")
    assert response.status_code == 201
    assert "Idempotent-Replayed" not in response


@pytest.mark.django_db
def test_token_holders_behind_one_address_never_get_each_others_answer() -> None:
    """ninja authenticates inside the operation the wrapper wraps: the key's owner must
    be the token's holder, not the address two phones behind one carrier NAT share."""
    body = {"text": "phản ánh"}
    client = Client(REMOTE_ADDR="100.64.0.7")
    an = client.post(
        "/api/v1/test/notes",
        data=json.dumps(body),
        content_type="application/json",
        headers={"Idempotency-Key": "same-key", "Authorization": "Bearer token-an"},
    )
    binh = client.post(
        "/api/v1/test/notes",
        data=json.dumps(body),
        content_type="application/json",
        headers={"Idempotency-Key": "same-key", "Authorization": "Bearer token-binh"},
    )
    assert (an.status_code, binh.status_code) == (201, 201)
    assert json.loads(binh.content)["owner"] == "binh"
    assert "Idempotent-Replayed" not in binh
    again = client.post(
        "/api/v1/test/notes",
        data=json.dumps(body),
        content_type="application/json",
        headers={"Idempotency-Key": "same-key", "Authorization": "Bearer token-an"},
    )
    assert again["Idempotent-Replayed"] == "true"
    assert json.loads(again.content)["owner"] == "an"
    assert set(IdempotencyRecord.objects.values_list("scope", flat=True)) == {
        "holder:an",
        "holder:binh",
    }


@pytest.mark.django_db
def test_a_refused_token_with_a_key_is_401_and_stores_nothing(client: Client) -> None:
    response = client.post(
        "/api/v1/test/notes",
        data=json.dumps({"text": "x"}),
        content_type="application/json",
        headers={"Idempotency-Key": "k-401", "Authorization": "Bearer forged"},
    )
    assert response.status_code == 401
    assert not IdempotencyRecord.objects.filter(key="k-401").exists()


@pytest.mark.django_db
def test_expired_keys_run_again_and_are_purged(client: Client) -> None:
    post(client, {"date": "2031-01-11", "name": "Bảy"}, key="key-0005")
    IdempotencyRecord.objects.filter(key="key-0005").update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    again = post(client, {"date": "2031-01-12", "name": "Tám"}, key="key-0005")
    assert again.status_code == 201
    assert "Idempotent-Replayed" not in again
    IdempotencyRecord.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert purge_expired() >= 1
    assert not IdempotencyRecord.objects.exists()


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_with_one_key_write_once() -> None:
    """Eight clients race with the same key: one write, eight identical 201 responses."""
    body = {"date": "2031-02-01", "name": "Đua"}
    results: list[Any] = []
    barrier = threading.Barrier(8)

    def worker() -> None:
        try:
            barrier.wait()
            results.append(post(Client(REMOTE_ADDR="10.9.9.9"), body, key="race-key"))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [r.status_code for r in results] == [201] * 8
    assert len({r.content for r in results}) == 1
    assert CalendarDay.objects.filter(name="Đua").count() == 1
    assert sum(1 for r in results if "Idempotent-Replayed" not in r) == 1
