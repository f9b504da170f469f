from __future__ import annotations

from django.db import models


class LogLeaf(models.Model):
    """Position of an entry in the log: ``index`` is gap-free, assigned by the integrator."""

    index = models.BigIntegerField(primary_key=True)
    entry = models.OneToOneField("audit.AuditEntry", on_delete=models.PROTECT, related_name="leaf")
    leaf_hash = models.BinaryField(max_length=32)
    integrated_at = models.DateTimeField()

    class Meta:
        ordering = ["index"]

    def __str__(self) -> str:
        return f"leaf {self.index}"


class Tile(models.Model):
    """A C2SP tlog-tiles tile: up to 256 consecutive hashes of tree level ``8 × level``.

    Hashes only ever get appended, so one row per (level, index) holds the widest version
    and a partial tile of width W is the first W hashes. Proofs read tiles, never leaves.
    """

    level = models.PositiveSmallIntegerField()
    index = models.BigIntegerField()
    width = models.PositiveSmallIntegerField()
    hashes = models.BinaryField(max_length=256 * 32)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["level", "index"], name="audit_tile_uniq")]

    def __str__(self) -> str:
        return f"tile {self.level}/{self.index} ({self.width})"


class TreeState(models.Model):
    """The single row holding the integrated tree's size and root; locked by the integrator.

    ``origin`` is the log's name (C2SP origin, the first line of every checkpoint and the
    name of its key): set once, when the tree is first written, and never changed, so
    that moving the installation to another ``NENTANG_BASE_URL`` does not turn it into
    another log.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    size = models.BigIntegerField(default=0)
    root_hash = models.BinaryField(max_length=32)
    updated_at = models.DateTimeField()
    origin = models.CharField(max_length=255, blank=True, default="")

    def __str__(self) -> str:
        return f"tree size {self.size}"


class Checkpoint(models.Model):
    """A signed checkpoint (C2SP tlog-checkpoint in a signed-note), kept for verification."""

    id = models.BigAutoField(primary_key=True)
    size = models.BigIntegerField(db_index=True)
    root_hash = models.BinaryField(max_length=32)
    note = models.TextField(help_text="The complete signed note, as served.")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"checkpoint {self.size} at {self.created_at:%Y-%m-%d %H:%M}"


class EntryCounter(models.Model):
    """How many audit entries were ever committed, split over shards (one per database
    session, modulo the shard count) so that concurrent writers rarely share a row.

    ``record`` adds one in the transaction of the entry, so the sum equals the number
    of rows in the entries table unless someone deleted (or inserted) entries behind
    the application: ``nentang audit verify`` compares them. Counters only grow
    (database guards, migration 0005).
    """

    shard = models.PositiveSmallIntegerField(primary_key=True)
    entries = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"shard {self.shard}: {self.entries}"
