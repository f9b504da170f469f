"""Transfers carry their legs (issue 11, batch throughput): ``seq``, ``held`` and the
balances after on both sides move onto the transfer row, and (0007) ``payments_entry``
becomes a view deriving the two legs from it — a batch of 8,000 writes 8,000 rows
instead of 24,000. Here the existing entries are folded into their transfers."""

from django.db import migrations, models

_FOLD = [
    # seq: the order of the first leg's entry id (entry ids grew under the locks).
    "UPDATE payments_transfer SET seq = COALESCE((SELECT MIN(e.id) FROM payments_entry e"
    " WHERE e.transfer_id = payments_transfer.id), 0)",
    "UPDATE payments_transfer SET debit_balance_after = COALESCE((SELECT e.balance_after"
    " FROM payments_entry e WHERE e.transfer_id = payments_transfer.id"
    " AND e.account_id = payments_transfer.debit_account_id), 0)",
    "UPDATE payments_transfer SET credit_balance_after = COALESCE((SELECT e.balance_after"
    " FROM payments_entry e WHERE e.transfer_id = payments_transfer.id"
    " AND e.account_id = payments_transfer.credit_account_id), 0)",
    "UPDATE payments_transfer SET held = (SELECT p.amount FROM payments_transfer p"
    " WHERE p.id = payments_transfer.pending_id) WHERE pending_id IS NOT NULL",
]


def fold_entries(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        for sql in _FOLD:
            cursor.execute(sql)


class Migration(migrations.Migration):

    dependencies = [
        ('payments', '0005_entry_legs_without_redundant_indexes'),
    ]

    operations = [
        migrations.AddField(
            model_name='transfer',
            name='credit_balance_after',
            field=models.BigIntegerField(default=0),
        ),
        migrations.AddField(
            model_name='transfer',
            name='debit_balance_after',
            field=models.BigIntegerField(default=0),
        ),
        migrations.AddField(
            model_name='transfer',
            name='held',
            field=models.BigIntegerField(default=0, help_text='Pending amount released.'),
        ),
        migrations.AddField(
            model_name='transfer',
            name='seq',
            field=models.BigIntegerField(default=0, help_text='Order in the ledger.'),
        ),
        migrations.RunPython(fold_entries, migrations.RunPython.noop),
    ]
