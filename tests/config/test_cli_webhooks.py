"""`nentang webhooks deliver | replay | list`, run in-process against a real receiver.

State is set up through the services: a subscription of the merchant "Bách hóa An" to a
loopback receiver (allowed, as on a development machine) and events emitted in a
service transaction.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator
from typing import Any

import click
import pytest
from click.testing import CliRunner, Result
from django.db import transaction
from django.utils.translation import gettext

from nentang.config.cli import cli, console
from nentang.kernel.auditing import Actor
from nentang.kernel.events import emit
from nentang.kernel.ids import new_id
from nentang.kernel.models import OutboxEvent, WebhookDelivery
from nentang.kernel.webhooks import webhook_subscription_create
from tests.support.http import Receiver, Reply

OPERATOR = Actor.officer("can-bo-van-hanh")  # the operator acting in these tests

Status = WebhookDelivery.Status
OWNER = "merchant:bach-hoa-an"
TOPIC = "payments.transfer.completed"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.close()


@pytest.fixture(autouse=True)
def allow_loopback(settings: Any) -> None:
    settings.NENTANG_OUTBOUND_ALLOW_NETWORKS = (ipaddress.ip_network("127.0.0.0/8"),)


@pytest.fixture
def closed_port() -> int:
    """A loopback port where nothing listens (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(autouse=True)
def wide_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """Room for a whole row of the table on one line. Rich reads COLUMNS once, when the
    console is made (pytest-xdist workers set it to 80), so the width is set here."""
    monkeypatch.setattr(console, "width", 200)


def nentang(*args: str) -> Result:
    return CliRunner().invoke(cli, ["webhooks", *args])


def subscribe(url: str) -> None:
    webhook_subscription_create(actor=OPERATOR, owner=OWNER, url=url, topics=["payments.*"])


def emit_committed(transfer_id: str = "t-0001") -> OutboxEvent:
    """A service's change: the event is written in its transaction."""
    with transaction.atomic():
        return emit(TOPIC, {"transfer_id": transfer_id, "amount": 150_000})


def table_rows(output: str) -> dict[str, list[str]]:
    """The rows of the rich table, by delivery id, as lists of cell texts."""
    rows: dict[str, list[str]] = {}
    for line in output.splitlines():
        cells = [cell.strip() for cell in line.strip("│ ").split("│")]
        if len(cells) == 6 and cells[0] != "id":
            rows[cells[0]] = cells
    return rows


# --- deliver -------------------------------------------------------------------------


@pytest.mark.django_db
def test_deliver_sends_what_is_due_and_says_how_many(receiver: Receiver) -> None:
    subscribe(receiver.url + "/webhooks/nentang")
    event = emit_committed()

    result = nentang("deliver")

    assert result.exit_code == 0, result.output
    assert result.stdout == "nentang: 1 webhook delivery attempted\n"
    assert [(r.method, r.path) for r in receiver.requests] == [("POST", "/webhooks/nentang")]
    assert receiver.requests[0].headers["webhook-id"] == str(event.id)
    assert WebhookDelivery.objects.get().status == Status.SUCCEEDED

    again = nentang("deliver")

    assert again.exit_code == 0
    assert again.stdout == "nentang: 0 webhook deliveries attempted\n"
    assert len(receiver.requests) == 1


# --- list ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_list_shows_recent_deliveries_and_filters_by_status(
    receiver: Receiver, closed_port: int
) -> None:
    subscribe(receiver.url + "/webhooks/nentang?token=s3cret")
    subscribe(f"http://127.0.0.1:{closed_port}/hook")
    emit_committed()
    assert nentang("deliver").stdout == "nentang: 2 webhook deliveries attempted\n"
    succeeded = WebhookDelivery.objects.get(status=Status.SUCCEEDED)
    retrying = WebhookDelivery.objects.get(status=Status.PENDING)

    result = nentang("list")

    assert result.exit_code == 0, result.output
    rows = table_rows(result.stdout)
    assert rows[str(succeeded.id)][1:] == [
        TOPIC,
        f"{receiver.url}/webhooks/nentang",
        "succeeded",
        "1",
        "—",
    ]
    assert rows[str(retrying.id)][1:5] == [
        TOPIC,
        f"http://127.0.0.1:{closed_port}/hook",
        "pending",
        "1",
    ]
    assert rows[str(retrying.id)][5].startswith(str(retrying.next_attempt_at.year))
    assert "s3cret" not in result.stdout  # the receiver's token stays out of the terminal

    only_succeeded = nentang("list", "--status", "succeeded")

    assert list(table_rows(only_succeeded.stdout)) == [str(succeeded.id)]

    none_dead = nentang("list", "--status", "dead")

    assert none_dead.exit_code == 0
    assert none_dead.stdout == "nentang: no dead webhook deliveries\n"


def test_list_offers_exactly_the_delivery_states() -> None:
    webhooks_group = cli.commands["webhooks"]
    assert isinstance(webhooks_group, click.Group)
    status = next(p for p in webhooks_group.commands["list"].params if p.name == "status")
    assert isinstance(status.type, click.Choice)
    assert sorted(status.type.choices) == sorted(Status.values)

    result = nentang("list", "--status", "lost")

    assert result.exit_code == 2
    assert "--status" in result.stderr
    assert "'lost'" in result.stderr


# --- replay --------------------------------------------------------------------------


@pytest.mark.django_db
def test_replay_sends_a_dead_delivery_again(receiver: Receiver, settings: Any) -> None:
    settings.NENTANG_WEBHOOK_MAX_ATTEMPTS = 1
    subscribe(receiver.url + "/webhooks/nentang")
    emit_committed()
    receiver.default = Reply(500)
    nentang("deliver")
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == (Status.DEAD, 1)

    result = nentang("replay", str(delivery.id))

    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"nentang: webhook delivery {delivery.id} is pending again")
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (Status.PENDING, 0)

    receiver.default = Reply(204)
    assert nentang("deliver").stdout == "nentang: 1 webhook delivery attempted\n"
    delivery.refresh_from_db()
    assert delivery.status == Status.SUCCEEDED
    assert len(receiver.requests) == 2


@pytest.mark.django_db
def test_replay_of_an_unknown_delivery_is_one_sentence() -> None:
    unknown = new_id()

    result = nentang("replay", str(unknown))

    assert result.exit_code == 1
    assert result.stdout == ""
    # The service's sentence, in the platform's language (Vietnamese unless configured).
    detail = gettext("No such webhook delivery.")
    assert result.stderr == f"nentang: cannot replay webhook delivery {unknown}: {detail}\n"
    assert "Traceback" not in result.output


@pytest.mark.django_db
def test_replay_of_a_malformed_id_is_one_sentence() -> None:
    result = nentang("replay", "not-a-uuid")

    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == "nentang: 'not-a-uuid' is not a webhook delivery id (a UUID).\n"


@pytest.mark.django_db
def test_replay_of_a_pending_delivery_is_refused(closed_port: int) -> None:
    subscribe(f"http://127.0.0.1:{closed_port}/hook")
    emit_committed()
    nentang("deliver")
    delivery = WebhookDelivery.objects.get()

    result = nentang("replay", str(delivery.id))

    assert result.exit_code == 1
    detail = gettext("This delivery is still pending; it will be attempted again on its own.")
    assert result.stderr == f"nentang: cannot replay webhook delivery {delivery.id}: {detail}\n"
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (Status.PENDING, 1)
