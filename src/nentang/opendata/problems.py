"""Problem codes of the opendata context (see kernel/errors/registry.py)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from nentang.kernel.errors.registry import register

DATASET_NOT_FOUND = register(
    "dataset_not_found",
    status=404,
    title=_("Dataset not found"),
    meaning=_("No dataset you may see has this id or name."),
    advice=_("Check the name; drafts and private datasets are visible to their publishers only."),
)
RESOURCE_NOT_FOUND = register(
    "resource_not_found",
    status=404,
    title=_("Resource not found"),
    meaning=_("No resource you may see has this id."),
    advice=_("Take the resource id from the dataset's package_show."),
)
ORGANISATION_NOT_FOUND = register(
    "organisation_not_found",
    status=404,
    title=_("Organisation not found"),
    meaning=_("No publishing organisation has this id or name."),
    advice=_("List the organisations with organization_list."),
)
GROUP_NOT_FOUND = register(
    "group_not_found",
    status=404,
    title=_("Group not found"),
    meaning=_("No theme (group) has this id or name."),
    advice=_("List the groups with group_list."),
)
DATASET_NAME_TAKEN = register(
    "dataset_name_taken",
    status=409,
    title=_("Dataset name already used"),
    meaning=_("Another dataset already has this URL name."),
    advice=_("Choose another name (lower-case letters, digits, hyphens)."),
)
PUBLISHER_REQUIRED = register(
    "publisher_required",
    status=403,
    title=_("Publisher of this organisation required"),
    meaning=_("Only the publishers of the dataset's organisation may change it."),
    advice=_("Sign in with a publisher account of that organisation, or send its API token."),
)
INVALID_TRANSITION = register(
    "invalid_state_transition",
    status=409,
    title=_("This change of state is not allowed"),
    meaning=_("Datasets go from draft to published to deprecated; deleted is final."),
    advice=_("Read the dataset's state first."),
)
INVALID_API_TOKEN = register(
    "invalid_api_token",
    status=401,
    title=_("Invalid API token"),
    meaning=_("The API token is unknown or revoked."),
    advice=_("Create a new token on your publisher page."),
)
DATASTORE_NOT_FOUND = register(
    "datastore_not_found",
    status=404,
    title=_("No datastore table for this resource"),
    meaning=_("The resource has no queryable table yet (nothing ingested)."),
    advice=_("Upload a CSV, XLSX or JSON file to the resource first."),
)
INGEST_FAILED = register(
    "ingest_failed",
    status=422,
    title=_("The file could not be loaded"),
    meaning=_(
        "The file is malformed (ragged rows, bad encoding, unknown format); nothing was loaded."
    ),
    advice=_("Fix the row and column named in the error, or choose the encoding by hand."),
)
SQL_REFUSED = register(
    "sql_refused",
    status=400,
    title=_("SQL query refused"),
    meaning=_(
        "datastore_search_sql runs one read-only SELECT over datastore tables, with "
        "allowed functions only, a time limit and a row cap."
    ),
    advice=_("Write a single SELECT over the resource tables, without writes or system tables."),
)
INVALID_FQ = register(
    "invalid_fq",
    status=400,
    title=_("Malformed filter"),
    meaning=_(
        "A filter term (fq) is not field:value, names an unknown field or leaves a quote open."
    ),
    advice=_('Write filters as field:value, e.g. organization:so-tnmt tags:"nước".'),
)
INVALID_SORT = register(
    "invalid_sort",
    status=400,
    title=_("Unknown sort"),
    meaning=_("The sort names a field or direction the search does not know."),
    advice=_("Sort by score, title_string, metadata_modified or name, asc or desc."),
)
INVALID_PAGING = register(
    "invalid_paging",
    status=400,
    title=_("Paging out of range"),
    meaning=_("rows is 0 to 1000 and start is 0 or more."),
    advice=_("Ask for at most 1,000 rows at a time and page with start."),
)
INGEST_JOB_NOT_FOUND = register(
    "ingest_job_not_found",
    status=404,
    title=_("Load not found"),
    meaning=_("No load of a file of your organisations has this id."),
    advice=_("Take the id from the answer that queued the load."),
)
HARVEST_SOURCE_NOT_FOUND = register(
    "harvest_source_not_found",
    status=404,
    title=_("Harvest source not found"),
    meaning=_("No harvest source of your organisations has this id or name."),
    advice=_("List your harvest sources with GET /api/v1/opendata/harvest-sources."),
)
HARVEST_SOURCE_TAKEN = register(
    "harvest_source_taken",
    status=409,
    title=_("Harvest source name already used"),
    meaning=_("Another harvest source already has this name."),
    advice=_("Choose another name (lower-case letters, digits, hyphens)."),
)
DUMP_FORMAT_UNKNOWN = register(
    "dump_format_unknown",
    status=400,
    title=_("Unknown export format"),
    meaning=_("A table is exported as csv or xlsx."),
    advice=_("Ask for /datastore/dump/<id>?format=csv or ?format=xlsx."),
)
DUMP_TOO_LARGE_FOR_XLSX = register(
    "dump_too_large_for_xlsx",
    status=400,
    title=_("Table too large for a spreadsheet file"),
    meaning=_("XLSX is offered for tables of up to 100,000 rows."),
    advice=_("Download the table as CSV (format=csv)."),
)
