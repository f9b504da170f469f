"""A full-text index for every datastore table loaded before tables had one (FTS5 on
SQLite, a GIN tsvector index on PostgreSQL; ``opendata.full_text``). New tables get
theirs when they are created."""

from typing import Any

from django.db import migrations

from nentang.opendata import full_text


def index_existing(apps: Any, schema_editor: Any) -> None:
    connection = schema_editor.connection
    quote = connection.ops.quote_name
    existing = set(connection.introspection.table_names())
    tables = apps.get_model("opendata", "DatastoreTable").objects.values_list(
        "table_name", flat=True
    )
    with connection.cursor() as cursor:
        for table in tables:
            if table not in existing or full_text.fts_table(table) in existing:
                continue
            for statement in full_text.index_statements(connection.vendor, table, quote):
                cursor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("opendata", "0003_harvest_sources_and_provenance")]

    operations = [migrations.RunPython(index_existing, migrations.RunPython.noop)]
