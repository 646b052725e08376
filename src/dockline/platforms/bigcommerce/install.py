"""Installing the BigCommerce app: started in Dockline, finished by BigCommerce's callbacks.

`start_install` records who may receive which store's token (an InstallIntent); the auth callback
hands the token answer to `finish_install`, which puts it only on the store (or merchant) that
intent names. `uninstall` forgets a store's token when the app is removed in BigCommerce.
Everything refused is logged on `dockline.alerts` and explained in an InstallRefused message.
"""
from __future__ import annotations

import logging
import os
import re

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from dockline.accounts.models import Membership, Merchant, Role
from dockline.connections.models import Connection, Store
from dockline.platforms.bigcommerce.models import INTENT_LIFETIME, InstallIntent

alerts = logging.getLogger("dockline.alerts")

STORE_HASH = re.compile(r"^[A-Za-z0-9]{1,40}$")
MINUTES = int(INTENT_LIFETIME.total_seconds() // 60)


class InstallRefused(Exception):
    """The install cannot go ahead; the message says why and what to do."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def app_setting(name: str, default: str = "") -> str:
    """BIGCOMMERCE_<name> from the Django settings, else env DOCKLINE_BIGCOMMERCE_<name>."""
    return getattr(settings, f"BIGCOMMERCE_{name}", "") or os.environ.get(f"DOCKLINE_BIGCOMMERCE_{name}", default)


def bigcommerce_stores(organization, store_hash: str) -> list[Store]:
    return [s for s in Store.objects.filter(organization=organization, platform="bigcommerce")
            if s.credentials.get("store_hash") == store_hash]


def stores_with_hash(store_hash: str) -> list[Store]:
    """Every organization's BigCommerce stores for this store hash."""
    return [s for s in Store.objects.filter(platform="bigcommerce").select_related("organization")
            if s.credentials.get("store_hash") == store_hash]


def _may_install_for(membership: Membership | None, merchant: Merchant) -> bool:
    """Administrators for any merchant of their organization; Staff for their own merchants only."""
    if membership is None or membership.organization_id != merchant.organization_id:
        return False
    if membership.role == Role.ADMIN:
        return True
    return membership.role == Role.STAFF and membership.merchants.filter(pk=merchant.pk).exists()


def start_install(user, store_hash: str, *, merchant: Merchant | None = None, store: Store | None = None,
                  now=None) -> InstallIntent:
    """Record that `user` installs the app of BigCommerce store `store_hash` into `store` (a reinstall)
    or as a new store of `merchant`. An existing store with that hash is always the one reinstalled."""
    membership = getattr(user, "membership", None)
    store_hash = (store_hash or "").strip()
    if not STORE_HASH.match(store_hash):
        raise InstallRefused("Enter the store hash: the letters and digits after /stores/ in the store's API path "
                             "(Settings → API accounts in the BigCommerce control panel), e.g. abc123de.")
    if store is None and merchant is None:
        raise InstallRefused("Choose the store to reconnect or the merchant the new store belongs to.")
    organization = (store or merchant).organization
    existing = bigcommerce_stores(organization, store_hash)
    if store is not None:
        if store.platform != "bigcommerce":
            raise InstallRefused(f"{store.name} is not a BigCommerce store.")
        if store.credentials.get("store_hash") not in ("", None, store_hash):
            raise InstallRefused(f"{store.name} is BigCommerce store {store.credentials['store_hash']}, "
                                 f"not {store_hash}: check the store hash.")
    elif existing:
        store = existing[0]
    if store is not None and existing and existing[0].pk != store.pk:
        raise InstallRefused(f"Store hash {store_hash} belongs to {existing[0].name}: reconnect that store instead.")
    merchant = store.merchant if store is not None else merchant
    if not _may_install_for(membership, merchant):
        raise InstallRefused("Only an administrator, or Staff of this merchant, can install the BigCommerce app "
                             "for it.")
    return InstallIntent.objects.create(organization=organization, user=user, merchant=merchant, store=store,
                                        store_hash=store_hash, created_at=now or timezone.now())


def refused(store_hash: str, reason: str) -> InstallRefused:
    """Log a refused install callback on the alerts channel and return the refusal to raise."""
    alerts.warning("Refused a BigCommerce app callback for store %s: %s", store_hash or "(unknown)", reason)
    return InstallRefused(reason)


def finish_install(credentials: dict, *, now=None) -> tuple[Store, bool]:
    """Put the token BigCommerce answered on the store an open install intent names for its store hash
    (the hash comes from the token answer). Uses the intent up. Returns (store, created)."""
    now = now or timezone.now()
    store_hash = credentials["store_hash"]
    with transaction.atomic():
        intent, refusal = _claim(store_hash, now)
        if intent is not None:
            store, created = _save(intent, credentials)
            intent.store = store
            intent.outcome = "installed as a new store" if created else "reinstalled"
            intent.save(update_fields=["store", "outcome"])
    if refusal:
        again = (f"Sign in to Dockline, open Install the BigCommerce app (/bigcommerce/install/), enter store hash "
                 f"{store_hash}, then install the app in BigCommerce within {MINUTES} minutes.")
        raise refused(store_hash, f"{refusal} {again}")
    return store, created


def _claim(store_hash: str, now) -> tuple[InstallIntent | None, str]:
    """(the open intent for this store hash, now used up, "") or (None, why there is none usable)."""
    intents = list(InstallIntent.objects.select_for_update().filter(
        store_hash=store_hash, used_at__isnull=True, created_at__gt=now - INTENT_LIFETIME))
    if not intents:
        return None, (f"Nobody started installing BigCommerce store {store_hash} in Dockline in the last "
                      f"{MINUTES} minutes, so the token was not kept.")
    InstallIntent.objects.filter(pk__in=[i.pk for i in intents]).update(used_at=now)
    if len({i.organization_id for i in intents}) > 1:
        InstallIntent.objects.filter(pk__in=[i.pk for i in intents]).update(
            outcome="refused: started by several organizations")
        return None, f"More than one Dockline organization started installing store {store_hash}; nothing was saved."
    intent = max(intents, key=lambda i: i.created_at)
    if not _may_install_for(Membership.objects.filter(user_id=intent.user_id).first(), intent.merchant):
        intent.outcome = "refused: the person who started it may no longer install for this merchant"
        intent.save(update_fields=["outcome"])
        return None, (f"The person who started this install may no longer install for {intent.merchant.name}; "
                      "nothing was saved.")
    return intent, ""


def _save(intent: InstallIntent, credentials: dict) -> tuple[Store, bool]:
    store = intent.store or next(iter(bigcommerce_stores(intent.organization, intent.store_hash)), None)
    if store is not None:
        kept = {k: v for k, v in store.credentials.items() if k != "removed_at"}
        store.save_credentials({**kept, **credentials})
        return store, False
    api_base = app_setting("API_BASE")
    store = Store.objects.create(
        organization=intent.organization, merchant=intent.merchant, name=f"BigCommerce store {intent.store_hash}",
        platform="bigcommerce", credentials=credentials, settings={"api_base": api_base} if api_base else {},
    )
    return store, True


def uninstall(store_hash: str, by: str = "", *, now=None) -> list[Store]:
    """The app was removed from the store in BigCommerce: its token is forgotten and its connections are
    switched off, each marked with what happened and what to do. Returns the stores it touched."""
    now = now or timezone.now()
    stores = stores_with_hash(store_hash)
    reason = (f"The Dockline app was uninstalled from BigCommerce store {store_hash} on {now:%Y-%m-%d %H:%M} UTC"
              f"{f' by {by}' if by else ''}: install it again from Dockline to reconnect.")
    for store in stores:
        store.save_credentials({"store_hash": store_hash, "removed_at": now.isoformat()})
        for connection in Connection.objects.filter(store=store):
            Connection.objects.filter(pk=connection.pk).update(enabled=False, store_auth_error=reason)
            alerts.warning("Connection %s (%s) switched off: %s", connection.pk, connection.name, reason)
    if not stores:
        alerts.warning("BigCommerce reported the app uninstalled from store %s, which no Dockline store uses",
                       store_hash)
    return stores
