"""Download a feed or file by URL for ingest (RSSHub feeds, raw JSON/CSV exports)."""

from __future__ import annotations

import httpx

from ingest.formats.base import FormatError

USER_AGENT = "execbot/0.1"


def fetch_url(url: str, timeout: float = 20.0) -> bytes:
    """The body of ``url`` (redirects followed). Any network or HTTP failure becomes a
    FormatError with a one-line message, so callers handle URLs and files the same way."""
    try:
        with httpx.Client(
            follow_redirects=True, timeout=timeout, headers={"User-Agent": USER_AGENT}
        ) as client:
            response = client.get(url)
            response.raise_for_status()
            return response.content
    except httpx.TimeoutException:
        raise FormatError(f"cannot fetch {url}: timed out after {timeout:g}s") from None
    except httpx.HTTPStatusError as e:
        status = e.response.status_code
        raise FormatError(f"cannot fetch {url}: HTTP {status} {e.response.reason_phrase}".rstrip()) from None
    except httpx.InvalidURL as e:
        raise FormatError(f"cannot fetch {url}: invalid URL ({e})") from None
    except httpx.UnsupportedProtocol:
        raise FormatError(f"cannot fetch {url}: only http:// and https:// URLs are supported") from None
    except httpx.HTTPError as e:  # connection refused, DNS failure, TLS error, too many redirects...
        reason = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise FormatError(f"cannot fetch {url}: {reason}") from None
