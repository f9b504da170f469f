"""Wallets: one per person per provider, on a ledger account, with monthly usage
counters per limit category (kept in the wallet's own transaction: see
services/wallets.py)."""

from __future__ import annotations

from django.db import models

from nentang.kernel.ids import new_id
from nentang.payments.models.ledger import Account


class Wallet(models.Model):
    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    person_id = models.UUIDField(help_text="identity.Person id of the holder.")
    provider = models.CharField(max_length=40, default="nentang")
    account = models.OneToOneField(Account, on_delete=models.PROTECT, related_name="wallet")
    phone = models.CharField(max_length=16, help_text="E.164, the phone number on the e-ID.")
    guardian_person_id = models.UUIDField(
        null=True, blank=True, help_text="For a child under 14: the guardian who operates it."
    )
    masked_name = models.CharField(max_length=150, help_text="Shown to payers: 'Nguyễn V. A'.")
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["person_id", "provider"], name="payments_wallet_one_per_provider"
            )
        ]
        indexes = [models.Index(fields=["phone"], name="payments_wallet_phone")]

    def __str__(self) -> str:
        return f"wallet {self.id}"


class WalletUsage(models.Model):
    """What a wallet spent in one calendar month (Asia/Ho_Chi_Minh) in one category."""

    id = models.BigAutoField(primary_key=True)
    wallet = models.ForeignKey(Wallet, on_delete=models.PROTECT, related_name="usage")
    month = models.DateField(help_text="First day of the month.")
    category = models.CharField(max_length=30)
    amount = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["wallet", "month", "category"], name="payments_usage_month"
            )
        ]

    def __str__(self) -> str:
        return f"{self.wallet_id} {self.month} {self.category}"


class WithdrawalCodeFailure(models.Model):
    """A wrong withdrawal code typed at an agent for this wallet: a few per window, then
    the wallet's cash-out waits (the code is six digits, guessable by brute force)."""

    id = models.BigAutoField(primary_key=True)
    wallet = models.ForeignKey(Wallet, on_delete=models.CASCADE, related_name="+")
    agent_code = models.CharField(max_length=120)
    at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["wallet", "at"], name="payments_wcf_wallet_at")]

    def __str__(self) -> str:
        return f"{self.wallet_id} {self.at}"
