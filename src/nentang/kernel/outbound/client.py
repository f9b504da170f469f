"""The one outbound HTTP client. Every context calls other servers through it.

:class:`OutboundClient` checks every URL, and every redirect hop, against the address
rules of :mod:`nentang.kernel.outbound.addresses`, and adds:

* the connection goes to the address that was checked, never to a second resolution
  (DNS rebinding), while the ``Host`` header, TLS SNI and certificate verification keep
  the real host name;
* connect/read/write/pool timeouts and a deadline for the whole call, a cap on the
  response body (counted after decompression), no environment proxies;
* redirects are not followed unless asked, and every hop is checked again; an
  ``https`` → ``http`` hop is refused;
* optional retries, a few at most, for failures that are safe to repeat: connection
  failures (nothing was sent) and 502/503/504 on idempotent methods.
"""

from __future__ import annotations

import json as jsonlib
import ssl
import time
from collections.abc import Iterable, Mapping
from types import TracebackType
from typing import Any

import httpx

from nentang.kernel.outbound.addresses import IPNetwork, check_url, redact
from nentang.kernel.outbound.errors import (
    OutboundBlocked,
    OutboundError,
    OutboundTimeout,
    OutboundTooLarge,
)
from nentang.kernel.outbound.response import OutboundResponse
from nentang.kernel.outbound.timeouts import Timeouts, _timeout_error

USER_AGENT = "nentang-outbound/0.1"
DEFAULT_MAX_RESPONSE_BYTES = 1_048_576
MAX_RETRIES = 3
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
RETRY_STATUSES = frozenset({502, 503, 504})
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
# Headers that must not follow a redirect to another origin.
_ORIGIN_BOUND_HEADERS = ("authorization", "cookie", "proxy-authorization")

# httpx logs every request URL at INFO (query tokens included): settings.LOGGING keeps
# the "httpx" logger at WARNING; this client logs redacted URLs itself.


def _default_ssl_context() -> ssl.SSLContext:
    return httpx.create_ssl_context(verify=True, trust_env=False)


class OutboundClient:
    """An HTTP client that follows the SSRF rules above. Thread-safe; close it after use.

    ``allow_networks`` defaults to ``settings.NENTANG_OUTBOUND_ALLOW_NETWORKS`` read at
    each request. ``verify`` is an SSL context with the trusted CAs (certifi by default);
    there is no way to switch verification off.
    """

    def __init__(
        self,
        *,
        timeouts: Timeouts | None = None,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        retries: int = 0,
        retry_backoff: float = 0.25,
        follow_redirects: bool = False,
        max_redirects: int = 5,
        allow_networks: Iterable[IPNetwork] | None = None,
        verify: ssl.SSLContext | None = None,
        user_agent: str = USER_AGENT,
    ) -> None:
        if not 0 <= retries <= MAX_RETRIES:
            raise ValueError(f"retries must be between 0 and {MAX_RETRIES}, got {retries}.")
        self.timeouts = timeouts or Timeouts()
        self.max_response_bytes = max_response_bytes
        self.retries = retries
        self.retry_backoff = retry_backoff
        self.follow_redirects = follow_redirects
        self.max_redirects = max_redirects
        self._allow = None if allow_networks is None else tuple(allow_networks)
        self._user_agent = user_agent
        self._client = httpx.Client(
            verify=verify or _default_ssl_context(),
            trust_env=False,  # an environment proxy would connect by name, unchecked
            follow_redirects=False,
            # No keep-alive: a pooled connection is keyed by the address we connect to, so
            # reusing it for another host name at that address would skip its TLS check.
            limits=httpx.Limits(max_keepalive_connections=0),
        )

    def __enter__(self) -> OutboundClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    def get(self, url: str, *, headers: Mapping[str, str] | None = None) -> OutboundResponse:
        return self.request("GET", url, headers=headers)

    def post(
        self,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        content: bytes | None = None,
        json: Any = None,
        discard_body: bool = False,
    ) -> OutboundResponse:
        return self.request(
            "POST", url, headers=headers, content=content, json=json, discard_body=discard_body
        )

    def request(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        content: bytes | None = None,
        json: Any = None,
        discard_body: bool = False,
    ) -> OutboundResponse:
        """Send one request under the SSRF rules; ``discard_body`` skips reading the body."""
        method = method.upper()
        sent_headers = httpx.Headers(headers or {})
        if json is not None:
            if content is not None:
                raise ValueError("Pass either content or json, not both.")
            content = jsonlib.dumps(json, ensure_ascii=False, separators=(",", ":")).encode()
            sent_headers.setdefault("content-type", "application/json")
        deadline = time.monotonic() + self.timeouts.total
        current = url
        for _hop in range(self.max_redirects + 1):
            response = self._send_with_retries(
                method, current, sent_headers, content, deadline, discard_body
            )
            location = response.headers.get("location")
            if (
                not self.follow_redirects
                or response.status_code not in REDIRECT_STATUSES
                or not location
            ):
                return response
            previous = httpx.URL(current)
            following = previous.join(location)
            if previous.scheme == "https" and following.scheme != "https":
                raise OutboundBlocked(
                    f"Refused the redirect from {redact(previous)} to {redact(following)}: "
                    "it leaves https.",
                    reason="redirect downgrade",
                    url=redact(following),
                )
            if response.status_code == 303 or (
                response.status_code in (301, 302) and method == "POST"
            ):
                method, content = "GET", None
                sent_headers.pop("content-type", None)
            if (previous.scheme, previous.host, previous.port) != (
                following.scheme,
                following.host,
                following.port,
            ):
                for name in _ORIGIN_BOUND_HEADERS:
                    sent_headers.pop(name, None)
            current = str(following)
        raise OutboundError(
            f"Too many redirects (more than {self.max_redirects}) from {redact(url)}.",
            url=redact(url),
        )

    def _send_with_retries(
        self,
        method: str,
        url: str,
        headers: httpx.Headers,
        content: bytes | None,
        deadline: float,
        discard_body: bool,
    ) -> OutboundResponse:
        for attempt in range(self.retries + 1):
            final = attempt == self.retries
            try:
                response = self._send_once(method, url, headers, content, deadline, discard_body)
            except _ConnectFailed as failure:
                if final or not self._pause(attempt, deadline):
                    raise failure.error from None
                continue
            transient = response.status_code in RETRY_STATUSES and method in IDEMPOTENT_METHODS
            if transient and not final and self._pause(attempt, deadline):
                continue
            return response
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _pause(self, attempt: int, deadline: float) -> bool:
        """Sleep before retry ``attempt + 1``; ``False`` when the deadline leaves no room."""
        pause = self.retry_backoff * (2**attempt)
        if time.monotonic() + pause >= deadline:
            return False
        time.sleep(pause)
        return True

    def _timeout(self, deadline: float, url: str, host: str) -> httpx.Timeout:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise OutboundTimeout(
                f"Gave up on {url}: the {self.timeouts.total:g} s deadline passed.",
                phase="total",
                url=url,
                host=host,
            )
        t = self.timeouts
        return httpx.Timeout(
            connect=min(t.connect, remaining),
            read=min(t.read, remaining),
            write=min(t.write, remaining),
            pool=min(t.pool, remaining),
        )

    def _send_once(
        self,
        method: str,
        url: str,
        headers: httpx.Headers,
        content: bytes | None,
        deadline: float,
        discard_body: bool,
    ) -> OutboundResponse:
        target = check_url(url, allow_networks=self._allow)
        shown = redact(target.url)
        sent = httpx.Headers(headers)
        sent["host"] = target.url.netloc.decode("ascii")
        sent.setdefault("user-agent", self._user_agent)
        sent["connection"] = "close"
        failure: OutboundError | None = None
        for address in target.addresses:
            started = time.monotonic()
            request = self._client.build_request(
                method,
                # Connect to the address that was checked, not to a fresh resolution.
                target.url.copy_with(host=str(address)),
                headers=sent,
                content=content,
                timeout=self._timeout(deadline, shown, target.host),
                extensions={"sni_hostname": target.host},
            )
            where = {"url": shown, "host": target.host, "address": str(address)}
            try:
                response = self._client.send(request, stream=True)
            except httpx.ConnectTimeout:
                failure = OutboundTimeout(
                    f"Connecting to {target.host} at {address} for {shown} timed out "
                    f"after {self.timeouts.connect:g} s.",
                    phase="connect",
                    **where,
                )
                continue
            except httpx.ConnectError as error:
                failure = OutboundError(
                    f"Cannot connect to {target.host} at {address} for {shown}: {error}.",
                    **where,
                )
                continue
            except httpx.TimeoutException as error:
                raise _timeout_error(error, self.timeouts, where) from None
            except httpx.HTTPError as error:
                raise OutboundError(
                    f"Request to {target.host} at {address} for {shown} failed: {error!r}.",
                    **where,
                ) from None
            try:
                body = b"" if discard_body else self._read(response, deadline, where)
            finally:
                response.close()
            return OutboundResponse(
                status_code=response.status_code,
                headers=response.headers,
                content=body,
                url=str(target.url),
                address=str(address),
                elapsed_ms=int((time.monotonic() - started) * 1000),
            )
        assert failure is not None
        raise _ConnectFailed(failure)

    def _read(self, response: httpx.Response, deadline: float, where: dict[str, str]) -> bytes:
        limit = self.max_response_bytes
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise OutboundTooLarge(
                f"The response from {where['url']} declares {declared} bytes; "
                f"the limit is {limit}.",
                **where,
            )
        chunks: list[bytes] = []
        size = 0
        try:
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > limit:
                    raise OutboundTooLarge(
                        f"The response from {where['url']} exceeds the limit of {limit} bytes.",
                        **where,
                    )
                chunks.append(chunk)
                if time.monotonic() > deadline:
                    raise OutboundTimeout(
                        f"Reading the response from {where['url']} passed the "
                        f"{self.timeouts.total:g} s deadline.",
                        phase="total",
                        **where,
                    )
        except httpx.TimeoutException as error:
            raise _timeout_error(error, self.timeouts, where) from None
        except httpx.HTTPError as error:
            raise OutboundError(
                f"Reading the response from {where['url']} failed: {error!r}.", **where
            ) from None
        return b"".join(chunks)


class _ConnectFailed(Exception):
    """No address accepted the connection; nothing was sent, so a retry is safe."""

    def __init__(self, error: OutboundError) -> None:
        self.error = error
        super().__init__(str(error))


def request(method: str, url: str, **kwargs: Any) -> OutboundResponse:
    """One request with a short-lived default client; see :meth:`OutboundClient.request`."""
    with OutboundClient() as client:
        return client.request(method, url, **kwargs)
