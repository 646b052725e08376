"""One registry for every plugin family: store platforms, warehouse transports, file formats.

A family keeps one `Registry` in its `base.py`; each plugin class registers itself
with the registry's `register` decorator, keyed by the class attribute the family
names (`platform` for connectors, `name` for transports and formats) and required
to subclass the family's base class, so every optional hook has its default. The
built-in plugins are found by importing every module of the family's package once,
on the first lookup; a plugin defined elsewhere (a test, an add-on) registers when
its module is imported.
"""
from __future__ import annotations

import importlib
import pkgutil
import threading
from typing import Generic, TypeVar

P = TypeVar("P")


class Registry(Generic[P]):
    """Plugin classes of one family by key; lookups load the built-in modules first."""

    def __init__(self, what: str, base: type[P], *, key: str, package: str) -> None:
        """`what` names the family in messages ("store platform"); `base` is its base class; `key` the
        class attribute plugins are known by; `package` the dotted package whose modules hold the built-ins."""
        self.what = what
        self.base = base
        self.key = key
        self.package = package
        self._classes: dict[str, type[P]] = {}
        self._loaded = False
        self._lock = threading.RLock()  # a built-in module may look a plugin up while it loads

    def register(self, cls: type[P]) -> type[P]:
        """Class decorator: make `cls` known under its key. Refuses a class that does not subclass the
        family's base class, or a key already taken by another class."""
        if not (isinstance(cls, type) and issubclass(cls, self.base)):
            raise TypeError(f"{getattr(cls, '__name__', cls)!r} cannot be registered as a {self.what}: it must "
                            f"subclass {self.base.__module__}.{self.base.__qualname__}")
        name = getattr(cls, self.key, None)
        if not isinstance(name, str) or not name:
            raise TypeError(f"{cls.__name__} cannot be registered as a {self.what}: it has no {self.key!r}")
        known = self._classes.get(name)
        if known is not None and known.__qualname__ != cls.__qualname__:
            raise ValueError(f"{cls.__name__} cannot be registered as {self.what} {name!r}: "
                             f"{known.__module__}.{known.__qualname__} already is")
        self._classes[name] = cls
        return cls

    def unregister(self, name: str) -> None:
        """Forget the plugin known as `name` (tests that register their own)."""
        self._classes.pop(name, None)

    def get(self, name: str) -> type[P]:
        self.load()
        try:
            return self._classes[name]
        except KeyError:
            known = ", ".join(sorted(self._classes)) or "none"
            raise KeyError(f"unknown {self.what} {name!r} (known: {known})") from None

    def all(self) -> dict[str, type[P]]:
        """Every registered plugin, ordered by key."""
        self.load()
        return dict(sorted(self._classes.items()))

    def load(self) -> None:
        """Import every module and package directly under `package` (once); each registers its plugins."""
        if self._loaded:
            return
        with self._lock:
            if self._loaded:
                return
            package = importlib.import_module(self.package)
            for module in pkgutil.iter_modules(package.__path__):
                if not module.name.startswith("_"):
                    importlib.import_module(f"{self.package}.{module.name}")
            self._loaded = True
