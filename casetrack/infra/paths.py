"""Where the top-level resource folders are, in a checkout and in an installed wheel.

In a source checkout (and an editable install) ``templates/``, ``static/`` and
``migrations/`` sit beside the ``casetrack`` package; a wheel carries them inside the
package (see ``[tool.hatch.build.targets.wheel.force-include]`` in pyproject.toml).
"""

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent.parent  # casetrack/, not casetrack/infra/


def resource_dir(name: str) -> Path:
    """Return the folder ``name``, preferring the copy inside the installed package."""
    for candidate in (PACKAGE_DIR / name, PACKAGE_DIR.parent / name):
        if candidate.is_dir():
            return candidate
    raise RuntimeError(f"casetrack cannot find its {name}/ folder (looked beside {PACKAGE_DIR})")
