"""Where the top-level resource folders are, in a checkout and in an installed wheel.

In a source checkout (and an editable install) ``templates/``, ``static/`` and
``migrations/`` sit beside the ``casetrack`` package; a wheel carries them inside the
package (see ``[tool.hatch.build.targets.wheel.force-include]`` in pyproject.toml).
"""

import os
from collections.abc import Callable
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent.parent  # casetrack/, not casetrack/infra/


def resource_dir(name: str) -> Path:
    """Return the folder ``name``, preferring the copy inside the installed package."""
    for candidate in (PACKAGE_DIR / name, PACKAGE_DIR.parent / name):
        if candidate.is_dir():
            return candidate
    raise RuntimeError(f"casetrack cannot find its {name}/ folder (looked beside {PACKAGE_DIR})")


def instance_key(instance_path: Path, file_name: str, make: Callable[[], str]) -> str:
    """The development or testing key kept in ``<instance>/<file_name>`` (mode 600), made
    with ``make`` the first time. Two processes starting at once read the same key: the
    file is created exclusively, and the one that loses the race reads the winner's."""
    key_file = instance_path / file_name
    if not key_file.exists():
        instance_path.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it first
            return key_file.read_text().strip()
        with os.fdopen(fd, "w") as handle:
            handle.write(make())
    return key_file.read_text().strip()
