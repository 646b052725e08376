"""The one registry of every plugin family: what a lookup, a listing and a wrong registration say."""
import pytest

from dockline.platforms.base import REGISTRY as PLATFORMS
from dockline.platforms.base import StoreConnector, connector_class, register
from dockline.warehouses.formats import format_class, formats
from dockline.warehouses.transports import transport_class, transports


def test_the_built_in_plugins_are_found_without_being_named_anywhere():
    assert list(transports()) == ["ftp", "ftps", "sftp"]
    assert list(formats()) == ["dsfx", "json", "x12"]
    assert {"acumatica", "bigcommerce", "oneshoppingcart", "ultracart"} <= set(PLATFORMS.all())
    assert transport_class("ftps").label == "FTPS (explicit TLS)" and format_class("x12").acknowledges
    assert not format_class("dsfx").acknowledges and format_class("dsfx").ack_pattern is None


def test_an_unknown_name_says_which_family_and_which_names_exist():
    with pytest.raises(KeyError, match=r"unknown warehouse transport 'ftpz' \(known: ftp, ftps, sftp\)"):
        transport_class("ftpz")
    with pytest.raises(KeyError, match="unknown store platform 'shopifi'"):
        connector_class("shopifi")


def test_a_class_that_does_not_subclass_the_base_is_refused_at_registration():
    class Loose:
        platform = "loose"
        label = "Loose"

    with pytest.raises(TypeError, match="must subclass dockline.platforms.base.StoreConnector"):
        register(Loose)
    assert "loose" not in PLATFORMS.all()


def test_a_second_class_cannot_take_a_platform_already_registered():
    class Impostor(StoreConnector):
        platform = "bigcommerce"
        label = "Not BigCommerce"

    with pytest.raises(ValueError, match="BigCommerceConnector already is"):
        register(Impostor)
    assert connector_class("bigcommerce").label == "BigCommerce"
