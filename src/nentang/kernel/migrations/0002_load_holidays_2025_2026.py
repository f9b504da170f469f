"""Load the 2025–2026 holiday calendar from kernel/data/holidays_vn.json.

Reads the data file next to the package instead of importing app code, so the
migration stays valid whatever the code becomes. Existing rows are left untouched.
"""

import datetime
import json
from pathlib import Path

from django.db import migrations

DATA = Path(__file__).resolve().parent.parent / "data" / "holidays_vn.json"


def load(apps, schema_editor):
    CalendarDay = apps.get_model("kernel", "CalendarDay")
    days = json.loads(DATA.read_text(encoding="utf-8"))["days"]
    existing = set(CalendarDay.objects.values_list("date", flat=True))
    CalendarDay.objects.bulk_create(
        [
            CalendarDay(
                date=datetime.date.fromisoformat(day["date"]),
                kind=day["kind"],
                name=day["name"],
                source=day["source"],
            )
            for day in days
            if datetime.date.fromisoformat(day["date"]) not in existing
        ]
    )


class Migration(migrations.Migration):
    dependencies = [("kernel", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
