"""The log served statically, as C2SP tlog-tiles specifies: ``/audit/checkpoint`` (the
latest signed checkpoint), ``/audit/key`` (the verifier key) and ``/audit/tile/…`` (hash
tiles and entry bundles). Plain text and bytes, no JSON: any tlog client or mirror can
read them. Bad paths get a plain 400, tiles the log does not have yet a plain 404.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_safe

from nentang.audit import selectors
from nentang.audit.tlog import TilePathError, parse_tile_path

TEXT = "text/plain; charset=utf-8"
BINARY = "application/octet-stream"
IMMUTABLE = "public, max-age=31536000, immutable"


def _plain(status: int, message: str) -> HttpResponse:
    response = HttpResponse(message + "\n", status=status, content_type=TEXT)
    response["Cache-Control"] = "no-store"
    return response


def _public(response: HttpResponse, cache_control: str) -> HttpResponse:
    response["Cache-Control"] = cache_control
    response["Access-Control-Allow-Origin"] = "*"  # verifiers in a browser may read it
    return response


@require_safe
def checkpoint(request: HttpRequest) -> HttpResponse:
    """The latest signed checkpoint (mutable: cached for a few seconds at most)."""
    latest = selectors.checkpoint_latest()
    if latest is None:
        return _plain(404, "No checkpoint has been signed yet.")
    return _public(HttpResponse(latest.note, content_type=TEXT), "public, max-age=5")


@require_safe
def key(request: HttpRequest) -> HttpResponse:
    """The log's public key in the signed-note verifier-key format."""
    verifier_key = selectors.tlog_verifier().encode()
    return _public(HttpResponse(verifier_key + "\n", content_type=TEXT), "public, max-age=3600")


@require_safe
def tile(request: HttpRequest, path: str) -> HttpResponse:
    """``tile/<L>/<N>[.p/<W>]`` and ``tile/entries/<N>[.p/<W>]``: immutable once served."""
    try:
        ref = parse_tile_path(path)
    except TilePathError as error:
        return _plain(400, f"Malformed tile path: {error}.")
    if ref.level is None:
        data = selectors.tlog_entry_bundle(index=ref.index, width=ref.width)
    else:
        data = selectors.tlog_tile(level=ref.level, index=ref.index, width=ref.width)
    if data is None:
        return _plain(404, f"The log has no {ref.path} yet.")
    return _public(HttpResponse(data, content_type=BINARY), IMMUTABLE)
