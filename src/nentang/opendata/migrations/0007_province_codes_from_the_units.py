"""A dataset's provinces come from its units: a commune's code does not begin with its
province's (ward 26740 lies in province 79), so ``province_codes`` written from the
first two digits of a ward's code named the wrong province. Recomputed here."""

from typing import Any

from django.db import migrations


def recompute(apps: Any, schema_editor: Any) -> None:
    Dataset = apps.get_model("opendata", "Dataset")
    Commune = apps.get_model("addresses", "Commune")
    provinces = dict(Commune.objects.values_list("code", "province_id"))
    for dataset in Dataset.objects.exclude(spatial_codes=[]).only("pk", "spatial_codes"):
        codes = {
            str(code) if len(str(code)) == 2 else str(provinces.get(str(code), ""))
            for code in dataset.spatial_codes or []
        }
        Dataset.objects.filter(pk=dataset.pk).update(
            province_codes=" ".join(sorted(code for code in codes if code))
        )


class Migration(migrations.Migration):
    dependencies = [
        ("addresses", "0002_load_units_2025_07_01"),
        ("opendata", "0006_catalogue_search_on_the_database_engine"),
    ]

    operations = [migrations.RunPython(recompute, migrations.RunPython.noop)]
