"""``payments-http`` — person-to-person transfers per second through the HTTP API, on
PostgreSQL (a database of its own, dropped afterwards).

Each request is a GSMA ``POST /api/v1/payments/transactions/type/transfer`` with a
machine client's bearer token and a fresh ``X-CorrelationID``, between two of
``wallets`` wallets chosen at random by phone number (``msisdn``): token check, both
parties looked up, the payer's wallet row locked, the month's limit checked, the
transfer (and its fee, here none) through ``transfers_create``, the month's usage, the
audit entry and outbox event, the request state. ``nentang serve`` with ``workers``
processes; baseline: the bare-Django view of ``http-floor-django`` (no middleware, no
database) served by the same Granian settings in the same run and loaded by the same
wrk — the ratio says what share of a do-nothing Django request the whole transfer
costs on this machine.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from bench import _servers, _wrk
from bench._api import Benchmark, BenchmarkError, Context, Param, Sample, register
from bench._audit_setup import DEFAULT_SERVER, django_on_new_database
from bench._identity_setup import wrk_run

PREFIX = "nt_pay_http_bench"
TOKEN = "bench-payments-token-" + "0" * 28
PATH = "/api/v1/payments/transactions/type/transfer"
# Each wrk thread numbers its requests; the run's nonce keeps correlation ids of one
# measurement apart from the next (a replay would be answered from the first).
LUA = """
local wallets = tonumber(os.getenv("BENCH_WALLETS"))
local nonce = tonumber(os.getenv("BENCH_NONCE"), 16)
local counter = 0
local threads = {}

function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  math.randomseed(nonce + id * 7919)
end

function request()
  counter = counter + 1
  local payer = math.random(1, wallets)
  local payee = math.random(1, wallets - 1)
  if payee >= payer then payee = payee + 1 end
  local body = string.format(
    '{"amount":"%d","currency":"VND",' ..
    '"debitParty":[{"key":"msisdn","value":"+8490%07d"}],' ..
    '"creditParty":[{"key":"msisdn","value":"+8490%07d"}]}',
    math.random(1000, 50000), payer, payee)
  local headers = {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN"),
    ["X-CorrelationID"] = string.format("%08x-%04x-4000-8000-%012x", nonce, id, counter),
  }
  return wrk.format("POST", nil, headers, body)
end
"""


def _wallets(count: int) -> None:
    """``count`` level-2 people with wallets on phones +84900000001…, each funded."""
    import datetime

    from django.utils import timezone

    from nentang.identity.models import Person
    from nentang.kernel.auditing import Actor
    from nentang.payments import services

    now = timezone.now()
    Person.objects.bulk_create(
        [
            Person(
                id_number=f"0790900{n:05d}",
                full_name=f"Người thử {n}",
                full_name_folded=f"nguoi thu {n}",
                date_of_birth=datetime.date(1990, 1, 1),
                sex="male",
                phone=f"+8490{n:07d}",
                province_code="79",
                commune_code="26740",
                street="1 Lê Lợi",
                level=2,
                created_at=now,
                updated_at=now,
            )
            for n in range(1, count + 1)
        ]
    )
    actor = Actor.system("bench")
    agent = services.agent_open(actor=actor, code="bench", name="bench", float_amount=10**15)
    for person in Person.objects.filter(phone__startswith="+8490").order_by("phone"):
        wallet = services.wallet_open(actor=Actor.person(str(person.id)), person_id=person.id)
        services.cash_in(actor=actor, agent=agent, wallet=wallet, amount=10**10,
                         idempotency_key=f"bench-{person.id}")  # fmt: skip


def _machine_token() -> None:
    from datetime import timedelta

    from django.utils import timezone
    from oauth2_provider.models import AccessToken, set_token_value

    from nentang.identity.oidc.services import client_register
    from nentang.kernel.auditing import Actor

    client = client_register(
        actor=Actor.system("bench"), name="Bench wallet provider", grant="client_credentials",
        client_id="bench-provider", scopes=["payments"], purpose="Benchmark",
    ).application  # fmt: skip
    token = AccessToken(
        user=None, application=client, scope="payments",
        expires=timezone.now() + timedelta(hours=6),
    )  # fmt: skip
    set_token_value(token, TOKEN)
    token.save()


@contextmanager
def _setup(context: Context) -> Iterator[None]:
    _wrk.require_wrk()
    context.facts["wrk"] = _wrk.wrk_version()
    with django_on_new_database(context, prefix=PREFIX):
        _wallets(int(context.params["wallets"]))
        _machine_token()
        workers = int(context.params["workers"])
        with _servers.nentang_and_django_floor(context, workers=workers) as (ours, floor):
            context.state.update({"ours": ours, "floor": floor})
            context.facts["wallets"] = int(context.params["wallets"])
            yield
        # After the servers stopped: no request is still committing.
        from nentang.payments import selectors
        from nentang.payments.models import Transfer

        context.facts["transfers_created"] = Transfer.objects.filter(code="p2p").count()
        report = selectors.ledger_reconcile()
        if not report.ok:
            raise BenchmarkError(
                f"the ledger does not reconcile: {report.differences[:3]} {report.problems[:3]}"
            )
        context.facts["reconciled"] = True


def _details(result: _wrk.WrkResult) -> dict[str, Any]:
    details: dict[str, Any] = {
        f"latency_{name}_ms": round(value, 2) for name, value in result.latency_ms.items()
    }
    details.update({"requests": result.requests, "errors": result.errors})
    return details


def _transfers(context: Context) -> Sample:
    result = wrk_run(
        context,
        context.state["ours"] + PATH,
        LUA,
        {"BENCH_TOKEN": TOKEN, "BENCH_WALLETS": str(context.params["wallets"]),
         "BENCH_NONCE": secrets.token_hex(4)},
        str(context.params["duration"]),
    )  # fmt: skip
    if result.non_2xx:
        raise BenchmarkError(f"{result.non_2xx} transfers were refused; the numbers are void.")
    return Sample(result.requests_per_second, _details(result))


def _floor(context: Context) -> Sample:
    result = _wrk.run(
        context.state["floor"] + "/api/v1/ping",
        threads=int(context.params["threads"]),
        connections=int(context.params["connections"]),
        duration=str(context.params["duration"]),
    )
    if result.non_2xx:
        raise BenchmarkError("the Django floor gave non-2xx answers; the numbers are void.")
    return Sample(result.requests_per_second, _details(result))


register(
    Benchmark(
        name="payments-http",
        description="P2P transfers/s through the GSMA HTTP API (bearer token, limits, ledger, "
        "audit, request state) vs the bare-Django view (PostgreSQL, 2 workers)",
        unit="requests/s",
        # A ratio to a view that does nothing (the same yardstick as publicservices-submit).
        target=0.1,
        higher_is_better=True,
        scenario=_transfers,
        baseline=_floor,
        scenario_label="POST transactions/type/transfer",
        baseline_label="bare Django view",
        setup=_setup,
        params={
            "server": Param(DEFAULT_SERVER, "PostgreSQL server (loopback only)"),
            "wallets": Param(200, "wallets among which money moves"),
            "workers": Param(2, "server worker processes"),
            "threads": Param(2, "wrk threads"),
            "connections": Param(16, "wrk connections"),
            "duration": Param("10s", "each measurement's length"),
        },
        summary_details=lambda s, b: (
            f"p99 {s.get('latency_p99_ms')} ms vs {b.get('latency_p99_ms')} ms"
        ),
    )
)
