"""The catalogue and the datastore under concurrent writers and a crash, on PostgreSQL:

* eight publishers create a dataset with the same name at once: one wins, the others
  get the "name taken" conflict (never a 500), and the catalogue holds one dataset;
* eight writers append records to one datastore table at once: every record is there
  once, with distinct ``_id``s, and the row count is right;
* a loader process is killed with SIGKILL in the middle of replacing a table: the old
  table is intact (nothing half-written), and re-running the job loads the new file.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from nentang.kernel.errors import Conflict, ValidationFailed
from nentang.opendata import services
from nentang.opendata.models import Dataset, DatastoreTable, IngestJob
from nentang.opendata.tests import support

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


def in_threads(count: int, work: Any) -> list[Any]:
    outcomes: list[Any] = []
    lock = threading.Lock()
    start = threading.Barrier(count)

    def run(n: int) -> None:
        try:
            start.wait()
            try:
                result: Any = work(n)
            except Exception as error:  # the outcome is what the test checks
                result = error
            with lock:
                outcomes.append(result)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return outcomes


def test_concurrent_creates_of_one_name_make_one_dataset(cast: support.Cast) -> None:
    outcomes = in_threads(8, lambda n: support.air_quality(cast, title=f"Bản {n}"))

    created = [o for o in outcomes if isinstance(o, Dataset)]
    refused = [o for o in outcomes if not isinstance(o, Dataset)]
    assert len(created) == 1, outcomes
    assert all(isinstance(o, Conflict | ValidationFailed) for o in refused), refused
    assert all(o.status in (409, 422) for o in refused)
    assert Dataset.objects.filter(name=support.AIR["name"]).count() == 1


def test_concurrent_upserts_into_one_table_keep_every_record(cast: support.Cast) -> None:
    dataset = support.air_quality(cast)
    resource = dataset.resources.get()
    services.datastore_create(
        account=cast.publisher, resource=resource,
        fields=[{"id": "tram", "type": "text"}, {"id": "aqi", "type": "int"}],
        records=[{"tram": "gốc", "aqi": 0}],
    )  # fmt: skip

    def upsert(n: int) -> Any:
        records: list[Mapping[str, Any]] = [
            {"tram": f"trạm {n}-{k}", "aqi": 1000 + n * 100 + k} for k in range(50)
        ]
        return services.datastore_create(
            account=cast.publisher, resource=resource, fields=None, records=records
        )

    outcomes = in_threads(8, upsert)

    assert all(isinstance(o, DatastoreTable) for o in outcomes), outcomes
    with connection.cursor() as cursor:
        table = connection.ops.quote_name(str(resource.public_id))
        cursor.execute(f"SELECT count(*), count(DISTINCT _id), count(DISTINCT aqi) FROM {table}")
        assert cursor.fetchone() == (401, 401, 401)
    assert DatastoreTable.objects.get(resource=resource).row_count == 401


LOADER = """
import sys, django
django.setup()
from nentang.opendata.models import IngestJob
from nentang.opendata.services import datastore
original = datastore._insert
def loud(name, fields, rows, start, on_batch=None):
    def report(count):
        print("rows", count, flush=True)
        if on_batch is not None:
            on_batch(count)
    return original(name, fields, rows, start, report)
datastore._insert = loud
print("job", sys.argv[1], flush=True)
datastore.ingest_job_run(job_id=sys.argv[1])
print("finished", flush=True)
"""


def test_a_loader_killed_mid_replace_leaves_the_old_table(
    cast: support.Cast, tmp_path: Path
) -> None:
    dataset = support.air_quality(cast)
    resource = dataset.resources.get()
    old = "tram;aqi\nQuận 1;52\nThủ Đức;87\n".encode()
    services.resource_upload(
        account=cast.publisher, resource=resource, upload=SimpleUploadedFile("aqi.csv", old)
    )
    services.datastore_upload(account=cast.publisher, resource=resource)
    rows = 60_000
    big = "ma;ten;gia_tri;ngay\n" + "".join(
        f"{n};Trạm số {n};{n % 997},5;{1 + n % 28:02d}/01/2025\n" for n in range(rows)
    )
    services.resource_upload(
        account=cast.publisher, resource=resource,
        upload=SimpleUploadedFile("lon.csv", big.encode()),
    )  # fmt: skip
    job = services.datastore_upload(account=cast.publisher, resource=resource, background=True)
    assert job.status == IngestJob.Status.QUEUED

    db = settings.DATABASES["default"]
    url = f"postgresql://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("NENTANG_")}
    env.update(
        NENTANG_DATABASE_URL=url, NENTANG_HOME=str(settings.HOME),
        DJANGO_SETTINGS_MODULE="nentang.config.settings",
    )  # fmt: skip
    process = subprocess.Popen(
        [sys.executable, "-c", LOADER, str(job.public_id)], env=env,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    loaded = 0
    assert process.stdout is not None
    for line in process.stdout:
        if line.startswith("rows"):
            loaded = int(line.split()[1])
            os.kill(process.pid, signal.SIGKILL)
            break
    process.wait(timeout=60)
    assert process.returncode == -signal.SIGKILL, process.stderr.read() if process.stderr else ""
    assert 0 < loaded < rows

    store = DatastoreTable.objects.get(resource=resource)
    assert ([f["id"] for f in store.fields], store.row_count) == (["tram", "aqi"], 2)
    with connection.cursor() as cursor:
        table = connection.ops.quote_name(str(resource.public_id))
        cursor.execute(f"SELECT tram, aqi FROM {table} ORDER BY _id")
        assert cursor.fetchall() == [("Quận 1", 52), ("Thủ Đức", 87)]
    assert IngestJob.objects.get(pk=job.pk).status == IngestJob.Status.RUNNING

    rerun = services.ingest_job_run(job_id=str(job.public_id))

    assert rerun.status == IngestJob.Status.DONE, rerun.error
    store.refresh_from_db()
    assert store.row_count == rows
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*), max(ma) FROM {table}")
        assert cursor.fetchone() == (rows, rows - 1)


def test_concurrent_creates_with_one_idempotency_key_make_one_dataset(
    cast: support.Cast, live_server: Any
) -> None:
    """A client retrying a create before the first answer came (a double tap, a proxy's
    retry): six requests with the same key and body at once. One creates the dataset,
    the others wait on the key and replay its answer; never a 500, never a second one."""
    import httpx

    api = str(live_server.url).replace("//localhost:", "//127.0.0.1:") + "/api/v1/opendata"
    body = {"name": "nhan-doi", "title": "Nhấn đúp", "owner_org": "so-tnmt-hcm"}
    headers = {"Authorization": f"Bearer {cast.token}", "Idempotency-Key": "nhan-doi-1"}
    httpx.get(f"{api}/licences", timeout=120)  # build the API before the race

    def create(_n: int) -> httpx.Response:
        return httpx.post(f"{api}/datasets", json=body, headers=headers, timeout=120)

    outcomes = in_threads(6, create)
    assert all(isinstance(o, httpx.Response) for o in outcomes), outcomes
    assert sorted(o.status_code for o in outcomes) == [201] * 6, [o.text for o in outcomes]
    assert len({o.json()["id"] for o in outcomes}) == 1
    assert sum(o.headers.get("Idempotent-Replayed") == "true" for o in outcomes) == 5
    assert Dataset.objects.filter(name="nhan-doi").count() == 1
