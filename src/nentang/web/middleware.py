"""Language choice: Vietnamese first.

Web pages are Vietnamese unless the person chose English with the language switch
(the language cookie): many Vietnamese phones are set to English, and their owners
still expect public-service pages in Vietnamese. API clients state what they want
explicitly, so under ``/api/`` the ``Accept-Language`` header is honoured as usual.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.middleware.locale import LocaleMiddleware as DjangoLocaleMiddleware
from django.utils import translation

from nentang.kernel.async_middleware import InlineHooks


# InlineHooks: both hooks only read headers and cookies and switch the active language,
# so under ASGI they run in the event loop instead of a thread each.
class LocaleMiddleware(InlineHooks, DjangoLocaleMiddleware):
    # HTML pages that live under /api/ (the API reference): web pages, Vietnamese first.
    PAGES_UNDER_API = ("/api/v1/docs",)

    def process_request(self, request: HttpRequest) -> None:
        if request.path.startswith("/api/") and request.path not in self.PAGES_UNDER_API:
            super().process_request(request)
            return
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        supported = {code for code, _name in settings.LANGUAGES}
        language = chosen if chosen in supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
