"""The difference between the org tree and a file from the source of truth (issue 18).

Pure: ``diff(rows, tree)`` compares the rows of an organisation file (from the HR system
or AD, read by ``casetrack/infra/org_file.py``) with today's units and returns what an
import would do: new units, renamed, moved (old → new parent), closed (in the tree but not
in the file, or marked closed in the file), reopened, a changed level, and how many stay
unchanged; or the problems that stop it, each with the line it is on. The file is the
whole tree: every open unit must be in it, every parent must be a row of it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from casetrack.domain.codes import UNIT_LEVEL_LABELS, UNIT_LEVELS

# A new unit's level from its depth in the file when the file gives none.
LEVEL_BY_DEPTH = ("forvaltning", "avdelning", "enhet", "verksamhet", "arbetsgrupp")
CODE_MAX = 40
NAME_MAX = 200


def clean_code(code: str | None) -> str:
    return (code or "").strip().upper()


def code_problem(code: str) -> str | None:
    if not code:
        return "koden saknas"
    if len(code) > CODE_MAX:
        return f"koden {code} är längre än {CODE_MAX} tecken"
    if not all(ch.isascii() and (ch.isalnum() or ch in "-_") for ch in code):
        return f"koden {code} får bara innehålla bokstäver A–Z, siffror, - och _"
    return None


def level_code(value: str | None) -> str | None:
    """The level code for a code or a label (``enhet``, ``Enhet``, ``Förvaltning``);
    None for an empty value; raises ValueError for anything else."""
    text = (value or "").strip().lower()
    if not text:
        return None
    if text in UNIT_LEVELS:
        return text
    for code, label in UNIT_LEVEL_LABELS.items():
        if text == label.lower():
            return code
    raise ValueError(text)


@dataclass(frozen=True)
class FileRow:
    """One unit of the file; ``where`` names its place for messages ("rad 4", "post 2")."""

    where: str
    code: str
    name: str
    parent_code: str | None
    level: str | None = None  # a level code, or None: keep the unit's, or by depth
    closed: bool = False
    valid_from: date | None = None


@dataclass(frozen=True)
class TreeUnit:
    """A unit of today's tree, as the diff needs it."""

    id: int
    code: str
    name: str
    parent_code: str | None
    level: str
    active: bool


@dataclass(frozen=True)
class Problem:
    where: str | None
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


@dataclass(frozen=True)
class NewUnit:
    row: FileRow
    level: str


@dataclass(frozen=True)
class Renamed:
    code: str
    old: str
    new: str
    row: FileRow


@dataclass(frozen=True)
class Moved:
    code: str
    name: str
    old_parent: str | None
    new_parent: str | None
    row: FileRow


@dataclass(frozen=True)
class Closed:
    code: str
    name: str
    explicit: bool  # marked closed in the file (else: missing from it)
    row: FileRow | None


@dataclass(frozen=True)
class Relevelled:
    code: str
    old: str
    new: str
    row: FileRow


@dataclass(frozen=True)
class Reopened:
    code: str
    name: str
    row: FileRow


@dataclass
class OrgDiff:
    new: list[NewUnit] = field(default_factory=list)
    renamed: list[Renamed] = field(default_factory=list)
    moved: list[Moved] = field(default_factory=list)
    closed: list[Closed] = field(default_factory=list)
    reopened: list[Reopened] = field(default_factory=list)
    relevelled: list[Relevelled] = field(default_factory=list)
    unchanged: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def changes(self) -> int:
        return sum(
            len(items)
            for items in (
                self.new,
                self.renamed,
                self.moved,
                self.closed,
                self.reopened,
                self.relevelled,
            )
        )


def _check_rows(rows: list[FileRow], problems: list[Problem]) -> dict[str, FileRow]:
    by_code: dict[str, FileRow] = {}
    for row in rows:
        problem = code_problem(row.code)
        if problem:
            problems.append(Problem(row.where, problem))
            continue
        if row.code in by_code:
            problems.append(
                Problem(row.where, f"koden {row.code} finns redan på {by_code[row.code].where}")
            )
            continue
        if not row.name.strip():
            problems.append(Problem(row.where, f"namnet saknas för {row.code}"))
        elif len(row.name.strip()) > NAME_MAX:
            problems.append(Problem(row.where, f"namnet är längre än {NAME_MAX} tecken"))
        if row.parent_code == row.code:
            problems.append(Problem(row.where, f"{row.code} kan inte ligga under sig själv"))
        by_code[row.code] = row
    for row in by_code.values():
        if row.parent_code and row.parent_code not in by_code:
            problems.append(
                Problem(
                    row.where,
                    f"den överordnade enheten {row.parent_code} (för {row.code}) finns inte "
                    "i filen",
                )
            )
        parent = by_code.get(row.parent_code or "")
        if parent is not None and parent.closed and not row.closed:
            problems.append(
                Problem(
                    row.where,
                    f"{row.code} är öppen men ligger under {parent.code}, som stängs "
                    f"({parent.where})",
                )
            )
    return by_code


def _check_cycles(by_code: dict[str, FileRow], problems: list[Problem]) -> None:
    reported: set[str] = set()
    for start in by_code:
        seen: list[str] = []
        code: str | None = start
        while code is not None and code in by_code and code not in seen:
            seen.append(code)
            code = by_code[code].parent_code
        if code is not None and code in seen and code not in reported:
            loop = seen[seen.index(code) :]
            reported.update(loop)
            row = by_code[code]
            problems.append(
                Problem(
                    row.where,
                    "enheterna ligger under varandra i en ring: " + " → ".join([*loop, code]),
                )
            )


def _depth(by_code: dict[str, FileRow], code: str) -> int:
    depth, parent = 0, by_code[code].parent_code
    while parent and parent in by_code and depth < len(by_code):
        depth += 1
        parent = by_code[parent].parent_code
    return depth


def diff(rows: list[FileRow], tree: list[TreeUnit]) -> OrgDiff:
    """What importing ``rows`` into ``tree`` would change, or the problems that stop it."""
    result = OrgDiff()
    by_code = _check_rows(rows, result.problems)
    _check_cycles(by_code, result.problems)
    if not rows:
        result.problems.append(Problem(None, "filen har inga enheter"))
    if result.problems:
        return result
    current = {unit.code: unit for unit in tree}
    for code, row in by_code.items():
        unit = current.get(code)
        name = row.name.strip()
        if unit is None:
            if row.closed:
                result.problems.append(
                    Problem(row.where, f"{code} finns inte i casetrack och kan inte stängas")
                )
                continue
            level = row.level or LEVEL_BY_DEPTH[min(_depth(by_code, code), 4)]
            result.new.append(NewUnit(row, level))
            continue
        changed = False
        if unit.name != name:
            result.renamed.append(Renamed(code, unit.name, name, row))
            changed = True
        if unit.parent_code != row.parent_code:
            result.moved.append(Moved(code, name, unit.parent_code, row.parent_code, row))
            changed = True
        if row.level and row.level != unit.level:
            result.relevelled.append(Relevelled(code, unit.level, row.level, row))
            changed = True
        if row.closed and unit.active:
            result.closed.append(Closed(code, name, True, row))
            changed = True
        elif not row.closed and not unit.active:
            result.reopened.append(Reopened(code, name, row))
            changed = True
        if not changed:
            result.unchanged += 1
    for code, unit in current.items():
        if code not in by_code and unit.active:
            result.closed.append(Closed(code, unit.name, False, None))
    return result
