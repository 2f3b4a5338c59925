"""The order of lex Sarah / lex Maria steps, the attachment type check and step deadlines
in Swedish working days."""

from __future__ import annotations

from datetime import date

import pytest

from casetrack.domain import escalation as rules
from casetrack.domain.deadlines import due_date
from casetrack.services.attachments import clean_filename, sniff

SARAH, MARIA = rules.LEX_SARAH, rules.LEX_MARIA
STARTED = [rules.REPORTED, rules.DOCUMENTED, rules.INVESTIGATION_STARTED]
DECIDED = [*STARTED, rules.DECISION]


@pytest.mark.parametrize(
    ("track", "step", "recorded", "serious", "allowed"),
    [
        (SARAH, rules.DOCUMENTED, [rules.REPORTED], None, True),
        (SARAH, rules.DOCUMENTED, [rules.REPORTED, rules.DOCUMENTED], None, False),
        (SARAH, rules.REMEDY, [rules.REPORTED], None, False),
        (SARAH, rules.REMEDY, [*STARTED, rules.REMEDY], None, True),  # repeatable
        (SARAH, rules.DECISION, [rules.REPORTED], None, False),
        (SARAH, rules.DECISION, STARTED, None, True),
        (SARAH, rules.IVO_REPORT, STARTED, None, False),
        (SARAH, rules.IVO_REPORT, DECIDED, False, False),
        (SARAH, rules.IVO_REPORT, DECIDED, True, True),
        (SARAH, rules.IVO_REPORT, [*DECIDED, rules.NO_IVO_REPORT], True, False),
        (SARAH, rules.NO_IVO_REPORT, DECIDED, False, True),
        (SARAH, rules.NO_IVO_REPORT, [*DECIDED, rules.IVO_REPORT], True, False),
        (SARAH, rules.COMPLETED, STARTED, None, False),
        (SARAH, rules.COMPLETED, DECIDED, False, True),
        (SARAH, rules.COMPLETED, DECIDED, True, False),
        (SARAH, rules.COMPLETED, [*DECIDED, rules.IVO_REPORT], True, True),
        (SARAH, rules.PERSON_INFORMED, STARTED, None, False),
        (SARAH, rules.PERSON_INFORMED, [*DECIDED, rules.COMPLETED], False, True),
        (SARAH, rules.REMEDY, [*DECIDED, rules.COMPLETED], False, False),
        (SARAH, rules.EVENT_ANALYSIS, STARTED, None, False),  # not a lex Sarah step
        (MARIA, rules.EVENT_ANALYSIS, [rules.REPORTED], None, False),
        (MARIA, rules.EVENT_ANALYSIS, STARTED, None, True),
        (MARIA, rules.PATIENT_INFORMED, [rules.REPORTED], None, True),
        (MARIA, rules.PATIENT_NOT_INFORMED, [rules.REPORTED, rules.PATIENT_INFORMED], None, False),
        (MARIA, rules.IVO_REPORT, DECIDED, True, True),
        # A serious level makes the anmälan required: "ingen anmälan" is not a choice.
        (SARAH, rules.NO_IVO_REPORT, DECIDED, True, False),
        (MARIA, rules.NO_IVO_REPORT, DECIDED, True, False),
        (SARAH, rules.NO_IVO_REPORT, DECIDED, False, True),
        (MARIA, rules.PERSON_INFORMED, DECIDED, True, False),  # lex Maria: the patient
    ],
)
def test_steps_come_in_a_sensible_order(track, step, recorded, serious, allowed):
    assert (rules.refusal(track, step, recorded, serious) is None) is allowed


def test_no_anmalan_before_a_serious_stallningstagande_says_why():
    reason = rules.refusal(SARAH, rules.IVO_REPORT, DECIDED, False)
    assert "allvarligt" in reason


@pytest.mark.parametrize(
    ("start", "days", "due"),
    [
        (date(2026, 3, 6), 1, date(2026, 3, 9)),  # Friday → Monday
        (date(2026, 3, 6), 2, date(2026, 3, 10)),
        (date(2026, 6, 18), 1, date(2026, 6, 22)),  # midsommarafton 19 June and the weekend
        (date(2026, 6, 17), 2, date(2026, 6, 22)),
        (date(2026, 12, 23), 1, date(2026, 12, 28)),  # julafton, juldagen, annandag jul
        (date(2026, 12, 22), 10, date(2027, 1, 12)),  # nyårsafton, nyårsdagen, trettondagen
        (date(2026, 4, 2), 1, date(2026, 4, 7)),  # långfredagen, annandag påsk
    ],
)
def test_step_deadlines_count_swedish_working_days(start, days, due):
    assert due_date(start, days) == due


def test_every_deadline_and_legal_reference_has_a_default():
    settings = rules.default_settings()
    assert settings["deadline.lex_sarah.dokumenterad"] == "1"
    assert settings["deadline.lex_sarah.utredning_paborjad"] == "2"
    assert settings["deadline.lex_sarah.anmalan_ivo"] == "10"
    assert "SOSFS 2011:5" in settings["legal.lex_sarah"]
    assert "3 kap. 5 §" in settings["legal.lex_maria"]
    assert settings["attachment.max_bytes"] == str(10 * 1024 * 1024)


@pytest.mark.parametrize(
    ("head", "code"),
    [
        (b"%PDF-1.7\n", "pdf"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "png"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "jpeg"),
        (b"II*\x00\x08\x00", "tiff"),
        (b"\x00\x00\x00\x18ftypheic\x00\x00", "heic"),
        (b"<html><script>", None),
        (b"MZ\x90\x00", None),
        (b"PK\x03\x04", None),
    ],
)
def test_file_types_are_told_by_content(head, code):
    found = sniff(head)
    assert (found.code if found else None) == code


def test_file_names_lose_paths_and_control_characters():
    assert clean_filename("C:\\Users\\x\\brev\x00.pdf") == "brev.pdf"
    assert clean_filename("../../etc/passwd") == "passwd"
    assert clean_filename("  ") == ""


def test_every_level_has_words_a_hint_and_the_answers_it_stands_for():
    for track in rules.TRACKS:
        codes = [code for code, _ in rules.ASSESSMENTS[track]]
        assert len(codes) == 5
        # The two most serious levels, and only those, require the anmälan.
        assert [code in rules.SERIOUS_ASSESSMENTS for code in codes] == [
            False, False, False, True, True,
        ]  # fmt: skip
        for code in codes:
            assert rules.ASSESSMENT_HINTS[code]
            assert rules.ASSESSMENT_ANSWERS[code][2] is (code in rules.SERIOUS_ASSESSMENTS)
    assert rules.assessment_label(SARAH, None) == "Inget ställningstagande ännu"
    assert rules.assessment_label(MARIA, "risk_vardskada") == "Risk för vårdskada"
