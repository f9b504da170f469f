"""Write operations of the opendata context (see docs/new-context.md)."""

from nentang.opendata.services.catalogue import (
    dataset_create,
    dataset_data_updated,
    dataset_transition,
    dataset_update,
)
from nentang.opendata.services.common import can_publish, refuse_nul
from nentang.opendata.services.datastore import (
    datastore_create,
    datastore_field_describe,
    datastore_fields_describe,
    datastore_load_rows,
    datastore_upload,
    ingest_job_run,
)
from nentang.opendata.services.files import resource_upload, stored_file
from nentang.opendata.services.harvest import (
    harvest_queue,
    harvest_run,
    harvest_run_due,
    harvest_schedule,
    harvest_source_create,
)
from nentang.opendata.services.organisations import (
    api_token_create,
    api_token_revoke,
    group_create,
    organisation_create,
    publisher_grant,
)
from nentang.opendata.services.resources import resource_create, resource_delete, resource_update
from nentang.opendata.services.search_index import dataset_reindex
from nentang.opendata.services.statistics import statistics_publish

__all__ = [
    "api_token_create",
    "api_token_revoke",
    "can_publish",
    "dataset_create",
    "dataset_data_updated",
    "dataset_reindex",
    "dataset_transition",
    "dataset_update",
    "datastore_create",
    "datastore_field_describe",
    "datastore_fields_describe",
    "datastore_load_rows",
    "datastore_upload",
    "group_create",
    "harvest_queue",
    "harvest_run",
    "harvest_run_due",
    "harvest_schedule",
    "harvest_source_create",
    "ingest_job_run",
    "organisation_create",
    "publisher_grant",
    "refuse_nul",
    "resource_create",
    "resource_delete",
    "resource_update",
    "resource_upload",
    "statistics_publish",
    "stored_file",
]
