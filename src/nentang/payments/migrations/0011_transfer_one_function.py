"""``payments_transfer_one``: a single posted or pending transfer in one statement on
PostgreSQL (``ledger_sql.transfer_one``; SQLite keeps the Python path).

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
(``auditing.record(alongside=…)``).

``payments_transfers_posted``: a batch of posted transfers in one statement when none of
them fails (``ledger_sql.transfers_posted``): it locks the accounts in id order (``FOR
UPDATE``, as the batch path does), refuses if one of the ids exists, then computes in
SQL each leg's balance after with a running sum over the account's legs in the batch's
order (a window), checks every account active and every constrained debit account's
available amount never below zero along the way, adds each account's debits and
credits, and inserts the rows (``seq`` in the batch's order, both balances after).
If any transfer would fail it raises ``payments_transfer_one_refused`` and writes
nothing: the batch path then applies the batch transfer by transfer in memory (partial
success, linked chains, exact statuses). It returns the ``seq`` of each transfer (in
the batch's order, checked to grow with it), then each debit balance after, then each
credit balance after (one array of 3 × n)."""

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


BATCH_FUNCTION = """
CREATE OR REPLACE FUNCTION payments_transfers_posted(
    p_ids uuid[], p_debits bigint[], p_credits bigint[], p_amounts bigint[],
    p_codes varchar[], p_references varchar[], p_now timestamptz
) RETURNS bigint[] LANGUAGE plpgsql VOLATILE AS $fn$
DECLARE
    refused boolean;
    numbered uuid[];
    seqs bigint[];
    debit_after bigint[];
    credit_after bigint[];
BEGIN
    PERFORM 1 FROM payments_account WHERE id = ANY(p_debits || p_credits)
        ORDER BY id FOR UPDATE;
    IF EXISTS (SELECT 1 FROM payments_transfer WHERE id = ANY(p_ids)) THEN
        RAISE EXCEPTION 'payments_transfer_one_refused';
    END IF;
    WITH input AS (
        SELECT * FROM unnest(p_ids, p_debits, p_credits, p_amounts, p_codes, p_references)
            WITH ORDINALITY AS t(id, debit, credit, amount, code, reference, n)
        WHERE amount > 0 AND debit <> credit
    ), legs AS (
        SELECT n, debit AS account, amount AS debited, 0::bigint AS credited FROM input
        UNION ALL
        SELECT n, credit, 0::bigint, amount FROM input
    ), running AS MATERIALIZED (
        SELECT l.n, l.account, l.debited, l.credited,
            a.status IS NOT DISTINCT FROM 'active' AND (l.debited = 0
                OR NOT a.debits_must_not_exceed_credits
                OR a.credits_posted - a.debits_posted - a.debits_pending
                   + sum(l.credited - l.debited) OVER w >= 0) AS allowed,
            a.credits_posted - a.debits_posted + sum(l.credited - l.debited) OVER w
                AS balance_after
        FROM legs AS l LEFT JOIN payments_account AS a ON a.id = l.account
        WINDOW w AS (PARTITION BY l.account ORDER BY l.n)
    ), verdict AS (
        SELECT count(*) <> 2 * cardinality(p_ids) OR NOT bool_and(allowed) AS refused
        FROM running
    ), totals AS (
        UPDATE payments_account AS a
        SET debits_posted = a.debits_posted + s.debited,
            credits_posted = a.credits_posted + s.credited
        FROM (SELECT account, sum(debited) AS debited, sum(credited) AS credited
              FROM running GROUP BY account) AS s
        WHERE a.id = s.account AND NOT (SELECT v.refused FROM verdict AS v)
    ), inserted AS (
        INSERT INTO payments_transfer (id, debit_account_id, credit_account_id, amount,
            kind, pending_id, linked, timeout, expires_at, code, reference, created_at,
            seq, held, debit_balance_after, credit_balance_after)
        SELECT o.id, o.debit, o.credit, o.amount, 'posted', NULL, false, 0, NULL, o.code,
            o.reference, p_now, nextval('payments_transfer_ledger_seq'), 0, o.debit_after,
            o.credit_after
        FROM (SELECT i.*, d.balance_after AS debit_after, c.balance_after AS credit_after
              FROM input AS i
              JOIN running AS d ON d.n = i.n AND d.account = i.debit
              JOIN running AS c ON c.n = i.n AND c.account = i.credit
              WHERE NOT (SELECT v.refused FROM verdict AS v)
              ORDER BY i.n) AS o
        RETURNING id, seq, debit_balance_after, credit_balance_after
    )
    SELECT (SELECT v.refused FROM verdict AS v), array_agg(id), array_agg(seq),
        array_agg(debit_balance_after), array_agg(credit_balance_after)
    INTO refused, numbered, seqs, debit_after, credit_after
    FROM inserted;
    -- All of them, in the batch's order, numbered in that order.
    IF refused OR numbered IS DISTINCT FROM p_ids THEN
        RAISE EXCEPTION 'payments_transfer_one_refused';
    END IF;
    FOR i IN 2 .. cardinality(seqs) LOOP
        IF seqs[i] <= seqs[i - 1] THEN
            RAISE EXCEPTION 'payments_transfer_one_refused';
        END IF;
    END LOOP;
    RETURN seqs || debit_after || credit_after;
END
$fn$
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(FUNCTION)
            cursor.execute(BATCH_FUNCTION)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(
                "DROP FUNCTION IF EXISTS payments_transfer_one(uuid, bigint, bigint, bigint, "
                "varchar, integer, timestamptz, varchar, varchar, timestamptz)"
            )
            cursor.execute(
                "DROP FUNCTION IF EXISTS payments_transfers_posted(uuid[], bigint[], "
                "bigint[], bigint[], varchar[], varchar[], timestamptz)"
            )


class Migration(migrations.Migration):
    dependencies = [
        ("payments", "0010_accounts_fill_factor_45"),
    ]

    operations = [migrations.RunPython(create, drop)]
