from __future__ import annotations

import unicodedata
from functools import cache
from typing import Any

from django.conf import settings
from django.conf.locale import LANG_INFO
from django.http import HttpRequest

from nentang import __version__
from nentang.kernel.security import return_url
from nentang.web.navigation import primary_nav
from nentang.web.selectors import installation


@cache
def language_autonyms() -> tuple[tuple[str, str], ...]:
    """Each language of settings.LANGUAGES named in itself ("Tiếng Việt", "English").

    A language switch names languages in their own tongue: a reader looking for
    English must not have to know its Vietnamese name. Django's LANG_INFO spells some
    names with combining marks, so they are normalised to NFC like all our text.
    """
    names = []
    for code, fallback in settings.LANGUAGES:
        name = LANG_INFO.get(code, {}).get("name_local", str(fallback))
        names.append((code, unicodedata.normalize("NFC", name)))
    return tuple(names)


def platform(request: HttpRequest) -> dict[str, Any]:
    return {
        "NENTANG_VERSION": __version__,
        "BASE_URL": settings.BASE_URL,
        "primary_nav": primary_nav(request.path, getattr(request, "user", None)),
        "language_autonyms": language_autonyms(),
        "installation": installation(),
        "return_url": return_url(request),  # "come back here", bounded (a huge query: dropped)
    }
