"""HTTP client for the 1ShoppingCart API (`{api_base}/API/{MerchantId}/...`).

Every call is a GET whose query string carries the merchant's key (`key`) and,
for LIST, the paging and date fields, as the public clients that run against
the real API send them (the evidence is in docs/platforms/oneshoppingcart.md);
there is no request body. Every answer is `<Response success="true|false">`.
XML is parsed with defusedxml: DTDs and entities are refused, never expanded.

Errors: `success="false"` answers carry `<Error code="...">message</Error>`;
code 1001 ("No data found") is an empty result, a message about the key is
REAUTH, anything else FATAL; an answer that is not well-formed XML (cut
short) is RETRYABLE. HTTP statuses, network trouble, retries and waits follow
the shared policy (`dockline.core.http.HttpPolicy`), with 403 REAUTH like 401.

The key rides in the URL, so it never goes into a message, and httpx's request
log line has it masked (`key=***`).
"""
from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from xml.etree.ElementTree import Element, ParseError

import httpx
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from dockline.core import http
from dockline.core.errors import ConnectorError, ErrorKind
from dockline.core.http import HttpPolicy

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
                 timeout: float = 30.0, sleep: Callable[[float], None] = time.sleep):
        self.merchant_id = merchant_id
        self._key = api_key
        self.api_base = (api_base or DEFAULT_API_BASE).rstrip("/")
        self.policy = HttpPolicy("1ShoppingCart", statuses={403: ErrorKind.REAUTH}, sleep=sleep)
        self.http = http.client(timeout=timeout, headers={"Accept": "text/xml"})

    def call(self, path: str, fields: dict[str, str] | None = None) -> Element:
        """GET `{api_base}/API/{MerchantId}/{path}?key=...&<fields>`; reads only, so retried on transient trouble
        (a truncated answer too)."""
        url = f"{self.api_base}/API/{self.merchant_id}/{path}"
        params = {KEY_PARAM: self._key, **(fields or {})}
        return self.policy.send(self.http, "GET", url, params=params, read=lambda r: parse_response(r.content))

    def close(self) -> None:
        self.http.close()
