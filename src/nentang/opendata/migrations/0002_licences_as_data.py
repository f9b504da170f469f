# Licences as data: the rows of CKAN's license_list. The Vietnamese open-data licence
# has no official text we could cite: it is marked "(verify)" until one is published.

from django.db import migrations

LICENCES = [
    ("cc-by-4.0", "Creative Commons Attribution 4.0 (CC-BY-4.0)",
     "https://creativecommons.org/licenses/by/4.0/", True, ""),
    ("cc-zero", "Creative Commons CCZero (CC0-1.0)",
     "https://creativecommons.org/publicdomain/zero/1.0/", True, ""),
    ("odc-by", "Open Data Commons Attribution License (ODC-BY-1.0)",
     "https://opendatacommons.org/licenses/by/1-0/", True, ""),
    ("odc-odbl", "Open Data Commons Open Database License (ODbL-1.0)",
     "https://opendatacommons.org/licenses/odbl/1-0/", True, ""),
    ("cc-by-sa-4.0", "Creative Commons Attribution Share-Alike 4.0 (CC-BY-SA-4.0)",
     "https://creativecommons.org/licenses/by-sa/4.0/", True, ""),
    ("vn-odl", "Giấy phép dữ liệu mở Việt Nam (verify)", "", True,
     "No official text identified; check before use (verify)."),
    ("other-open", "Other (Open)", "", True, ""),
    ("notspecified", "License not specified", "", False, ""),
]


def install(apps, schema_editor):
    Licence = apps.get_model("opendata", "Licence")
    for position, (key, title, url, is_open, note) in enumerate(LICENCES):
        Licence.objects.update_or_create(
            id=key,
            defaults={"title": title, "url": url, "is_open": is_open, "note": note,
                      "position": position},
        )


class Migration(migrations.Migration):
    dependencies = [("opendata", "0001_catalogue_and_datastore")]

    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
