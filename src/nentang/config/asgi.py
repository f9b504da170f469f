"""ASGI entry point: Django behind the streaming body limit, on pooled request threads;
the OpenID provider's machine endpoints on a shorter middleware chain."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nentang.config.settings")

from django.conf import settings
from django.core.asgi import get_asgi_application

from nentang.kernel.observability.asgi import BodyLimit
from nentang.kernel.observability.lean import ChainHandler, MachinePaths
from nentang.kernel.observability.threads import RequestThreads

django_application = get_asgi_application()
machine_application = ChainHandler(settings.NENTANG_MACHINE_MIDDLEWARE)
application = BodyLimit(
    RequestThreads(
        MachinePaths(
            django_application,  # type: ignore[arg-type]  # Django's stubs type scope as dict
            machine_application,  # type: ignore[arg-type]
            settings.NENTANG_MACHINE_PATHS,
        )
    ),
    max_bytes=settings.NENTANG_MAX_BODY_BYTES,
    base_url=settings.BASE_URL,
)
