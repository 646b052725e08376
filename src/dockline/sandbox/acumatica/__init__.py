"""A faithful Acumatica stand-in (identity server + contract-based REST, Default endpoint) for the demo and tests."""
from dockline.sandbox.acumatica.app import AcumaticaApp, Faults
from dockline.sandbox.acumatica.instance import AcumaticaInstance, ApiError
from dockline.sandbox.acumatica.server import AcumaticaSandbox

__all__ = ["AcumaticaApp", "AcumaticaInstance", "AcumaticaSandbox", "ApiError", "Faults"]
