"""Tables of the open-data context: the catalogue (licences, organisations, groups,
datasets, resources, tags, their search documents), the publishers and their API tokens, and
the datastore (one table per resource with its fields, and ingestion jobs)."""

from nentang.opendata.models.catalogue import (
    ApiToken,
    Dataset,
    DatasetSearch,
    Group,
    Licence,
    Organisation,
    Publisher,
    Resource,
    Tag,
)
from nentang.opendata.models.datastore import DatastoreTable, IngestJob
from nentang.opendata.models.harvest import HarvestRecord, HarvestRun, HarvestSource

__all__ = [
    "ApiToken",
    "Dataset",
    "DatasetSearch",
    "DatastoreTable",
    "Group",
    "HarvestRecord",
    "HarvestRun",
    "HarvestSource",
    "IngestJob",
    "Licence",
    "Organisation",
    "Publisher",
    "Resource",
    "Tag",
]
