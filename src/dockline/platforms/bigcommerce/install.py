"""Saving an app install: the store's token goes to the organization's BigCommerce store record."""
from __future__ import annotations

import os

from django.conf import settings

from dockline.accounts.models import Merchant, Organization
from dockline.connections.models import Store


def app_setting(name: str, default: str = "") -> str:
    """BIGCOMMERCE_<name> from the Django settings, else env DOCKLINE_BIGCOMMERCE_<name>."""
    return getattr(settings, f"BIGCOMMERCE_{name}", "") or os.environ.get(f"DOCKLINE_BIGCOMMERCE_{name}", default)


def save_install(organization: Organization, credentials: dict) -> tuple[Store, bool]:
    """Put the installed token on the organization's store with that hash (a reinstall), or create
    the store under the organization's first merchant. Returns (store, created)."""
    store_hash = credentials["store_hash"]
    for store in Store.objects.filter(organization=organization, platform="bigcommerce"):
        if store.credentials.get("store_hash") == store_hash:
            store.save_credentials({**store.credentials, **credentials})
            return store, False
    merchant = Merchant.objects.filter(organization=organization).order_by("id").first()
    if merchant is None:
        merchant = Merchant.objects.create(organization=organization, name=f"BigCommerce store {store_hash}")
    api_base = app_setting("API_BASE")
    store = Store.objects.create(
        organization=organization, merchant=merchant, name=f"BigCommerce store {store_hash}",
        platform="bigcommerce", credentials=credentials, settings={"api_base": api_base} if api_base else {},
    )
    return store, True
