"""A demo world whose warehouse uses a given transport and format."""
import pytest


@pytest.fixture
def make_world(transactional_db):
    """make_world(transport, file_format, **format_settings): both sandboxes, an enabled connection; stopped after."""
    from dockline.sandbox import demo

    worlds = []

    def make(transport: str = "ftp", file_format: str = "dsfx", **format_settings):
        w = demo.build(intervals=demo.demo_intervals(3600), ship_delay=0.0, partial_rate=0.0,
                       transport=transport, file_format=file_format, format_settings=format_settings or None)
        worlds.append(w)
        return w

    yield make
    for w in worlds:
        w.stop()
