"""Load the administrative units in force from 1 July 2025 from addresses/data.

34 provincial and 3,321 commune-level units (Resolution 202/2025/QH15) with the codes
of Decision 19/2025/QĐ-TTg, extracted by scripts/build_addresses_data.py; provenance in
addresses/data/README.md. Reads the data file next to the package instead of importing
app code, so the migration stays valid whatever the code becomes. Codes already present
are left untouched; the reverse removes exactly the rows this version loaded.
"""

import datetime
import hashlib
import json
from pathlib import Path

from django.db import migrations
from django.utils import timezone

DATA = Path(__file__).resolve().parent.parent / "data" / "units-2025-07-01.json"


def load(apps, schema_editor):
    DataSource = apps.get_model("addresses", "DataSource")
    Province = apps.get_model("addresses", "Province")
    Commune = apps.get_model("addresses", "Commune")
    raw = DATA.read_bytes()
    data = json.loads(raw)
    meta = data["source"]
    effective_from = datetime.date.fromisoformat(meta["effective_from"])
    source, _ = DataSource.objects.get_or_create(
        name=meta["name"],
        version=meta["version"],
        data_sha256=hashlib.sha256(raw).hexdigest(),
        defaults={
            "licence": meta["licence"],
            "url": meta["url"],
            "file": meta["file"],
            "source_sha256": meta["wheel_sha256"],
            "legal_basis": meta["legal_basis"],
            "effective_from": effective_from,
            "loaded_at": timezone.now(),
        },
    )
    existing = set(Province.objects.values_list("code", flat=True))
    Province.objects.bulk_create(
        [
            Province(
                code=row["code"],
                name=row["name"],
                full_name=row["full_name"],
                kind=row["kind"],
                name_folded=row["name_folded"],
                effective_from=effective_from,
                source=source,
            )
            for row in data["provinces"]
            if row["code"] not in existing
        ]
    )
    existing = set(Commune.objects.values_list("code", flat=True))
    Commune.objects.bulk_create(
        [
            Commune(
                code=row["code"],
                name=row["name"],
                short_name=row["short_name"],
                kind=row["kind"],
                province_id=row["province_code"],
                name_folded=row["name_folded"],
                effective_from=effective_from,
                source=source,
            )
            for row in data["communes"]
            if row["code"] not in existing
        ],
        batch_size=1000,
    )


def unload(apps, schema_editor):
    DataSource = apps.get_model("addresses", "DataSource")
    Province = apps.get_model("addresses", "Province")
    Commune = apps.get_model("addresses", "Commune")
    meta = json.loads(DATA.read_bytes())["source"]
    sources = DataSource.objects.filter(name=meta["name"], version=meta["version"])
    Commune.objects.filter(source__in=sources).delete()
    Province.objects.filter(source__in=sources).delete()
    sources.delete()


class Migration(migrations.Migration):
    dependencies = [("addresses", "0001_initial")]

    operations = [migrations.RunPython(load, unload)]
