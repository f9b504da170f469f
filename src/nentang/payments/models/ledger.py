"""The double-entry ledger, close to TigerBeetle's data model (docs/payments.md).

* :class:`Account` carries four running totals — debits and credits, pending and
  posted — like a TigerBeetle account. Its balance is ``credits_posted - debits_posted``;
  the sum of all balances is zero because every transfer adds the same amount to one
  account's debits and another's credits.
* :class:`Transfer` rows are insert-only. The client chooses the id; the same id with the
  same parameters returns the original, other parameters are refused.
* A pending transfer reserves funds; one ``post`` (full or partial), ``void`` or
  ``expire`` transfer resolves it. The unique constraint on ``pending`` makes a second
  resolution impossible, whatever the code above does.
* :class:`Entry` is a view: the two legs of every transfer with the deltas they applied,
  derived from the transfer row; the reconciliation recomputes the four totals of every
  account from them.
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q

from nentang.kernel.ids import new_id


class AccountKind(models.TextChoices):
    WALLET = "wallet", "Person's wallet"
    MERCHANT = "merchant", "Merchant account"
    AGENCY = "agency", "Agency fee-collection account"
    AGENT = "agent", "Cash-in/cash-out agent"
    SYSTEM = "system", "System account"


class Account(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        FROZEN = "frozen", "Frozen"
        CLOSED = "closed", "Closed"

    id = models.BigAutoField(primary_key=True)
    public_id = models.UUIDField(unique=True, default=new_id, editable=False)
    code = models.CharField(
        max_length=120,
        unique=True,
        help_text="Stable name: system:cash-float, merchant:banh-mi-co, agency:CODE, …",
    )
    kind = models.CharField(max_length=10, choices=AccountKind.choices)
    name = models.CharField(max_length=200)
    owner = models.CharField(
        max_length=80,
        blank=True,
        default="",
        help_text="person:<uuid>, organisation:<uuid>, agency:<code>, postal-merchant:<code>.",
    )
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.ACTIVE)
    debits_must_not_exceed_credits = models.BooleanField(default=True)
    debits_pending = models.BigIntegerField(default=0)
    debits_posted = models.BigIntegerField(default=0)
    credits_pending = models.BigIntegerField(default=0)
    credits_posted = models.BigIntegerField(default=0)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["kind", "owner"], name="payments_account_owner")]
        constraints = [
            models.CheckConstraint(
                condition=Q(debits_pending__gte=0)
                & Q(debits_posted__gte=0)
                & Q(credits_pending__gte=0)
                & Q(credits_posted__gte=0),
                name="payments_account_totals_not_negative",
            ),
            # Defence in depth: the services check it first, the database refuses anyway.
            models.CheckConstraint(
                condition=Q(debits_must_not_exceed_credits=False)
                | Q(debits_posted__lte=F("credits_posted") - F("debits_pending")),
                name="payments_account_debits_within_credits",
            ),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def balance(self) -> int:
        return self.credits_posted - self.debits_posted

    @property
    def available(self) -> int:
        """What may still be debited: the balance less what pending transfers hold."""
        return self.credits_posted - self.debits_posted - self.debits_pending


class TransferKind(models.TextChoices):
    POSTED = "posted", "Posted at once"
    PENDING = "pending", "Pending (reserves funds)"
    POST = "post", "Posts a pending transfer"
    VOID = "void", "Voids a pending transfer"
    EXPIRE = "expire", "Expires a pending transfer"


class Transfer(models.Model):
    """One transfer, with what its two legs did: ``seq`` orders the ledger (a sequence
    drawn under the accounts' locks, so it grows in the order each account saw its
    transfers), the balances after it on both sides, and ``held`` — the pending amount a
    ``post``/``void``/``expire`` released. :class:`Entry` (a view) derives the legs."""

    id = models.UUIDField(primary_key=True, help_text="Chosen by the client (idempotency).")
    # No database foreign keys or single-column indexes on the accounts: a transfer is
    # only written by ``transfers_create`` after it locked both accounts in the same
    # transaction, accounts are never deleted, and the reconciliation checks that every
    # transfer's accounts exist. The per-row constraint triggers were a large share of a
    # batch's time; the statement indexes (account, seq) lead with the account.
    debit_account = models.ForeignKey(
        Account, on_delete=models.PROTECT, related_name="+", db_constraint=False, db_index=False
    )
    credit_account = models.ForeignKey(
        Account, on_delete=models.PROTECT, related_name="+", db_constraint=False, db_index=False
    )
    amount = models.BigIntegerField()
    kind = models.CharField(max_length=8, choices=TransferKind.choices)
    pending = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="resolution",
        db_constraint=False,
        db_index=False,
        help_text="The pending transfer this one posts, voids or expires (once).",
    )
    linked = models.BooleanField(default=False)
    timeout = models.PositiveIntegerField(default=0, help_text="Seconds (pending only).")
    expires_at = models.DateTimeField(null=True, blank=True)
    code = models.CharField(max_length=20, help_text="Purpose: p2p, merchant, fee, cod, …")
    reference = models.CharField(max_length=140, blank=True, default="")
    created_at = models.DateTimeField()
    seq = models.BigIntegerField(default=0, help_text="Order in the ledger.")
    held = models.BigIntegerField(default=0, help_text="Pending amount released.")
    debit_balance_after = models.BigIntegerField(default=0)
    credit_balance_after = models.BigIntegerField(default=0)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(
                fields=["expires_at"],
                name="payments_transfer_expiry",
                condition=Q(kind="pending"),
            ),
            models.Index(fields=["debit_account", "seq"], name="payments_transfer_debits"),
            models.Index(fields=["credit_account", "seq"], name="payments_transfer_credits"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="payments_transfer_amount"),
            models.CheckConstraint(
                condition=~Q(debit_account=F("credit_account")),
                name="payments_transfer_two_accounts",
            ),
            # One resolution per pending transfer, whatever the code above does (partial:
            # the many transfers that resolve nothing add no index entry).
            models.UniqueConstraint(
                fields=["pending"],
                condition=Q(pending__isnull=False),
                name="payments_transfer_one_resolution",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.id} {self.amount} ₫"


class Entry(models.Model):
    """One leg of a transfer on one account, with the deltas it applied: a database view
    over :class:`Transfer` (two rows per transfer, migration 0006), not a table — a
    batch writes one row per transfer instead of three. ``id`` is ``2·seq`` for the
    debit leg and ``2·seq + 1`` for the credit leg; ``seq`` orders an account's
    statement (the view's filters reach the transfer's (account, seq) indexes)."""

    id = models.BigIntegerField(primary_key=True)
    seq = models.BigIntegerField()
    account = models.ForeignKey(
        Account, on_delete=models.DO_NOTHING, related_name="entries", db_constraint=False
    )
    transfer = models.ForeignKey(
        Transfer, on_delete=models.DO_NOTHING, related_name="entries", db_constraint=False
    )
    debits_pending = models.BigIntegerField(default=0)
    debits_posted = models.BigIntegerField(default=0)
    credits_pending = models.BigIntegerField(default=0)
    credits_posted = models.BigIntegerField(default=0)
    balance_after = models.BigIntegerField()
    created_at = models.DateTimeField()

    class Meta:
        managed = False
        db_table = "payments_entry"
        ordering = ["seq"]

    def __str__(self) -> str:
        return f"{self.account_id}/{self.transfer_id}"
