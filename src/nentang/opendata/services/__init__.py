"""Write operations of the opendata context (see docs/new-context.md)."""

from nentang.opendata.services.catalogue import (
    api_token_create,
    api_token_revoke,
    dataset_create,
    dataset_data_updated,
    dataset_transition,
    dataset_update,
    group_create,
    organisation_create,
    publisher_grant,
    resource_create,
    resource_delete,
    resource_update,
)
from nentang.opendata.services.common import can_publish
from nentang.opendata.services.datastore import (
    datastore_create,
    datastore_field_describe,
    datastore_upload,
    ingest_job_run,
)
from nentang.opendata.services.files import resource_upload, stored_file
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
    "datastore_upload",
    "group_create",
    "ingest_job_run",
    "organisation_create",
    "publisher_grant",
    "resource_create",
    "resource_delete",
    "resource_update",
    "resource_upload",
    "statistics_publish",
    "stored_file",
]
