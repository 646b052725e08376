"""HTTP client for the 1ShoppingCart API (`{api_base}/API/{MerchantId}/...`).

Every call is a GET whose query string carries the merchant's key (`key`) and,
for LIST, the paging and date fields, as the public clients that run against
the real API send them (the evidence is in docs/platforms/oneshoppingcart.md);
there is no request body. Every answer is `<Response success="true|false">`.
XML is parsed with defusedxml: DTDs and entities are refused, never expanded.

Errors: `success="false"` answers carry `<Error code="...">message</Error>`;
code 1001 ("No data found") is an empty result, a message about the key is
REAUTH, anything else FATAL. HTTP 5xx and network trouble are RETRYABLE
(a host that cannot be reached is named, with the cause in plain words),
429 RATE_LIMITED, 401/403 REAUTH.

The key rides in the URL, so it never goes into a message, and httpx's request
log line has it masked (`key=***`).
"""
from __future__ import annotations

import logging
import re
import time
from xml.etree.ElementTree import Element, ParseError

import httpx
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from dockline.core import http
from dockline.core.errors import ConnectorError, ErrorKind
from dockline.core.net import unreachable

DEFAULT_API_BASE = "https://www.mcssl.com"
NO_DATA = "1001"  # the documented "No data found" error code
KEY_PARAM = "key"
_KEY_IN_URL = re.compile(r"([?&]key=)[^&\s]*", re.IGNORECASE)


class MaskKey(logging.Filter):
    """Masks `key=...` in the URLs httpx logs for every request ("HTTP Request: GET <url> ...")."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(_KEY_IN_URL.sub(r"\1***", str(a)) if isinstance(a, httpx.URL) else a
                                for a in record.args)
        return True


logging.getLogger("httpx").addFilter(MaskKey())


class NoData(Exception):
    """The API answered success="false" with code 1001: nothing matches."""


def parse_response(content: bytes) -> Element:
    """The <Response> element of a successful answer; raises NoData or a classified ConnectorError."""
    try:
        root = fromstring(content, forbid_dtd=True)
    except DefusedXmlException as exc:
        raise ConnectorError(f"1ShoppingCart's answer was refused: it declares {exc.__class__.__name__} "
                             "(DTDs and entities are never expanded).", ErrorKind.FATAL) from None
    except ParseError as exc:
        raise ConnectorError(f"1ShoppingCart's answer is not well-formed XML ({exc}).", ErrorKind.RETRYABLE) from None
    if root.tag != "Response":
        raise ConnectorError(f"1ShoppingCart answered <{root.tag}> instead of <Response>.", ErrorKind.FATAL)
    if root.get("success", "").lower() == "true":
        return root
    err = root.find("Error")
    code = err.get("code", "") if err is not None else ""
    message = (err.text or "").strip() if err is not None else ""
    if code == NO_DATA:
        raise NoData(message)
    text = f"1ShoppingCart error {code or '(no code)'}: {message or 'no message'}"
    lowered = message.lower()
    if "key" in lowered or "merchant" in lowered or "authori" in lowered:
        raise ConnectorError(f"{text}. Check the Merchant ID and API Key.", ErrorKind.REAUTH)
    raise ConnectorError(text, ErrorKind.FATAL)


class OneShoppingCartClient:
    def __init__(self, merchant_id: str, api_key: str, *, api_base: str = DEFAULT_API_BASE,
                 timeout: float = 30.0, retries: int = 2, retry_backoff: float = 0.5):
        self.merchant_id = merchant_id
        self._key = api_key
        self.api_base = (api_base or DEFAULT_API_BASE).rstrip("/")
        self.retries = retries
        self.retry_backoff = retry_backoff
        self.http = http.client(timeout=timeout, headers={"Accept": "text/xml"})

    def call(self, path: str, fields: dict[str, str] | None = None) -> Element:
        """GET `{api_base}/API/{MerchantId}/{path}?key=...&<fields>`; reads only, so retried on transient trouble."""
        url = f"{self.api_base}/API/{self.merchant_id}/{path}"
        params = {KEY_PARAM: self._key, **(fields or {})}
        for attempt in range(self.retries + 1):
            try:
                response = self.http.get(url, params=params)
            except httpx.TransportError as exc:
                error = ConnectorError(unreachable("1ShoppingCart", self.api_base, exc), ErrorKind.RETRYABLE)
            else:
                if response.status_code >= 400:
                    error = _http_error(response)
                else:
                    try:
                        return parse_response(response.content)
                    except ConnectorError as exc:  # a truncated answer is worth another try
                        error = exc
            if error.kind != ErrorKind.RETRYABLE or attempt == self.retries:
                raise error
            time.sleep(self.retry_backoff * (2 ** attempt))
        raise AssertionError("unreachable")

    def close(self) -> None:
        self.http.close()


def _http_error(response: httpx.Response) -> ConnectorError:
    status = response.status_code
    if status in (401, 403):
        return ConnectorError(f"1ShoppingCart refused the key ({status}).", ErrorKind.REAUTH)
    if status == 429:
        try:
            wait = float(response.headers.get("Retry-After") or 60)
        except ValueError:
            wait = 60.0
        return ConnectorError("1ShoppingCart rate limit reached.", ErrorKind.RATE_LIMITED, retry_after=wait)
    if status >= 500:
        return ConnectorError(f"1ShoppingCart server error {status}.", ErrorKind.RETRYABLE)
    return ConnectorError(f"1ShoppingCart rejected the request ({status}).", ErrorKind.FATAL)
