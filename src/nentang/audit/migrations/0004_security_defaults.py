"""Seed security monitoring: the platform's own system, the log-retention policy of each
security level and the shipped detection rules, from audit/data/security_defaults.json.

Reads the data file next to the package instead of importing app code, so the migration
stays valid whatever the code becomes. Rows that exist already are left untouched: an
operator's edits in the system register win.
"""

import datetime
import json
from pathlib import Path

from django.db import migrations

DATA = Path(__file__).resolve().parent.parent / "data" / "security_defaults.json"


def _time(value):
    return datetime.time.fromisoformat(value) if value else None


def load(apps, schema_editor):
    System = apps.get_model("audit", "System")
    RetentionPolicy = apps.get_model("audit", "RetentionPolicy")
    DetectionRule = apps.get_model("audit", "DetectionRule")
    data = json.loads(DATA.read_text(encoding="utf-8"))

    systems = set(System.objects.values_list("code", flat=True))
    System.objects.bulk_create(
        [
            System(
                code=row["code"],
                name=row["name"],
                description=row["description"],
                security_level=row["security_level"],
            )
            for row in data["systems"]
            if row["code"] not in systems
        ]
    )
    levels = set(RetentionPolicy.objects.values_list("security_level", flat=True))
    RetentionPolicy.objects.bulk_create(
        [
            RetentionPolicy(
                security_level=row["security_level"],
                raw_event_days=row["raw_event_days"],
                source=row["source"],
            )
            for row in data["retention_policies"]
            if row["security_level"] not in levels
        ]
    )
    rules = set(DetectionRule.objects.values_list("code", flat=True))
    DetectionRule.objects.bulk_create(
        [
            DetectionRule(
                code=row["code"],
                name=row["name"],
                description=row["description"],
                kind=row["kind"],
                event_kinds=row["event_kinds"],
                then_kind=row["then_kind"],
                group_by=row["group_by"],
                threshold=row["threshold"],
                window_seconds=row["window_seconds"],
                severity=row["severity"],
                office_start=_time(row.get("office_start")),
                office_end=_time(row.get("office_end")),
                time_zone=row.get("time_zone", "Asia/Ho_Chi_Minh"),
                modelled_on=row["modelled_on"],
            )
            for row in data["rules"]
            if row["code"] not in rules
        ]
    )


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_security_monitoring")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
