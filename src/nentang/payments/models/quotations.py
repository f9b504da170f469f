"""GSMA Mobile Money API v1.2 quotations: the fee of a prospective transaction, kept so
that the transaction that names it (``quotationReference``) is charged exactly that."""

from __future__ import annotations

from django.db import models

from nentang.kernel.ids import new_id


class Quotation(models.Model):
    reference = models.UUIDField(primary_key=True, default=new_id, editable=False)
    client_id = models.CharField(max_length=200, help_text="Who asked (client or person).")
    kind = models.CharField(max_length=20, help_text="transfer, merchantpay, billpay …")
    debit_account_id = models.BigIntegerField()
    credit_account_id = models.BigIntegerField()
    amount = models.BigIntegerField()
    fee = models.BigIntegerField()
    fee_borne_by = models.CharField(max_length=5, help_text="payer or payee")
    schedule = models.CharField(max_length=40, blank=True, default="")
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["client_id", "created_at"], name="payments_quote_client")]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount} + {self.fee}"
