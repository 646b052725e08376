"""A faithful stand-in for UltraCart's REST v2 Fulfillment API, on loopback."""
from dockline.sandbox.ultracart.server import UltraCartSandbox

__all__ = ["UltraCartSandbox"]
