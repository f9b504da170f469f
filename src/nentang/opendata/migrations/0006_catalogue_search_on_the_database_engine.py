"""Catalogue search moves from our own inverted index (``DatasetTerm``) to the database's
full-text engine: a search document per dataset (``DatasetSearch``) indexed by an FTS5
table on SQLite or a generated ``tsvector`` column with a GIN index on PostgreSQL
(``opendata.catalogue_search``). The datasets already there get their documents."""

from typing import Any

import django.db.models.deletion
from django.db import migrations, models

from nentang.opendata import catalogue_search


def index_create(apps: Any, schema_editor: Any) -> None:
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        for statement in catalogue_search.create_statements(connection.vendor):
            cursor.execute(statement)
    Dataset = apps.get_model("opendata", "Dataset")
    DatasetSearch = apps.get_model("opendata", "DatasetSearch")
    datasets = Dataset.objects.select_related("organisation").prefetch_related("tags", "groups")
    batch = []
    for dataset in datasets.iterator(chunk_size=2000):
        fields = catalogue_search.document(
            title=dataset.title, name=dataset.name, tags=[t.name for t in dataset.tags.all()],
            groups=[g.title for g in dataset.groups.all()],
            organisation=dataset.organisation.title, notes=dataset.notes,
        )  # fmt: skip
        batch.append(DatasetSearch(dataset_id=dataset.pk, **fields))
        if len(batch) == 2000:
            DatasetSearch.objects.bulk_create(batch)
            batch = []
    DatasetSearch.objects.bulk_create(batch)


def index_drop(apps: Any, schema_editor: Any) -> None:
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        for statement in catalogue_search.drop_statements(connection.vendor):
            cursor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("opendata", "0005_term_postings_index")]

    operations = [
        migrations.CreateModel(
            name="DatasetSearch",
            fields=[
                (
                    "dataset",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="search_document",
                        serialize=False,
                        to="opendata.dataset",
                    ),
                ),
                ("title", models.TextField(default="")),
                ("keywords", models.TextField(default="")),
                ("context", models.TextField(default="")),
                ("notes", models.TextField(default="")),
            ],
        ),
        migrations.RunPython(index_create, index_drop),
        migrations.DeleteModel(name="DatasetTerm"),
    ]
