"""Hand-offs between agencies: the agency working on a dossier now (``handler``), the
officer queue's index on it; existing dossiers are with their receiving agency."""

import django.db.models.deletion
from django.db import migrations, models


def handled_at_home(apps, schema_editor):
    dossier = apps.get_model("publicservices", "Dossier")
    dossier.objects.filter(agency__isnull=False).update(handler=models.F("agency"))


class Migration(migrations.Migration):
    dependencies = [
        ("identity", "0017_agency_kind_social_insurance"),
        ("publicservices", "0004_document_reuse_and_apology"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="dossier",
            name="ps_dossier_queue",
        ),
        migrations.AddField(
            model_name="dossier",
            name="handler",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="identity.agency",
            ),
        ),
        migrations.RunPython(handled_at_home, migrations.RunPython.noop, elidable=True),
        migrations.AddIndex(
            model_name="dossier",
            index=models.Index(
                fields=["handler", "step_role", "step_due_date", "id"], name="ps_dossier_queue"
            ),
        ),
    ]
