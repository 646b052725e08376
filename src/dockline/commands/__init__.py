"""`dockline` subcommands that script what the dashboard and the API do, one module per group.

Each module has `command(setup)`: the click command, bound to the CLI's `setup` (configure Django and
migrate), so the modules stay importable without Django configured.
"""
