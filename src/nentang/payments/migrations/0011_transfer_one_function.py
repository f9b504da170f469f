"""``payments_transfer_one``: a single posted or pending transfer in one statement on
PostgreSQL (``ledger._create_one``; SQLite keeps the Python path).

The function only ever *creates* a transfer whose inputs Python has already checked
(positive whole amount, two different accounts, a code, no pending id, not linked): it
updates the two accounts' totals in id order (the row locks, in the same order as a
batch's ``FOR UPDATE``), each ``UPDATE`` carrying the rules in its ``WHERE`` — the
account is active, and a constrained debit account does not spend more than it received
— then inserts the transfer row with ``seq`` and both balances after. Anything else (an
account missing, frozen or closed, insufficient funds, an id that exists: the primary
key) raises ``payments_transfer_one_refused`` and the statement writes nothing; the
caller then runs the batch path, which finds the exact status (``exists``,
``insufficient_funds`` …). It returns ``{seq, debit balance after, credit balance
after}``. The audit entry is written in the same statement by the audit context
(``auditing.record(alongside=…)``). Tried and dropped in the same round: a like
function for a batch of posted transfers (running balances by a window in SQL) — it cut
the client's CPU by two thirds but added as much to the server's (docs/performance.md)."""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION payments_transfer_one(
    p_id uuid, p_debit bigint, p_credit bigint, p_amount bigint, p_kind varchar,
    p_timeout integer, p_expires timestamptz, p_code varchar, p_reference varchar,
    p_now timestamptz
) RETURNS bigint[] LANGUAGE plpgsql VOLATILE AS $fn$
DECLARE
    posted bigint := CASE WHEN p_kind = 'posted' THEN p_amount ELSE 0 END;
    held bigint := CASE WHEN p_kind = 'pending' THEN p_amount ELSE 0 END;
    debit_after bigint;
    credit_after bigint;
    number bigint;
BEGIN
    IF p_kind NOT IN ('posted', 'pending') OR p_amount <= 0 OR p_debit = p_credit THEN
        RAISE EXCEPTION 'payments_transfer_one_refused';
    END IF;
    -- Lower id first: the order every writer locks accounts in (no deadlock).
    IF p_debit < p_credit THEN
        UPDATE payments_account SET debits_pending = debits_pending + held,
            debits_posted = debits_posted + posted
        WHERE id = p_debit AND status = 'active' AND (NOT debits_must_not_exceed_credits
            OR debits_posted + debits_pending + posted + held <= credits_posted)
        RETURNING credits_posted - debits_posted INTO debit_after;
        IF NOT FOUND THEN RAISE EXCEPTION 'payments_transfer_one_refused'; END IF;
    END IF;
    UPDATE payments_account SET credits_pending = credits_pending + held,
        credits_posted = credits_posted + posted
    WHERE id = p_credit AND status = 'active'
    RETURNING credits_posted - debits_posted INTO credit_after;
    IF NOT FOUND THEN RAISE EXCEPTION 'payments_transfer_one_refused'; END IF;
    IF p_debit > p_credit THEN
        UPDATE payments_account SET debits_pending = debits_pending + held,
            debits_posted = debits_posted + posted
        WHERE id = p_debit AND status = 'active' AND (NOT debits_must_not_exceed_credits
            OR debits_posted + debits_pending + posted + held <= credits_posted)
        RETURNING credits_posted - debits_posted INTO debit_after;
        IF NOT FOUND THEN RAISE EXCEPTION 'payments_transfer_one_refused'; END IF;
    END IF;
    INSERT INTO payments_transfer (id, debit_account_id, credit_account_id, amount, kind,
        pending_id, linked, timeout, expires_at, code, reference, created_at, seq, held,
        debit_balance_after, credit_balance_after)
    VALUES (p_id, p_debit, p_credit, p_amount, p_kind, NULL, false, p_timeout, p_expires,
        p_code, p_reference, p_now, nextval('payments_transfer_ledger_seq'), 0,
        debit_after, credit_after)
    ON CONFLICT (id) DO NOTHING
    RETURNING seq INTO number;
    IF NOT FOUND THEN RAISE EXCEPTION 'payments_transfer_one_refused'; END IF;
    RETURN ARRAY[number, debit_after, credit_after];
END
$fn$
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(FUNCTION)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(
                "DROP FUNCTION IF EXISTS payments_transfer_one(uuid, bigint, bigint, bigint, "
                "varchar, integer, timestamptz, varchar, varchar, timestamptz)"
            )


class Migration(migrations.Migration):
    dependencies = [
        ("payments", "0010_accounts_fill_factor_45"),
    ]

    operations = [migrations.RunPython(create, drop)]
