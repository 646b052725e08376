"""Write the API's OpenAPI document, as served at /api/v1/openapi.json, to a file (docs/api/openapi.json).

    DJANGO_SETTINGS_MODULE=dockline.settings python -m dockline.api.export docs/api/openapi.json
"""
from __future__ import annotations

import json
import sys
from pathlib import Path


def schema_text() -> str:
    from dockline.api.main import api

    return json.dumps(api.get_openapi_schema(path_prefix="/api/v1/"), indent=2, sort_keys=True) + "\n"


def main(argv: list[str]) -> None:
    import django

    django.setup()
    Path(argv[0]).write_text(schema_text(), encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1:])
