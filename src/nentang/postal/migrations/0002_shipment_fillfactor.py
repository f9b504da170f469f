"""Room on each page of ``postal_shipment`` for HOT updates.

A scan changes a shipment's status and times, none of them indexed: with free space on
the row's page PostgreSQL writes the new version there and touches none of the table's
seven indexes (a heap-only tuple). Pages filled to 100 % (the default) force every
update of a sorting centre's batch into new pages and new entries in every index.
PostgreSQL only; other databases have no such setting.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations


def _fillfactor(value: int) -> Any:
    def apply(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(f"ALTER TABLE postal_shipment SET (fillfactor = {int(value)})")

    return apply


class Migration(migrations.Migration):
    dependencies = [("postal", "0001_shipments_tracking_merchants")]

    operations = [migrations.RunPython(_fillfactor(70), _fillfactor(100))]
