from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from nentang import __version__


def platform(request: HttpRequest) -> dict[str, Any]:
    return {"NENTANG_VERSION": __version__, "BASE_URL": settings.BASE_URL}
