"""Synthetic data at city scale for benchmarks (issue #9): ``casetrack generate``.

Everything here is synthetic (SECURITY.md K3-36) and deterministic for a seed. Unlike the
demo data, cases do not go through the services one ORM object at a time: rows are built
as tuples and bulk-loaded in batches (COPY on PostgreSQL, ``executemany`` on SQLite), so a
million cases load in minutes. The rows follow the same rules as the services: reference
numbers per prefix and year agree with ``reference_counter``, every case has its search
document and one ``case.registered`` audit entry, and the statuses, återkoppling and
åtgärder are consistent with each other.
"""

from __future__ import annotations

import json
import random
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa

from casetrack.access import org_tree
from casetrack.cli.demo import (
    KIND_WEIGHTS,
    PRAISE_TEXTS,
    PUBLIC_CHANNELS,
    SOURCE_WEIGHTS,
    TEXTS,
    moment,
    pick,
)
from casetrack.domain import escalation as rules
from casetrack.domain.case_numbers import format_reference
from casetrack.domain.codes import CATEGORIES, EFFECT_VERDICTS
from casetrack.domain.dates import local_date
from casetrack.domain.roles import Role
from casetrack.extensions import db
from casetrack.infra.passwords import hash_password
from casetrack.models import (
    Action,
    AuditEntry,
    Case,
    CaseSearchDocument,
    Escalation,
    EscalationStep,
    Feedback,
    OrgUnit,
    ReferenceCounter,
    RoleAssignment,
    User,
    case_category,
    utcnow,
)

BENCH_PASSWORD = "bench-casetrack-2026"  # noqa: S105  # pragma: allowlist secret (synthetic benchmark accounts)
BENCH_DOMAIN = "bench.example"
BATCH = 20_000

# Place words make the search realistic: a handful of cases share a rare word.
PLACES = (  # noqa: SIM905
    "Aspudden Axelsberg Bagarmossen Blackeberg Bromma Fruängen Gubbängen Hammarbyhöjden "
    "Hägersten Hökarängen Johanneshov Kista Kungsholmen Liljeholmen Midsommarkransen "
    "Mälarhöjden Norrmalm Rinkeby Skärholmen Solberga Sätra Tensta Telefonplan Vällingby "
    "Västberga Älvsjö Årsta Östermalm Enskede Farsta Hjulsta Husby Akalla Hässelby"
).split()
TRACK_STEPS = (
    (rules.DOCUMENTED, 1), (rules.INVESTIGATION_STARTED, 3), (rules.DECISION, 14),
    (rules.COMPLETED, 40),
)  # fmt: skip
EFFECT_CODES = tuple(item.code for item in EFFECT_VERDICTS)
NO_FEEDBACK_CODES = ("avbojt", "ej_nabar")  # codes of domain.codes.NO_FEEDBACK_REASONS
STREETS = ("gatan", "vägen", "backen", "gränd", "stigen", "torget", "allén", "plan")
DIVISIONS = ("äldreomsorg", "funktionsnedsättning", "förebyggande arbete", "socialpsykiatri")
ENHET_KINDS = ("hemtjänst", "vård- och omsorgsboende", "gruppbostäder", "daglig verksamhet")


@dataclass
class GenerateSummary:
    units: int
    users: int
    cases: int
    seconds: float

    def __str__(self) -> str:
        rate = self.cases / self.seconds if self.seconds else 0
        return (
            f"{self.units} verksamheter, {self.users} användare, {self.cases} ärenden "
            f"på {self.seconds:.0f} s ({rate:.0f} ärenden/s)"
        )


def database_has_cases() -> bool:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Case)) > 0


class _Loader:
    """Bulk insert of plain tuples: COPY on PostgreSQL, executemany on SQLite."""

    def __init__(self) -> None:
        self.connection = db.session.connection()
        self.dialect = self.connection.dialect.name
        self.raw = self.connection.connection.driver_connection
        if self.dialect == "postgresql":
            # Skip the per-row foreign-key triggers for this transaction only: the rows are
            # built consistent here, and the checks would triple the load time. Needs a
            # superuser; without one the load is just slower.
            try:
                with self.connection.begin_nested():
                    self.connection.exec_driver_sql("SET LOCAL session_replication_role = replica")
            except sa.exc.DBAPIError:
                pass

    def _value(self, value):
        if self.dialect == "sqlite":
            # The formats SQLAlchemy itself writes for SQLite (UTCDateTime stores naive UTC).
            if isinstance(value, datetime):
                return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ")
            if isinstance(value, date):
                return value.isoformat()
            if isinstance(value, bool):
                return int(value)
        if isinstance(value, dict):
            return json.dumps(value)
        return value

    def insert(self, table: sa.Table, columns: Sequence[str], rows: Iterable[tuple]) -> None:
        names = ", ".join(columns)
        if self.dialect == "postgresql":
            copy_sql = f"COPY {table.name} ({names}) FROM STDIN"
            with self.raw.cursor() as cursor, cursor.copy(copy_sql) as copy:
                for row in rows:
                    copy.write_row([self._value(v) for v in row])
            return
        marks = ", ".join("?" for _ in columns)
        cursor = self.raw.cursor()
        cursor.executemany(
            f"INSERT INTO {table.name} ({names}) VALUES ({marks})",  # noqa: S608 (our names)
            ([self._value(v) for v in row] for row in rows),
        )
        cursor.close()


def _build_org(rng: random.Random, verksamheter: int) -> tuple[OrgUnit, list, dict, dict]:
    """A förvaltning, avdelningar, enheter and ``verksamheter`` leaf units, with users.

    Returns the root, the leaves as (unit id, enhet id, prefix), the handler id per enhet
    and the staff user id per leaf that has one.
    """
    password_hash = hash_password(BENCH_PASSWORD)
    root = OrgUnit(code="STAD", name="Stadens förvaltning (syntetisk)", level="forvaltning",
                   reference_prefix="ST")  # fmt: skip
    db.session.add(root)
    enheter_count = max(1, verksamheter // 10)
    avdelningar_count = max(1, enheter_count // 15)
    avdelningar = []
    for a in range(avdelningar_count):
        unit = OrgUnit(
            code=f"AVD{a + 1:03d}",
            name=f"Avdelning {a + 1}, {DIVISIONS[a % len(DIVISIONS)]}",
            level="avdelning",
            parent=root,
            # Letters only (REFERENCE_PATTERN): AAA, AAB, ...
            reference_prefix=f"A{chr(65 + a // 26 % 26)}{chr(65 + a % 26)}",
        )
        db.session.add(unit)
        avdelningar.append(unit)
    enheter = []
    for e in range(enheter_count):
        place = PLACES[e % len(PLACES)]
        unit = OrgUnit(
            code=f"ENH{e + 1:04d}",
            name=f"{place} {ENHET_KINDS[e % len(ENHET_KINDS)]} {e + 1}",
            level="enhet",
            parent=avdelningar[e % avdelningar_count],
        )
        db.session.add(unit)
        enheter.append(unit)
    leaves = []
    for v in range(verksamheter):
        enhet = enheter[v % enheter_count]
        unit = OrgUnit(
            code=f"VHT{v + 1:05d}",
            name=f"{enhet.name}, verksamhet {v // enheter_count + 1}",
            level="verksamhet",
            parent=enhet,
        )
        db.session.add(unit)
        leaves.append(unit)
    db.session.flush()

    def user(local_part: str, name: str, roles: list[tuple[Role, OrgUnit]]) -> User:
        account = User(email=f"{local_part}@{BENCH_DOMAIN}", name=name,
                       password_hash=password_hash)  # fmt: skip
        db.session.add(account)
        for role, unit in roles:
            account.role_assignments.append(RoleAssignment(role=role.value, org_unit=unit))
        return account

    user("kvalitet", "Kvalitetsansvarig (syntetisk)", [(Role.QUALITY, root)])
    user("mas", "MAS (syntetisk)", [(Role.MAS, root)])
    user("admin", "Administratör (syntetisk)", [(Role.ADMIN, root)])
    user("enhetschef", "Enhetschef (syntetisk)", [(Role.MANAGER, enheter[0])])
    handlers = {}
    for e, enhet in enumerate(enheter):
        local = "handlaggare" if e == 0 else f"handlaggare{e + 1}"
        handlers[enhet.id] = user(local, f"Handläggare {e + 1}", [(Role.HANDLER, enhet)])
    staff = {}
    for v, leaf in enumerate(leaves[: max(1, len(leaves) // 10)]):
        local = "medarbetare" if v == 0 else f"medarbetare{v + 1}"
        staff[leaf.id] = user(local, f"Medarbetare {v + 1}", [(Role.STAFF, leaf)])
    db.session.flush()
    prefix_of = {a.id: a.reference_prefix or "ST" for a in avdelningar}
    leaf_rows = [(leaf.id, leaf.parent_id, prefix_of[leaf.parent.parent_id]) for leaf in leaves]
    return (
        root,
        leaf_rows,
        {k: u.id for k, u in handlers.items()},
        {k: u.id for k, u in staff.items()},
    )


def generate(
    cases: int,
    units: int,
    seed: int,
    today: date | None = None,
    years: int = 10,
    progress: Callable[[int], None] | None = None,
) -> GenerateSummary:
    """Load ``cases`` synthetic cases over ``years`` years on ``units`` verksamheter.

    The caller commits; batches are flushed to the database as they are built. Raises
    nothing on a populated database: the CLI refuses that unless told otherwise.
    """
    started = datetime.now(UTC)
    rng = random.Random(seed)  # noqa: S311 (synthetic data, not security)
    today = today or local_date(utcnow())
    _root, leaves, handler_for, staff_for = _build_org(rng, units)
    db.session.flush()
    loader = _Loader()
    # The load may run with triggers off (PostgreSQL, as a superuser): give the org tree
    # its new version token by hand, so running servers reload the tree.
    org_tree.mark_changed()

    def next_id(model) -> int:
        return (db.session.scalar(sa.select(sa.func.max(model.id))) or 0) + 1

    ids = {m: next_id(m) for m in (Case, Feedback, Action, Escalation, EscalationStep, AuditEntry)}
    counters: dict[tuple[str, int], int] = {
        (c.prefix, c.year): c.last_value for c in db.session.scalars(sa.select(ReferenceCounter))
    }
    category_codes = [c.code for c in CATEGORIES]
    first_day = today - timedelta(days=365 * years)
    span = (today - first_day).days
    # Received dates in order, so reference numbers rise with the date as in real life.
    days = sorted(first_day + timedelta(days=rng.randrange(span + 1)) for _ in range(cases))
    made = 0
    for start in range(0, cases, BATCH):
        batch = _build_batch(rng, days[start : start + BATCH], today, leaves, handler_for,
                             staff_for, category_codes, ids, counters)  # fmt: skip
        for table, columns, rows in batch:
            loader.insert(table, columns, rows)
        made += len(days[start : start + BATCH])
        if progress:
            progress(made)
    _save_counters(counters)
    _after_load(loader)
    seconds = (datetime.now(UTC) - started).total_seconds()
    return GenerateSummary(
        units=len(leaves), users=len(handler_for) + len(staff_for) + 4, cases=made, seconds=seconds
    )


def _build_batch(rng, days, today, leaves, handler_for, staff_for, category_codes, ids, counters):
    case_rows, link_rows, search_rows, audit_rows = [], [], [], []
    feedback_rows, action_rows, escalation_rows, step_rows = [], [], [], []
    for day in days:
        case_id = ids[Case]
        ids[Case] += 1
        unit_id, enhet_id, prefix = leaves[rng.randrange(len(leaves))]
        handler_id = handler_for[enhet_id]
        kind = pick(rng, KIND_WEIGHTS)
        registered = moment(day, rng)
        key = (prefix, day.year)
        counters[key] = counters.get(key, 0) + 1
        reference = format_reference(prefix, day.year, counters[key])
        source = pick(rng, SOURCE_WEIGHTS[kind]) if rng.random() >= 0.04 else None
        if kind == "praise":
            categories = ["bemotande"] if rng.random() < 0.6 else []
            description = rng.choice(PRAISE_TEXTS)
        else:
            k = rng.choices((1, 2, 3), weights=(60, 30, 10))[0]
            categories = rng.sample(category_codes, k=k) if rng.random() >= 0.04 else []
            description = " ".join(TEXTS[code] for code in categories) or TEXTS["annat"]
        place = rng.choice(PLACES)
        street = f"{rng.choice(PLACES)}{rng.choice(STREETS)} {rng.randint(1, 120)}"
        description = f"{description} Gäller {place}, {street}."
        title = description.split(".")[0][:80]
        is_deviation = kind == "deviation"
        anonymous = not is_deviation and rng.random() < 0.15
        filer = staff_for.get(unit_id) if is_deviation else None
        age = (today - day).days
        feedback_day = day + timedelta(days=rng.randint(1, 12))
        gave_feedback = (kind != "praise" and not anonymous and feedback_day <= today
                         and rng.random() < 0.85)  # fmt: skip
        closed = age > 45 and (gave_feedback or anonymous or kind == "praise")
        # Handlers close the rest with a reason instead of återkoppling (the closing rule);
        # a backlog of forgotten cases stays open, but only from the last year, as in a
        # förvaltning whose cases are followed up (Mina ärenden shows them as försenade).
        no_feedback_reason = None
        if age > 45 and not closed and (age > 365 or rng.random() < 0.9):
            closed, no_feedback_reason = True, rng.choice(NO_FEEDBACK_CODES)
        status = "avslutad" if closed else ("registrerad" if age < 5 else "under_utredning")
        closed_at = moment(day + timedelta(days=40), rng) if closed else None
        ia = is_deviation and rng.random() < 0.01
        case_row = (
            case_id, reference, kind, unit_id, day,
            "avvikelseblankett" if is_deviation else rng.choice(PUBLIC_CHANNELS), source,
            "Parkering vid entrén" if "annat" in categories else None, title, description,
            anonymous, not anonymous and kind != "praise",
            None if anonymous or is_deviation else "Testperson Syntetisk",
            None if anonymous or is_deviation else f"inlamnare{case_id}@{BENCH_DOMAIN}",
            None if kind == "praise" else f"{chr(65 + rng.randrange(26))}.",
            day if is_deviation else None, day + timedelta(days=1) if age > 2 else None,
            closed_at, day if ia else None, f"IA-{case_id}" if ia else None, no_feedback_reason,
            status,
            handler_id if age >= 2 else None, registered, filer or handler_id, registered,
            filer or handler_id, 1,
        )  # fmt: skip
        action_done = False
        link_rows.extend((case_id, code) for code in categories)
        search_rows.append((case_id, f"{title}\n{description}"))
        audit_rows.append((
            ids[AuditEntry], registered, filer or handler_id, None, "case", case_id, case_id,
            "case.registered", None,
            {"reference": reference, "kind_code": kind, "org_unit_id": unit_id,
             "received_on": day.isoformat(), "source_code": source, "status_code": "registrerad",
             "title": "(text)", "description": "(text)", "categories": sorted(categories)},
            None,
        ))  # fmt: skip
        ids[AuditEntry] += 1
        if gave_feedback:
            feedback_rows.append((
                ids[Feedback], case_id, feedback_day,
                "Medarbetaren som skrev avvikelsen" if is_deviation else "Inlämnaren",
                rng.choice(("telefon", "brev", "e_post", "mote")),
                "Vi har gått igenom det som hänt och berättat vad vi gör.",
                moment(feedback_day, rng), handler_id,
            ))  # fmt: skip
            ids[Feedback] += 1
        if kind in {"complaint", "deviation"} and rng.random() < 0.6:
            due = day + timedelta(days=rng.randint(7, 30))
            # Åtgärder get done (old ones almost always), and their effect is followed up
            # a month or two later (DESIGN: effektutvärdering), as the reminders ask for.
            done = due if due <= today and rng.random() < (0.99 if age > 120 else 0.8) else None
            evaluated = done + timedelta(days=rng.randint(30, 60)) if done else None
            if evaluated is not None and evaluated > today:
                evaluated = None
            action_done = done is not None
            action_rows.append((
                ids[Action], case_id, "Tas upp på arbetsplatsträff och rutinen gås igenom.",
                f"Handläggare {handler_id}", due, done, evaluated,
                rng.choice(EFFECT_CODES) if evaluated else None, registered, handler_id,
            ))  # fmt: skip
            ids[Action] += 1
        if is_deviation and rng.random() < 0.02:
            track = "lex_sarah" if rng.random() < 0.7 else "lex_maria"
            # Tracks older than three months have run their course: documented,
            # investigated, a ställningstagande (confirmed, not serious) and completed.
            done = age > 90
            escalation_rows.append((
                ids[Escalation], case_id, track, day, "Rapportör Syntetisk", registered,
                handler_id, True if done else None, False if done else None,
                False if done else None, day + timedelta(days=40) if done else None,
                ("missforhallande" if track == "lex_sarah" else "vardskada") if done else None,
            ))  # fmt: skip
            for step, after in TRACK_STEPS if done else ():
                step_rows.append((
                    ids[EscalationStep], ids[Escalation], step, day + timedelta(days=after),
                    "Syntetisk anteckning.", handler_id, moment(day + timedelta(days=after), rng),
                ))  # fmt: skip
                ids[EscalationStep] += 1
            ids[Escalation] += 1
        # The report's per-case facts, as the database triggers keep them (migration 0960).
        case_rows.append((*case_row, gave_feedback, action_done, ",".join(sorted(categories))))
    return [
        (Case.__table__, (
            "id", "reference", "kind_code", "org_unit_id", "received_on", "channel_code",
            "source_code", "category_other_note", "title", "description", "is_anonymous",
            "wants_feedback", "submitter_name", "submitter_email", "person_concerned",
            "occurred_on", "acknowledged_on", "closed_at", "ia_reported_on", "ia_reference",
            "no_feedback_reason", "status_code", "assigned_handler_id", "created_at",
            "created_by_id", "updated_at", "updated_by_id", "version", "has_feedback",
            "has_done_action", "category_codes"), case_rows),
        (case_category, ("case_id", "category_code"), link_rows),
        (CaseSearchDocument.__table__, ("case_id", "document"), search_rows),
        (AuditEntry.__table__, (
            "id", "occurred_at", "actor_id", "actor_label", "entity_type", "entity_id",
            "case_id", "action", "before", "after", "remote_addr"), audit_rows),
        (Feedback.__table__, (
            "id", "case_id", "given_on", "given_to", "method", "summary", "created_at",
            "created_by_id"), feedback_rows),
        (Action.__table__, (
            "id", "case_id", "description", "responsible", "due_on", "done_on",
            "effect_evaluated_on", "effect_verdict", "created_at", "created_by_id"), action_rows),
        (Escalation.__table__, (
            "id", "case_id", "track", "reported_on", "reporter_name", "created_at",
            "created_by_id", "is_confirmed", "is_risk", "is_serious", "completed_on",
            "assessment"),
         escalation_rows),
        (EscalationStep.__table__, (
            "id", "escalation_id", "step", "occurred_on", "text", "recorded_by_id",
            "recorded_at"), step_rows),
    ]  # fmt: skip


def _save_counters(counters: dict[tuple[str, int], int]) -> None:
    """Write the reference counters so that the next registration continues after us."""
    existing = {(c.prefix, c.year): c for c in db.session.scalars(sa.select(ReferenceCounter))}
    for (prefix, year), value in counters.items():
        counter = existing.get((prefix, year))
        if counter is None:
            db.session.add(ReferenceCounter(prefix=prefix, year=year, last_value=value))
        else:
            counter.last_value = max(counter.last_value, value)
    db.session.flush()


def _after_load(loader: _Loader) -> None:
    """Move the id sequences past the loaded rows (PostgreSQL) and refresh statistics."""
    if loader.dialect == "postgresql":
        by_table: dict[str, str] = defaultdict(str)
        for model in (Case, Feedback, Action, Escalation, EscalationStep, AuditEntry):
            by_table[model.__tablename__] = "id"
        for table in by_table:
            loader.connection.exec_driver_sql(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                f"(SELECT coalesce(max(id), 1) FROM {table}))"
            )
    loader.connection.exec_driver_sql("ANALYZE")


def vacuum_after_load() -> None:
    """After the load has committed: on PostgreSQL, VACUUM sets the visibility map, so the
    report's index-only scans stay index-only (what autovacuum does in time)."""
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM ANALYZE")
