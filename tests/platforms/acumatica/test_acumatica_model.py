"""The sandbox's entity field lists are the official client's, compared with its C# model files.

The official client is not copied into the project: set DOCKLINE_ACUMATICA_CLIENT to a checkout, or a
bare git directory, of Acumatica/AcumaticaRESTAPIClientForCSharp (a git directory is read at the
commit `model.SOURCE` names). Without it this comparison is skipped; the answers of the sandbox are
still checked against the lists in test_acumatica_sandbox.py.
"""
import os
import re
import subprocess
from pathlib import Path

import pytest

from dockline.sandbox.acumatica.model import ENTITIES, SOURCE

MEMBER = re.compile(r'\[DataMember\(Name="(\w+)".*?\)\]\s*public\s+([\w<>]+)\??\s+\w+\s*\{', re.DOTALL)
CLIENT = os.environ.get("DOCKLINE_ACUMATICA_CLIENT", "")


def _official(entity: str) -> dict[str, str]:
    repo, _, folder = SOURCE.partition(":")
    path, root = f"{folder}{entity}.cs", Path(CLIENT)
    if (root / "objects").is_dir():  # a git directory: read the cited commit
        text = subprocess.run(["git", f"--git-dir={root}", "show", f"{repo.split('@')[1]}:{path}"],
                              capture_output=True, text=True, check=True).stdout
    else:
        text = (root / path).read_text(encoding="utf-8-sig")
    fields = {}
    for name, cs_type in MEMBER.findall(text):
        if cs_type.endswith("Value"):
            cs_type = cs_type[: -len("Value")]
        elif cs_type.startswith("List<"):
            cs_type = f"[{cs_type[5:-1]}]"
        fields[name] = cs_type
    return fields


@pytest.mark.skipif(not CLIENT, reason="DOCKLINE_ACUMATICA_CLIENT (the official C# client) not given")
@pytest.mark.parametrize("entity", sorted(ENTITIES))
def test_the_sandbox_fields_of_each_entity_are_the_official_models(entity):
    assert ENTITIES[entity] == _official(entity)
