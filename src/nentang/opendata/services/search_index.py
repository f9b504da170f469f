"""Keeps a dataset's search document (``DatasetSearch``) current; the database's
full-text engine indexes it (``opendata.catalogue_search``)."""

from __future__ import annotations

from nentang.opendata.catalogue_search import document, words
from nentang.opendata.models import Dataset, DatasetSearch

__all__ = ["dataset_reindex", "document", "words"]


def dataset_reindex(dataset: Dataset) -> None:
    """Rewrite the search document of one dataset (inside the caller's transaction:
    the database updates its full-text index in the same one)."""
    fields = document(
        title=dataset.title, name=dataset.name, tags=[t.name for t in dataset.tags.all()],
        groups=[g.title for g in dataset.groups.all()], organisation=dataset.organisation.title,
        notes=dataset.notes,
    )  # fmt: skip
    DatasetSearch.objects.update_or_create(dataset=dataset, defaults=fields)
