"""Compare the Acumatica sandbox's entity field lists with the official client's C# model files.

The official client is not copied into the project (and CI cannot fetch it), so this is a script,
not a test: give it a checkout, or a bare git directory, of Acumatica/AcumaticaRESTAPIClientForCSharp
(a git directory is read at the commit `model.SOURCE` names):

    .venv/bin/python scripts/check_acumatica_model.py /path/to/AcumaticaRESTAPIClientForCSharp.git

It prints one line per entity and exits 1 on any difference. The sandbox's answers are checked
against the same lists in tests/platforms/acumatica/test_acumatica_sandbox.py.
"""
import re
import subprocess
import sys
from pathlib import Path

from dockline.sandbox.acumatica.model import ENTITIES, SOURCE

MEMBER = re.compile(r'\[DataMember\(Name="(\w+)".*?\)\]\s*public\s+([\w<>]+)\??\s+\w+\s*\{', re.DOTALL)


def _official(entity: str, client: str) -> dict[str, str]:
    repo, _, folder = SOURCE.partition(":")
    path, root = f"{folder}{entity}.cs", Path(client)
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


def main(client: str) -> int:
    differ = 0
    for entity in sorted(ENTITIES):
        official = _official(entity, client)
        ours = ENTITIES[entity]
        if ours == official:
            print(f"{entity}: {len(ours)} fields, same as the official model")
            continue
        differ += 1
        missing = sorted(set(official) - set(ours))
        extra = sorted(set(ours) - set(official))
        typed = sorted(k for k in set(ours) & set(official) if ours[k] != official[k])
        print(f"{entity}: differs; not in the sandbox {missing}, not official {extra}, other type {typed}")
    return 1 if differ else 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1]))
