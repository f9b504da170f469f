"""Access and refresh tokens kept only as SHA-256 digests.

From now on django-oauth-toolkit writes an empty ``token`` column and the digest in
``token_checksum`` (``COMPLIANT_BCP_RFC9700_TOKEN_STORAGE``). This migration does the
same to the rows written before: it makes sure each digest is there, then blanks the
clear text. Reversing it restores nothing (the clear text is gone), which is the point."""

import hashlib

from django.db import migrations

BATCH = 2000


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def _blank_tokens(model) -> None:  # type: ignore[no-untyped-def]
    while True:
        rows = list(model.objects.exclude(token="").only("pk", "token")[:BATCH])
        if not rows:
            return
        for row in rows:
            row.token_checksum = _digest(row.token)
            row._raw_token = None  # the checksum field must not recompute from ""
            row.token = ""
        model.objects.bulk_update(rows, ["token", "token_checksum"])


def forwards(apps, schema_editor) -> None:  # type: ignore[no-untyped-def]
    _blank_tokens(apps.get_model("oauth2_provider", "AccessToken"))
    _blank_tokens(apps.get_model("oauth2_provider", "RefreshToken"))


class Migration(migrations.Migration):
    dependencies = [
        ("identity", "0003_oidc_provider"),
        ("oauth2_provider", "0022_refreshtoken_token_family_index"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop, elidable=False)]
