"""Prometheus metrics: HTTP requests by route and status, latency, queue and outbox depth.

Under ``nentang serve`` several worker processes share counters through
prometheus-client's multi-process mode (``PROMETHEUS_MULTIPROC_DIR``, set by the CLI
before the workers start); in a single process the default registry is used.
Queue depth and outbox backlog are read from the database at scrape time.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import REGISTRY, Collector

logger = logging.getLogger("nentang.metrics")

MULTIPROCESS = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))

REQUESTS = Counter(
    "nentang_http_requests",
    "HTTP requests served, by route pattern, method and status code.",
    ["route", "method", "status"],
)
LATENCY = Histogram(
    "nentang_http_request_duration_seconds",
    "Time from the first middleware to the response, by route pattern.",
    ["route", "method"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)


def observe_request(route: str, method: str, status: int, seconds: float) -> None:
    REQUESTS.labels(route, method, str(status)).inc()
    LATENCY.labels(route, method).observe(seconds)


class DatabaseCollector(Collector):
    """Gauges computed with a few COUNT queries when /metrics is scraped."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        from django.db.models import Count

        queue = GaugeMetricFamily(
            "nentang_task_queue_depth", "Tasks waiting to run, by queue.", labels=["queue"]
        )
        backlog = GaugeMetricFamily(
            "nentang_outbox_backlog",
            "Outbox events not yet fanned out plus webhook deliveries still pending.",
        )
        dead = GaugeMetricFamily(
            "nentang_webhook_deliveries_dead", "Webhook deliveries dead-lettered."
        )
        oldest = GaugeMetricFamily(
            "nentang_queue_oldest_seconds",
            "How long the oldest waiting item of each queue has waited (0: empty); "
            "/readyz fails past NENTANG_QUEUE_STALL_SECONDS.",
            labels=["queue"],
        )
        try:
            from django_tasks_db.models import DBTaskResult

            from nentang.kernel.models import OutboxEvent, WebhookDelivery

            rows = (
                DBTaskResult.objects.filter(status="READY")
                .values("queue_name")
                .annotate(n=Count("id"))
            )
            for row in rows:
                queue.add_metric([row["queue_name"]], row["n"])
            events = OutboxEvent.objects.filter(fanned_out_at__isnull=True).count()
            pending = WebhookDelivery.objects.filter(status="pending").count()
            backlog.add_metric([], events + pending)
            dead.add_metric([], WebhookDelivery.objects.filter(status="dead").count())
            from nentang.kernel.health import backlog_ages

            for name, age in backlog_ages().items():
                oldest.add_metric([name], age)
        except Exception:  # a scrape must not fail because the database is down
            logger.warning("metrics: database gauges unavailable", exc_info=True)
        yield queue
        yield backlog
        yield dead
        yield oldest


_database_collector = DatabaseCollector()


def render() -> bytes:
    """The text exposition of every metric, merged across worker processes."""
    registry = CollectorRegistry()
    if MULTIPROCESS:
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        registry.register(_database_collector)
        return generate_latest(registry)
    registry.register(_database_collector)
    return generate_latest(REGISTRY) + generate_latest(registry)
