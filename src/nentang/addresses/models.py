"""Administrative units: provinces and commune-level units, versioned by effective dates.

Since 1 July 2025 (Resolution 202/2025/QH15) Vietnam has two levels: 34 provincial units
and 3,321 commune-level units; the district level is abolished. Codes come from
Decision 19/2025/QĐ-TTg (province 2 digits, commune 5 digits) and are never reused, so a
code is a primary key for ever: a future re-organisation closes units (``effective_to``)
and adds new ones (``effective_from``) instead of editing rows in place.

The commune level is called ``Commune`` here (the legal "đơn vị hành chính cấp xã": xã,
phường or đặc khu). The public API says "ward", as carriers' and payment APIs do.
"""

from __future__ import annotations

from django.db import models


class DataSource(models.Model):
    """Where a version of the reference data came from, and when it was loaded."""

    name = models.CharField(max_length=100)
    version = models.CharField(max_length=50)
    licence = models.CharField(max_length=50)
    url = models.URLField(max_length=500)
    file = models.CharField(max_length=300, help_text="The file inside the source.")
    source_sha256 = models.CharField(max_length=64, help_text="sha256 of the source artefact.")
    data_sha256 = models.CharField(max_length=64, help_text="sha256 of the loaded data file.")
    legal_basis = models.CharField(max_length=300)
    effective_from = models.DateField()
    loaded_at = models.DateTimeField()

    class Meta:
        ordering = ["effective_from", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["name", "version", "data_sha256"], name="addresses_datasource_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.version} (from {self.effective_from})"


# Module-level with distinct names: the API's OpenAPI components are named after the
# enum classes, and two classes both called "Kind" silently overwrite each other there.
class ProvinceKind(models.TextChoices):
    TINH = "tinh", "Tỉnh"
    THANH_PHO = "thanh_pho", "Thành phố"


class CommuneKind(models.TextChoices):
    XA = "xa", "Xã"
    PHUONG = "phuong", "Phường"
    DAC_KHU = "dac_khu", "Đặc khu"


class Province(models.Model):
    """A provincial-level unit: a tỉnh or a centrally governed thành phố."""

    Kind = ProvinceKind

    code = models.CharField(max_length=2, primary_key=True)
    name = models.CharField(max_length=100, help_text="Name without its kind: “Hà Nội”.")
    full_name = models.CharField(max_length=120, help_text="“Thành phố Hà Nội”.")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    name_folded = models.CharField(max_length=100, db_index=True)
    effective_from = models.DateField()
    effective_to = models.DateField(null=True, blank=True, help_text="Empty while in force.")
    source = models.ForeignKey(DataSource, on_delete=models.PROTECT, related_name="provinces")

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.full_name}"


class Commune(models.Model):
    """A commune-level unit (đơn vị hành chính cấp xã): a xã, a phường or a đặc khu."""

    Kind = CommuneKind

    code = models.CharField(max_length=5, primary_key=True)
    name = models.CharField(max_length=120, help_text="Name with its kind: “Phường Sài Gòn”.")
    short_name = models.CharField(max_length=100, help_text="“Sài Gòn”.")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    province = models.ForeignKey(Province, on_delete=models.PROTECT, related_name="communes")
    name_folded = models.CharField(max_length=120, db_index=True)
    effective_from = models.DateField()
    effective_to = models.DateField(null=True, blank=True, help_text="Empty while in force.")
    source = models.ForeignKey(DataSource, on_delete=models.PROTECT, related_name="communes")

    class Meta:
        ordering = ["code"]
        indexes = [
            # The communes of one province in name order: the listing's keyset order.
            models.Index(
                fields=["province", "name_folded", "code"], name="addresses_commune_prov_name"
            )
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"
