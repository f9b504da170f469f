"""Our own inverted index of folded words (``DatasetTerm``): diacritic-insensitive,
the same on SQLite and PostgreSQL, no Solr. Facet values that are not relations
(provinces of the spatial coverage) are indexed as ``p:<code>`` terms of weight 0."""

from __future__ import annotations

import re

from nentang.kernel.text import fold
from nentang.opendata.models import Dataset, DatasetTerm

WORD = re.compile(r"[a-z0-9]+")
MAX_TERM = 60
# Field weights: a word of the title counts more than a word of the description.
WEIGHTS = {"title": 10, "name": 8, "tags": 6, "groups": 4, "organisation": 3, "notes": 1}


def words(text: str) -> list[str]:
    """Folded words: ``"Chất lượng KHÔNG KHÍ"`` → ``["chat", "luong", "khong", "khi"]``."""
    return [w[:MAX_TERM] for w in WORD.findall(fold(text))]


def terms_of(
    *, title: str, name: str, tags: list[str], groups: list[str], organisation: str,
    notes: str, spatial_codes: list[str],
) -> dict[str, int]:  # fmt: skip
    """Every folded word of a dataset with the weight of its best field, and its
    ``p:<province>`` facet terms."""
    weights: dict[str, int] = {}

    def add(text: str, weight: int) -> None:
        for word in words(text):
            if weights.get(word, -1) < weight:
                weights[word] = weight

    add(title, WEIGHTS["title"])
    add(name.replace("-", " "), WEIGHTS["name"])
    for tag in tags:
        add(tag, WEIGHTS["tags"])
    for group in groups:
        add(group, WEIGHTS["groups"])
    add(organisation, WEIGHTS["organisation"])
    add(notes[:20_000], WEIGHTS["notes"])
    for code in {str(c)[:2] for c in spatial_codes}:
        weights[f"p:{code}"] = 0
    return weights


def dataset_reindex(dataset: Dataset) -> None:
    """Rebuild the index rows of one dataset (inside the caller's transaction)."""
    weights = terms_of(
        title=dataset.title, name=dataset.name, tags=[t.name for t in dataset.tags.all()],
        groups=[g.title for g in dataset.groups.all()], organisation=dataset.organisation.title,
        notes=dataset.notes, spatial_codes=list(dataset.spatial_codes or []),
    )  # fmt: skip
    DatasetTerm.objects.filter(dataset=dataset).delete()
    DatasetTerm.objects.bulk_create(
        [DatasetTerm(dataset=dataset, term=term, weight=w) for term, w in weights.items()]
    )
