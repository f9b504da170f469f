from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("identity", "0012_merge_recovery_and_soc_responses"),
    ]

    operations = [
        migrations.AddField(
            model_name="agency",
            name="address",
            field=models.CharField(
                blank=True,
                default="",
                help_text="Where people go in person: told to a citizen whose e-ID it locked.",
                max_length=250,
            ),
        ),
    ]
