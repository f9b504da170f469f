"""Fills a migrated nentang database with a catalogue of N published datasets for
``bench/opendata_search.py``: 60 organisations (three departments in 20 provinces),
the demo's themes, tags and Vietnamese titles, one resource each (CSV, XLSX or JSON), and
their search documents (``catalogue_search.document``) — what ``dataset_reindex``
writes, bulk-inserted; the database fills its full-text index from them (creating
100,000 datasets one by one with their audit entries would take most of an hour on the
shared machine).

Run inside Django: ``nentang manage shell -c "from bench._opendata_catalogue import
build; build(100000)"``.
"""

from __future__ import annotations

import datetime
import random
import uuid

from django.db import transaction

from bench.opendata import PROVINCES
from nentang.opendata.catalogue_search import document
from nentang.opendata.demo import GROUPS, TEMPLATES, WARDS
from nentang.opendata.models import (
    Dataset,
    DatasetSearch,
    Group,
    Organisation,
    Resource,
    Tag,
)

DEPARTMENTS = (
    ("so-tnmt", "Sở Tài nguyên và Môi trường"),
    ("so-gddt", "Sở Giáo dục và Đào tạo"),
    ("so-tc", "Sở Tài chính"),
)
BATCH = 5000


def build(count: int) -> None:
    rng = random.Random(20260301)
    now = datetime.datetime(2026, 3, 1, tzinfo=datetime.UTC)
    provinces = PROVINCES[:20]
    organisations = {}
    for p, province in enumerate(provinces):
        for code, title in DEPARTMENTS:
            org = Organisation.objects.create(
                name=f"{code}-{p:02d}", title=f"{title} {province}",
                agency_code=f"{code}-{p:02d}", province_code=f"{p + 1:02d}", created_at=now,
            )  # fmt: skip
            organisations[(code, p)] = org
    groups = {
        name: Group.objects.create(name=name, title=title, created_at=now) for name, title in GROUPS
    }
    tags: dict[str, Tag] = {}
    for template in TEMPLATES:
        for tag in template[5]:
            tags[tag] = tags.get(tag) or Tag.objects.create(name=tag, folded=tag.lower())
    places = [*WARDS, *PROVINCES]
    for start in range(0, count, BATCH):
        datasets, payloads = [], []
        for n in range(start, min(count, start + BATCH)):
            prefix, title, notes, org_code, group, tag_names, frequency, licence = TEMPLATES[n % 4]
            place, year = places[n % len(places)], 2015 + n % 11
            words = {"ward": place, "year": year, "next": year + 1}
            p = rng.randrange(len(provinces))
            organisation = organisations[(org_code.rsplit("-", 1)[0], p)]
            modified = now - datetime.timedelta(minutes=n)
            dataset = Dataset(
                public_id=uuid.uuid4(), name=f"{prefix}-{n}", title=title.format(**words),
                notes=notes.format(**words), organisation=organisation, licence_id=licence,
                frequency=frequency, state="published", private=False,
                spatial_codes=[f"{p + 1:02d}"], province_codes=f"{p + 1:02d}",
                created_at=modified, modified_at=modified, published_at=modified,
                formats=("CSV", "XLSX", "JSON")[n % 3],
            )  # fmt: skip
            datasets.append(dataset)
            payloads.append((group, tag_names))
        with transaction.atomic():
            Dataset.objects.bulk_create(datasets)
            saved = {d.name: d for d in Dataset.objects.filter(name__in=[d.name for d in datasets])}
            group_links, tag_links, resources, documents = [], [], [], []
            for dataset, (group, tag_names) in zip(datasets, payloads, strict=True):
                row = saved[dataset.name]
                group_links.append(Dataset.groups.through(dataset=row, group=groups[group]))
                tag_links += [Dataset.tags.through(dataset=row, tag=tags[t]) for t in tag_names]
                resources.append(
                    Resource(
                        dataset=row, name="Dữ liệu", format=row.formats, position=0,
                        url=f"https://dulieu.example.gov.vn/{row.name}.{row.formats.lower()}",
                        created_at=row.created_at, modified_at=row.modified_at,
                    )
                )  # fmt: skip
                fields = document(
                    title=row.title, name=row.name, tags=tag_names,
                    groups=[groups[group].title], organisation=dataset.organisation.title,
                    notes=row.notes,
                )  # fmt: skip
                documents.append(DatasetSearch(dataset=row, **fields))
            Dataset.groups.through.objects.bulk_create(group_links)
            Dataset.tags.through.objects.bulk_create(tag_links)
            Resource.objects.bulk_create(resources)
            DatasetSearch.objects.bulk_create(documents, batch_size=1000)
        print(f"{start + len(datasets):,} datasets", flush=True)
