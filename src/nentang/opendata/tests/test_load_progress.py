"""A load's row progress is visible while the load runs: another connection (the
status page's, the API's) reads it although the load's transaction has not committed,
on both databases (PostgreSQL: a progress connection of its own; SQLite: a progress
file beside the uploads)."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from nentang.opendata import selectors, services
from nentang.opendata.models import DatastoreTable, IngestJob
from nentang.opendata.services import datastore
from nentang.opendata.services.progress import LoadProgress
from nentang.opendata.tests import support

pytestmark = pytest.mark.django_db(transaction=True)
ROWS = 5000  # three batches of the loader


def test_rows_progress_is_seen_from_another_connection_mid_load(
    cast: support.Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    dataset = support.air_quality(cast)
    resource = dataset.resources.get()
    old = "tram;aqi\nQuận 1;52\n".encode()
    services.resource_upload(
        account=cast.publisher, resource=resource, upload=SimpleUploadedFile("aqi.csv", old)
    )
    services.datastore_upload(account=cast.publisher, resource=resource)
    big = "ma;ten\n" + "".join(f"{n};Trạm số {n}\n" for n in range(ROWS))
    services.resource_upload(
        account=cast.publisher, resource=resource,
        upload=SimpleUploadedFile("lon.csv", big.encode()),
    )  # fmt: skip
    job = services.datastore_upload(account=cast.publisher, resource=resource, background=True)

    # Pause the load after its first batch (inside its transaction) until another
    # thread — another database connection — has looked at the job.
    batch_written, looked = threading.Event(), threading.Event()
    write = LoadProgress.write

    def pausing(self: LoadProgress, **values: int) -> None:
        write(self, **values)
        if values.get("rows_done", 0) >= datastore.BATCH and not batch_written.is_set():
            batch_written.set()
            assert looked.wait(timeout=60)

    monkeypatch.setattr(LoadProgress, "write", pausing)
    seen: dict[str, Any] = {}

    def observe() -> None:
        try:
            assert batch_written.wait(timeout=60)
            running = selectors.ingest_job_get(account=cast.publisher, job_id=str(job.public_id))
            seen["job"] = (running.status, running.rows_done, running.rows_total)
            seen["table"] = DatastoreTable.objects.get(resource=resource).row_count
            page = selectors.ingest_jobs(dataset=dataset)
            seen["page"] = [(j.status, j.rows_done) for j in page if j.pk == job.pk]
        finally:
            looked.set()
            connection.close()

    observer = threading.Thread(target=observe)
    observer.start()
    done = services.ingest_job_run(job_id=str(job.public_id))
    observer.join(timeout=60)

    assert seen["job"] == (IngestJob.Status.RUNNING, datastore.BATCH, ROWS)
    assert seen["page"] == [(IngestJob.Status.RUNNING, datastore.BATCH)]
    assert seen["table"] == 1  # the old table: the load had not committed yet
    assert (done.status, done.rows_done, done.rows_total) == (IngestJob.Status.DONE, ROWS, ROWS)
    assert DatastoreTable.objects.get(resource=resource).row_count == ROWS
