"""A sandbox Amazon seller (Selling Partner API and Login with Amazon) for the demo and the tests."""
from dockline.sandbox.amazon.server import AmazonSandbox

__all__ = ["AmazonSandbox"]
