"""Peak memory while Dockline pulls one big shipment file from a warehouse.

    .venv/bin/python bench/big_file.py --mb 50 --transport ftp

Writes a DSFX shipment file of about `--mb` MB into a loopback FTP (or SFTP)
server's outbox, then runs the warehouse pull (`receive_files` with a handler
that parses the file with the DSFX format, as `pull_shipments` does, without
matching orders) into a fresh SQLite database; `--no-parse` measures reading
and recording alone. Prints the file size, the
process's peak RSS before and after the pull, and what the database keeps of
the file. Peak RSS is the kernel's high-water mark (ru_maxrss), so "after" is
the highest the pull took the process.
"""
from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
os.environ.setdefault("DOCKLINE_HOME", tempfile.mkdtemp(prefix="dockline-bench-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dockline.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from dockline.accounts.models import Organization  # noqa: E402
from dockline.core.types import Package, ShipmentLine, WarehouseShipment  # noqa: E402
from dockline.warehouses.formats.dsfx import DsfxFormat  # noqa: E402
from dockline.warehouses.models import Warehouse  # noqa: E402
from dockline.warehouses.services import Handled, receive_files  # noqa: E402
from dockline.warehouses.transports import transport_class  # noqa: E402
from dockline.warehouses.transports.base import Folders, TransportConfig  # noqa: E402


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def write_file(path: Path, megabytes: float, fmt: DsfxFormat) -> int:
    """A shipment file of about `megabytes`, written in chunks (the writer never holds it whole)."""
    now = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
    chunk, n = 5000, 0
    with open(path, "wb") as fh:
        while fh.tell() < megabytes * 1024 * 1024:
            ships = [WarehouseShipment(f"S-{n + i}", f"ORD-{n + i}", now, "UPS", "GND",
                                       [Package(f"1Z{n + i:010d}", weight=1.5)], [ShipmentLine("MUG-ENML-01", 1)])
                     for i in range(chunk)]
            text = fmt.render_shipments(ships)
            fh.write(text if n == 0 else text.split(b"\r\n", 1)[1])  # one header line
            n += chunk
    return n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=50.0)
    parser.add_argument("--transport", choices=["ftp", "sftp"], default="ftp")
    parser.add_argument("--no-parse", action="store_true",
                        help="a handler that only counts bytes: what reading and recording the file costs")
    args = parser.parse_args()

    call_command("migrate", verbosity=0)
    root = Path(tempfile.mkdtemp(prefix="dockline-bench-drop-"))
    (root / "in").mkdir()
    (root / "out").mkdir()
    if args.transport == "sftp":
        from dockline.sandbox.sftpserver import SftpServer

        server = SftpServer(root, password="bench-Pa55word")
        server.start()
    else:
        from dockline.sandbox.ftpserver import LoopbackFtpServer

        server = LoopbackFtpServer(root).start()
    fmt = DsfxFormat({})
    path = root / "out" / "shp_big.csv"
    shipments = write_file(path, args.mb, fmt)
    size = path.stat().st_size
    org = Organization.objects.create(name="Bench 3PL")
    warehouse = Warehouse.objects.create(organization=org, name="Bench WMS", transport=args.transport,
                                         credentials={"host": server.host},
                                         settings={"settle_seconds": 0, "max_file_mb": args.mb * 2})
    config = TransportConfig(server.host, server.port, server.username, server.password, Folders(), timeout=60)

    def handle(data: bytes, record) -> Handled:
        if args.no_parse:
            return Handled(keys=[str(len(data))])
        parsed = fmt.parse_shipments(data)
        return Handled(keys=[s.shipment_id for s in parsed.items], errors=list(parsed.errors))

    before = peak_mb()
    started = time.perf_counter()
    with transport_class(args.transport)(config) as t:
        counts = receive_files(warehouse, t, "shipments", fmt.shipment_pattern, handle)
    elapsed = time.perf_counter() - started
    after = peak_mb()
    server.stop()
    with connection.cursor() as cur:
        cur.execute("SELECT length(content) FROM warehouses_exchangerecord")
        stored = [row[0] for row in cur.fetchall()]
    parsing = "not parsed" if args.no_parse else "parsed as DSFX"
    print(f"file: {size / 1024 / 1024:.1f} MB, {shipments} shipments, over {args.transport}, {parsing}")
    print(f"pull: {counts} in {elapsed:.1f} s")
    print(f"peak RSS: before {before:.0f} MB, after {after:.0f} MB (+{after - before:.0f} MB, "
          f"{(after - before) / (size / 1024 / 1024):.1f}x the file)")
    print(f"database keeps: {sum(stored) / 1024 / 1024:.1f} MB for the file")


if __name__ == "__main__":
    main()
