from __future__ import annotations

from django.db import models

from nentang.kernel.ids import new_id


class Person(models.Model):
    """A natural person known to the e-ID system (Decree 69/2024/NĐ-CP).

    Level 1 by online self-registration; level 2 once an enrolment officer has verified
    the person in person (``LevelVerification``). Children under 14 have no account of
    their own and are attached to a guardian; foreigners from 6 with a residence card.
    Personal data of the basic category (Law 91/2025/QH15); every read of it by an
    officer or a client is written to ``DataUsage`` and shown to the person.
    """

    class Sex(models.TextChoices):
        MALE = "male", "Male"
        FEMALE = "female", "Female"

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    account = models.OneToOneField(
        "identity.Account",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="person",
    )
    id_number = models.CharField(max_length=12, unique=True)
    full_name = models.CharField(max_length=150)
    full_name_folded = models.CharField(max_length=150, db_index=True)
    date_of_birth = models.DateField()
    sex = models.CharField(max_length=8, choices=Sex.choices)
    nationality = models.CharField(max_length=2, default="VN")
    residence_card_number = models.CharField(max_length=20, blank=True, default="")
    phone = models.CharField(max_length=16, blank=True, default="", help_text="E.164, +84…")
    email = models.EmailField(blank=True, default="")
    portrait = models.FileField(upload_to="portraits/%Y/%m/", blank=True, default="")
    province_code = models.CharField(max_length=2)
    commune_code = models.CharField(max_length=5)
    street = models.CharField(max_length=200)
    level = models.PositiveSmallIntegerField(default=1)
    guardian = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="wards"
    )
    # The evidence of a child's tie to the guardian (services/children.py): the tie, the
    # document that proves it, a keyed hash of its number (never the number) and its date.
    guardian_relationship = models.CharField(max_length=8, blank=True, default="")
    guardian_evidence_type = models.CharField(max_length=24, blank=True, default="")
    guardian_evidence_reference = models.CharField(max_length=64, blank=True, default="")
    guardian_evidence_date = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["full_name_folded", "id"]

    def __str__(self) -> str:
        return self.full_name


class LevelVerification(models.Model):
    """An officer verified a person in person: who, when, where, which document, and the
    officer's attestation that the fingerprint matched the population database."""

    class Document(models.TextChoices):
        CITIZEN_ID_CARD = "citizen_id_card", "Citizen identity card (CCCD)"
        PASSPORT = "passport", "Passport"
        RESIDENCE_CARD = "residence_card", "Residence card"

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="verifications")
    officer = models.ForeignKey("identity.Officer", on_delete=models.PROTECT, related_name="+")
    agency = models.ForeignKey("identity.Agency", on_delete=models.PROTECT, related_name="+")
    verified_at = models.DateTimeField()
    place = models.CharField(max_length=200)
    document_type = models.CharField(max_length=20, choices=Document.choices)
    document_reference = models.CharField(
        max_length=64, help_text="Keyed hash of the document number, not the number itself."
    )
    fingerprint_attested = models.BooleanField()

    class Meta:
        ordering = ["verified_at"]

    def __str__(self) -> str:
        return f"{self.person_id} verified {self.verified_at:%Y-%m-%d}"


class PendingRegistration(models.Model):
    """An online registration whose data passed every check, waiting for the one-time
    code sent to its phone (issue 8 item 6). The password is kept only as its hash, the
    code as a keyed hash; ``taken`` registrations (the ID number has an e-ID) look the
    same from outside, but their SMS says an account exists and no code can match.
    Deleted once confirmed; expired rows are removed when the next one starts."""

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    fields = models.JSONField(help_text="The person's checked fields, as stored.")
    password_hash = models.CharField(max_length=200)
    portrait = models.BinaryField()
    portrait_extension = models.CharField(max_length=4)
    phone = models.CharField(max_length=16)
    code_hash = models.CharField(max_length=64)
    taken = models.BooleanField(default=False)
    attempts = models.PositiveSmallIntegerField(default=0)
    sends = models.PositiveSmallIntegerField(default=1)
    sent_at = models.DateTimeField()
    expires_at = models.DateTimeField(db_index=True)
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"pending registration {self.id}"
