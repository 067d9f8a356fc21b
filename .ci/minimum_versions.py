"""Print the oldest supported Python and the runtime floors pinned, from pyproject.toml.

First line: the minor version of ``requires-python`` (for example ``3.10``);
then one ``name==version`` line per runtime dependency declared ``name>=version``.
Reading the floors from pyproject.toml means the CI run with these pins tests
exactly what the package promises.
"""

import re
import sys
import tomllib
from pathlib import Path

project = tomllib.loads(Path("pyproject.toml").read_text())["project"]
python = re.fullmatch(r">=\s*(\d+\.\d+)", project["requires-python"])
if python is None:
    sys.exit(f"requires-python must be '>=X.Y', got {project['requires-python']!r}")
print(python.group(1))
for requirement in project["dependencies"]:
    floor = re.fullmatch(r"([A-Za-z0-9_.-]+)\s*>=\s*([0-9][0-9.]*)", requirement)
    if floor is None:
        sys.exit(f"dependency {requirement!r} must be declared as 'name>=version'")
    print(f"{floor.group(1)}=={floor.group(2)}")
