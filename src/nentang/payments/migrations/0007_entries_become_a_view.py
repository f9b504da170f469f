"""Transfers carry their legs, second step (after 0006 folded the entries into them;
PostgreSQL refuses to alter a table with pending trigger events in the same
transaction): drop the entries table (``payments_entry`` becomes a view, created after
every migrate by ``payments.models.entries_view``), the transfers' database foreign keys
and single-column account indexes (the (account, seq) statement indexes replace them);
the one-resolution rule becomes a partial unique index. On PostgreSQL ``seq`` comes from
a sequence of its own and the accounts table gets a fill factor of 70, so that updating
the four totals is a HOT update (no index entries)."""

import django.db.models.deletion
from django.db import migrations, models


def entries_table_dropped(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    with schema_editor.connection.cursor() as cursor:
        # The view is created after every migrate (payments.models.entries_view), so
        # that later migrations may rebuild the transfers table under it.
        cursor.execute("DROP TABLE payments_entry")
        if vendor == "postgresql":
            cursor.execute("CREATE SEQUENCE payments_transfer_ledger_seq")
            cursor.execute(
                "SELECT setval('payments_transfer_ledger_seq', "
                "(SELECT COALESCE(MAX(seq), 0) + 1 FROM payments_transfer), false)"
            )
            cursor.execute("ALTER TABLE payments_account SET (fillfactor = 70)")


def entries_table(apps, schema_editor):
    raise RuntimeError("payments 0007 cannot be reversed: the entries are a view now.")


class Migration(migrations.Migration):

    dependencies = [
        ('payments', '0006_transfers_carry_their_legs'),
    ]

    operations = [
        migrations.AlterField(
            model_name='transfer',
            name='credit_account',
            field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='payments.account'),
        ),
        migrations.AlterField(
            model_name='transfer',
            name='debit_account',
            field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='payments.account'),
        ),
        migrations.AlterField(
            model_name='transfer',
            name='pending',
            field=models.ForeignKey(blank=True, db_constraint=False, db_index=False, help_text='The pending transfer this one posts, voids or expires (once).', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='resolution', to='payments.transfer'),
        ),
        migrations.AddIndex(
            model_name='transfer',
            index=models.Index(fields=['debit_account', 'seq'], name='payments_transfer_debits'),
        ),
        migrations.AddIndex(
            model_name='transfer',
            index=models.Index(fields=['credit_account', 'seq'], name='payments_transfer_credits'),
        ),
        migrations.AddConstraint(
            model_name='transfer',
            constraint=models.UniqueConstraint(condition=models.Q(('pending__isnull', False)), fields=('pending',), name='payments_transfer_one_resolution'),
        ),
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(entries_table_dropped, entries_table)],
            state_operations=[migrations.DeleteModel(name="Entry")],
        ),
        migrations.CreateModel(
            name="Entry",
            fields=[
                ("id", models.BigIntegerField(primary_key=True, serialize=False)),
                ("seq", models.BigIntegerField()),
                ("debits_pending", models.BigIntegerField(default=0)),
                ("debits_posted", models.BigIntegerField(default=0)),
                ("credits_pending", models.BigIntegerField(default=0)),
                ("credits_posted", models.BigIntegerField(default=0)),
                ("balance_after", models.BigIntegerField()),
                ("created_at", models.DateTimeField()),
                (
                    "account",
                    models.ForeignKey(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="entries",
                        to="payments.account",
                    ),
                ),
                (
                    "transfer",
                    models.ForeignKey(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="entries",
                        to="payments.transfer",
                    ),
                ),
            ],
            options={"db_table": "payments_entry", "ordering": ["seq"], "managed": False},
        ),
    ]
