"""What a connection's last runs say needs fixing at the store or the warehouse, for its page."""
from __future__ import annotations

from dataclasses import dataclass

from dockline.connections.models import Connection, Side
from dockline.core.errors import ErrorKind
from dockline.sync.models import SyncRun


@dataclass(frozen=True)
class SetupWarning:
    side: Side | None
    channel: str  # the channel's label, e.g. "Orders"
    message: str  # the run's error: the server's words and what to fix

    @property
    def title(self) -> str:
        where = f"The {self.side.label.lower()}'s setup" if self.side else "The setup"
        return f"{where} needs fixing ({self.channel.lower()} stopped)"


def setup_warnings(connection: Connection) -> list[SetupWarning]:
    """One warning per channel whose last finished run failed on a setup problem (folder, permission, quota).

    It goes away by itself when that channel's next run works.
    """
    warnings = []
    for channel in connection.channels.order_by("id"):
        warning = warning_for(channel, SyncRun.objects.filter(channel=channel).exclude(ok=None).first())
        if warning:
            warnings.append(warning)
    return warnings


def warning_for(channel, last: SyncRun | None) -> SetupWarning | None:
    """The warning a channel's last finished run calls for, if it failed on a setup problem."""
    if last and not last.ok and last.kind == ErrorKind.CONFIG:
        return SetupWarning(Side(last.side) if last.side else None, channel.get_kind_display(), last.error)
    return None
