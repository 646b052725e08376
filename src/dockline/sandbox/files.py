"""Files as the simulated warehouse writes them: atomically, never over another file."""
from __future__ import annotations

import os
from pathlib import Path


def write_atomic(folder: Path, name: str, data: bytes) -> str:
    """Write under a dot-temp name, then os.replace; never overwrites another file."""
    target = folder / name
    stem, ext = os.path.splitext(name)
    n = 0
    while target.exists():
        n += 1
        target = folder / f"{stem}-{n}{ext}"
    temp = folder / f".{target.name}.tmp"
    with open(temp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(temp, target)
    return target.name


def move_unique(path: Path, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / path.name
    stem, ext = os.path.splitext(path.name)
    n = 0
    while target.exists():
        n += 1
        target = folder / f"{stem}-{n}{ext}"
    os.replace(path, target)
    return target
