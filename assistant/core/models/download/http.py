"""The HTTP side of a download: a GET from an offset with the standard library client, redirects, proxies, TLS."""

from __future__ import annotations

import contextlib
import http.client
import ssl
from collections.abc import Iterator
from urllib.parse import urljoin, urlsplit

from assistant.core.models.download.errors import NetworkError

#: Seconds one read may wait for data before the attempt counts as failed.
READ_TIMEOUT = 30.0


def _tls_context() -> ssl.SSLContext:
    """Certificate verification on, with certifi's roots when available."""
    try:
        import certifi

        return ssl.create_default_context(cafile=certifi.where())
    except ImportError:
        return ssl.create_default_context()


@contextlib.contextmanager
def open_stream(url: str, headers: dict[str, str], offset: int, max_redirects: int = 5) -> Iterator[http.client.HTTPResponse]:
    """GET ``url`` from ``offset`` with the standard library client, following redirects.

    (huggingface_hub's session reads 64 KiB per call and tops out near half of curl's
    speed on a fast link; reading 1 MiB at a time keeps up.) Proxies from the
    environment are honoured; Authorization is dropped when a redirect changes host.
    """
    request_headers = dict(headers)
    if offset:
        request_headers["Range"] = f"bytes={offset}-"
    origin = urlsplit(url)[:2]
    for _ in range(max_redirects + 1):
        parts = urlsplit(url)
        if urlsplit(url)[:2] != origin:
            request_headers.pop("authorization", None)
            request_headers.pop("Authorization", None)
        connection, target = _connection(parts)
        try:
            connection.request("GET", target if target else "/", headers=request_headers)
            response = connection.getresponse()
            if response.status in (301, 302, 303, 307, 308) and response.getheader("Location"):
                url = urljoin(url, response.getheader("Location"))
                response.read()
                connection.close()
                continue
            yield response
            return
        finally:
            connection.close()
    raise NetworkError(
        f"The download server sent Llama Desk through more than {max_redirects} redirects (last to "
        f"{urlsplit(url).hostname}), so the download was stopped. Try again later, or pick another build."
    )


def _connection(parts) -> tuple[http.client.HTTPConnection, str]:
    from urllib.request import getproxies, proxy_bypass

    host, port = parts.hostname or "", parts.port
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    https = parts.scheme == "https"
    proxy = getproxies().get(parts.scheme)
    if proxy and not proxy_bypass(host):
        proxy_parts = urlsplit(proxy if "://" in proxy else f"http://{proxy}")
        if https:
            connection = http.client.HTTPSConnection(proxy_parts.hostname, proxy_parts.port or 80, timeout=READ_TIMEOUT, context=_tls_context())
            connection.set_tunnel(host, port or 443)
            return connection, path
        return http.client.HTTPConnection(proxy_parts.hostname, proxy_parts.port or 80, timeout=READ_TIMEOUT), parts.geturl()
    if https:
        return http.client.HTTPSConnection(host, port or 443, timeout=READ_TIMEOUT, context=_tls_context()), path
    return http.client.HTTPConnection(host, port or 80, timeout=READ_TIMEOUT), path
