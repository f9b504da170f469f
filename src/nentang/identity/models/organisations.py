from __future__ import annotations

from django.db import models

from nentang.kernel.ids import new_id


class Organisation(models.Model):
    """An organisation e-ID (Decree 69/2024, Art. 11): identification (tax) code, names,
    establishment date, head office, and a legal representative who is a level-2 person."""

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    account = models.OneToOneField(
        "identity.Account",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="organisation",
    )
    tax_code = models.CharField(max_length=14, unique=True)
    name = models.CharField(max_length=300)
    name_folded = models.CharField(max_length=300, db_index=True)
    english_name = models.CharField(max_length=300, blank=True, default="")
    short_name = models.CharField(max_length=100, blank=True, default="")
    established_on = models.DateField()
    province_code = models.CharField(max_length=2)
    commune_code = models.CharField(max_length=5)
    street = models.CharField(max_length=200)
    legal_representative = models.ForeignKey(
        "identity.Person", on_delete=models.PROTECT, related_name="represented"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["name_folded"]

    def __str__(self) -> str:
        return self.name
