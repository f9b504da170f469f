"""HTML pages of the publicservices context, with full paths (included at the root by
config/urls.py)."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from nentang.publicservices.views import citizen, documents, officer, papers, statistics

app_name = "publicservices"

urlpatterns: list[URLPattern | URLResolver] = [
    path("services/", citizen.catalogue, name="catalogue"),
    path("services/statistics", statistics.statistics, name="statistics"),
    path(
        "officer/statistics",
        statistics.officer_statistics,
        name="officer_statistics",
    ),
    path("services/<slug:slug>", citizen.procedure, name="procedure"),
    path("services/<slug:slug>/apply", citizen.apply, name="apply"),
    path("dossiers/", citizen.my_dossiers, name="my_dossiers"),
    path("dossiers/status", citizen.status, name="status"),
    path("dossiers/<uuid:dossier_id>", citizen.dossier, name="dossier"),
    path("dossiers/<uuid:dossier_id>/form/<str:field>", citizen.question, name="question"),
    path("dossiers/<uuid:dossier_id>/review", citizen.review, name="review"),
    path("dossiers/<uuid:dossier_id>/documents", documents.documents, name="documents"),
    path(
        "dossiers/<uuid:dossier_id>/documents/<uuid:file_id>",
        documents.document_file,
        name="document_file",
    ),
    path("dossiers/<uuid:dossier_id>/result.pdf", papers.result, name="result"),
    path(
        "dossiers/<uuid:dossier_id>/results/<uuid:file_id>.pdf",
        papers.partner_result,
        name="partner_result",
    ),
    path("dossiers/<uuid:dossier_id>/receipt.pdf", papers.receipt, name="receipt"),
    path("dossiers/<uuid:dossier_id>/apology.pdf", papers.apology, name="apology"),
    path("results/verify", papers.verify, name="verify"),
    path("officer/dossiers/", officer.queue, name="queue"),
    path("officer/dossiers/<uuid:dossier_id>", officer.dossier, name="officer_dossier"),
]
