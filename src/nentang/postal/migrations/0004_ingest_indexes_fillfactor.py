"""Less to write per scan: three redundant indexes gone, more room for HOT updates.

* ``postal_shipment_s10_idx`` (s10): the unique (s10, s10_cycle) index leads with it;
* the index of ``Shipment.merchant``: ``postal_ship_merchant`` (merchant, -created_at,
  -id) leads with it;
* the index of ``TrackingEvent.shipment``: the unique ``postal_event_once`` (shipment,
  code, occurred_at, facility_code) leads with it.

Every event inserted wrote three index entries (now two), and every shipment update
that was not heap-only wrote nine (now seven). ``postal_shipment`` gets fillfactor 45
(was 70): a row is ~450 bytes, so a page filled to 70 % had room for the new versions
of only 5 of its 12 rows, and a sorting centre's batch (parcels created together sit
on the same pages) made most updates leave the page and touch every index; at 45 %
a page's 8 rows all fit again beside themselves (measured: 32 % of updates heap-only
before, see docs/performance.md). PostgreSQL only; it applies to pages written from
now on (``VACUUM FULL`` or ``pg_repack`` rewrites the existing ones).
"""

from __future__ import annotations

from typing import Any

import django.db.models.deletion
from django.db import migrations, models


def _fillfactor(value: int) -> Any:
    def apply(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(f"ALTER TABLE postal_shipment SET (fillfactor = {int(value)})")

    return apply


class Migration(migrations.Migration):
    dependencies = [("postal", "0003_merchant_staff")]

    operations = [
        migrations.RemoveIndex(model_name="shipment", name="postal_shipment_s10_idx"),
        migrations.AlterField(
            model_name="shipment",
            name="merchant",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="shipments",
                to="postal.merchant",
            ),
        ),
        migrations.AlterField(
            model_name="trackingevent",
            name="shipment",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="events",
                to="postal.shipment",
            ),
        ),
        migrations.RunPython(_fillfactor(45), _fillfactor(70)),
    ]
