# Login throttling and lockout (identity.services.login): failed logins per address and
# per login, and the count of lockouts that makes each one last longer.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("identity", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="account",
            name="lockouts",
            field=models.PositiveSmallIntegerField(default=0),
        ),
        migrations.CreateModel(
            name="LoginFailure",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("occurred_at", models.DateTimeField()),
                ("source_ip", models.GenericIPAddressField(blank=True, null=True)),
                ("login_key", models.CharField(max_length=64)),
            ],
            options={
                "indexes": [
                    models.Index(fields=["source_ip", "occurred_at"], name="loginfailure_ip_idx"),
                    models.Index(fields=["login_key", "occurred_at"], name="loginfailure_login_idx"),
                    models.Index(fields=["occurred_at"], name="loginfailure_time_idx"),
                ],
            },
        ),
    ]
