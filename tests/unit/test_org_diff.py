"""The org file's difference from the tree, without a database (domain/org_diff.py)."""

from __future__ import annotations

from casetrack.domain.org_diff import FileRow, TreeUnit, diff


def _row(n: int, code: str, parent: str | None, name: str | None = None, **kw) -> FileRow:
    return FileRow(f"rad {n}", code, name or f"Enhet {code}", parent, **kw)


TREE = [
    TreeUnit(1, "ROOT", "Enhet ROOT", None, "forvaltning", True),
    TreeUnit(2, "A", "Enhet A", "ROOT", "avdelning", True),
    TreeUnit(3, "OLD", "Enhet OLD", "A", "enhet", False),
    TreeUnit(4, "GONE", "Enhet GONE", "A", "enhet", True),
]


def test_new_units_get_their_level_from_their_depth():
    rows = [_row(2, "ROOT", None), _row(3, "A", "ROOT"), _row(4, "X", "A"),
            _row(5, "Y", "X"), _row(6, "Z", "Y"), _row(7, "W", "Z")]  # fmt: skip
    result = diff(rows, TREE)
    assert result.problems == []
    assert [(n.row.code, n.level) for n in result.new] == [
        ("X", "enhet"), ("Y", "verksamhet"), ("Z", "arbetsgrupp"), ("W", "arbetsgrupp"),
    ]  # fmt: skip
    assert [c.code for c in result.closed] == ["GONE"]  # OLD was closed already
    assert result.unchanged == 2


def test_a_closed_unit_in_the_file_is_reopened_and_a_level_can_change():
    rows = [_row(2, "ROOT", None), _row(3, "A", "ROOT", level="enhet"), _row(4, "OLD", "A"),
            _row(5, "GONE", "A")]  # fmt: skip
    result = diff(rows, TREE)
    assert [r.code for r in result.reopened] == ["OLD"]
    assert [(r.code, r.old, r.new) for r in result.relevelled] == [("A", "avdelning", "enhet")]
    assert result.closed == [] and result.unchanged == 2


def test_an_open_unit_under_a_closing_one_and_closing_an_unknown_unit_are_refused():
    rows = [_row(2, "ROOT", None), _row(3, "A", "ROOT", closed=True), _row(4, "GONE", "A"),
            _row(5, "NEW", "ROOT", closed=True)]  # fmt: skip
    messages = [str(p) for p in diff(rows, TREE).problems]
    assert "rad 4: GONE är öppen men ligger under A, som stängs (rad 3)" in messages
    rows = [_row(2, "ROOT", None), _row(3, "NEW", "ROOT", closed=True), _row(4, "A", "ROOT"),
            _row(5, "GONE", "A")]  # fmt: skip
    problems = [str(p) for p in diff(rows, TREE).problems]
    assert problems == ["rad 3: NEW finns inte i casetrack och kan inte stängas"]


def test_a_unit_under_itself_and_an_empty_file_are_refused():
    assert [str(p) for p in diff([_row(2, "ROOT", "ROOT")], TREE).problems][:1] == [
        "rad 2: ROOT kan inte ligga under sig själv"
    ]
    assert [str(p) for p in diff([], TREE).problems] == ["filen har inga enheter"]
