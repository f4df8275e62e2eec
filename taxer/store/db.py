"""Opening the ledger database: where it is, connecting, and migrating it to the current schema on open.

Alembic is imported only when the schema needs an upgrade: every command opens the ledger, and importing
Alembic (with Mako and Pygments) cost each one 0.1-0.4 s though the schema is nearly always current (issue 17).
The revision is read with one query and the head from the migration files themselves.
"""

from __future__ import annotations

import os
import re
import time
from contextlib import contextmanager
from functools import cache
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError, SQLAlchemyError

from taxer.errors import DatabaseError, NotFoundError

DEFAULT_DB = "taxer.db"
MIGRATIONS = Path(__file__).with_name("migrations")
# Seconds a SQLite connection waits for another writer (a second import or sync) before "database is locked".
BUSY_TIMEOUT = 30.0


def where_from(db: str | None) -> str:
    """How the ledger was chosen, for messages: --db, TAXER_DB or the default."""
    if db:
        return "--db"
    return "TAXER_DB" if os.environ.get("TAXER_DB") else f"the default ({DEFAULT_DB} in the current folder)"


def resolve_url(db: str | None = None) -> str:
    """The SQLAlchemy URL for `--db`, else `TAXER_DB`, else `taxer.db` in the current directory."""
    value = db or os.environ.get("TAXER_DB") or DEFAULT_DB
    if "://" not in value:
        return f"sqlite:///{Path(value).expanduser().resolve()}"
    if value.startswith("postgresql://") or value.startswith("postgres://"):
        # SQLAlchemy's default PostgreSQL driver is psycopg2; taxer ships psycopg 3.
        value = "postgresql+psycopg://" + value.split("://", 1)[1]
    return value


def display_url(url: str) -> str:
    """The URL with any password hidden, safe to print."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparseable database URL>"


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA cache_size=-131072")  # 128 MiB: bulk imports touch several indexes at random keys
    cur.close()


def _alembic_config(connection):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


def open_engine(db: str | None = None, *, migrate: bool = True, create: bool = True,
                snapshot: bool = True) -> Engine:
    """Connect to the ledger (creating a SQLite file if needed) and bring its schema up to date.

    With `create=False` (read-only commands) a ledger that does not exist yet is NotFoundError saying where
    taxer looked, and nothing is created. A new SQLite ledger gets its schema from the snapshot of the
    migrations (taxer.store.snapshot) unless `snapshot=False`."""
    url = resolve_url(db)
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise DatabaseError(f"{url!r} is not a database path or URL ({exc}). Pass a file path such as "
                            "taxer.db or a URL such as postgresql+psycopg://user@127.0.0.1:5432/taxer.") from None
    sqlite_file = parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:")
    if sqlite_file and not create and not Path(parsed.database).exists():
        folder = Path(parsed.database).parent
        missing = "" if folder.is_dir() else f"; the folder {folder} does not exist"
        raise _no_ledger(parsed.database + missing, db)
    if sqlite_file:
        folder = Path(parsed.database).parent
        if not folder.is_dir():
            raise DatabaseError(f"cannot create the ledger {parsed.database}: folder {folder} does not exist. "
                                "Create it or point --db / TAXER_DB elsewhere.")
    options = {"connect_args": {"timeout": BUSY_TIMEOUT}} if parsed.get_backend_name() == "sqlite" else {}
    try:
        engine = create_engine(url, **options)
    except (ArgumentError, ImportError, SQLAlchemyError, TypeError) as exc:
        raise DatabaseError(f"cannot use database {display_url(url)}: {exc}") from None
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    if not create and current_revision(engine) is None:
        engine.dispose()
        raise _no_ledger(parsed.database if sqlite_file else display_url(url), db)
    if migrate:
        upgrade(engine, snapshot=snapshot)
    return engine


def _no_ledger(url: str, db: str | None) -> NotFoundError:
    return NotFoundError(f"there is no ledger at {url} (taxer looked there because of {where_from(db)}); nothing "
                         "was created. Import "
                         "into it first (`taxer import csv FILE --account NAME` or `taxer sync` create it), or point "
                         "--db / TAXER_DB at your ledger.")


VERSION_TABLE = "alembic_version"  # Alembic's own: one row, the revision the schema is at


def current_revision(engine: Engine) -> str | None:
    """The schema revision the ledger is at (None: not a taxer ledger yet), read as Alembic stores it."""
    with _connect(engine) as conn:
        if not engine.dialect.has_table(conn, VERSION_TABLE):
            return None
        return conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar()


_REVISION = re.compile(r"^(down_revision|revision)\b[^=\n]*=\s*['\"]([^'\"]*)['\"]", re.MULTILINE)


@cache
def head_revision() -> str:
    """The newest migration's revision, read from the files of migrations/versions (Alembic's ScriptDirectory
    when they do not make one plain line of revisions)."""
    revisions, parents = set(), set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        found = dict(_REVISION.findall(path.read_text()))
        if "revision" in found:
            revisions.add(found["revision"])
            parents.add(found.get("down_revision"))
    heads = revisions - parents
    if len(heads) == 1:
        return heads.pop()
    from alembic.script import ScriptDirectory

    return ScriptDirectory(str(MIGRATIONS)).get_current_head()


MIGRATE_ATTEMPTS = 5


def upgrade(engine: Engine, *, snapshot: bool = True) -> bool:
    """Migrate the database to the newest schema; True if anything changed. A new, empty SQLite ledger is
    made from the schema snapshot instead (taxer.store.snapshot), unless `snapshot=False`."""
    head = head_revision()
    current = current_revision(engine)
    if current == head:
        return False
    if current is None and snapshot and engine.dialect.name == "sqlite":
        import sqlite3

        from taxer.store import snapshot as schema

        try:
            if schema.create(engine, head):
                return True
        except sqlite3.Error:
            pass  # locked past the busy timeout, say: the migrations below retry and explain
        if current_revision(engine) == head:
            return False  # another first command made it meanwhile
    from alembic import command
    from alembic.script import ScriptDirectory

    script = ScriptDirectory(str(MIGRATIONS))
    if current is not None and script.get_revision(current) is None:
        raise DatabaseError(f"the ledger {display_url(str(engine.url))} has schema revision {current}, which this "
                            "taxer does not know: it was written by a newer taxer. Upgrade taxer to open it.")
    for attempt in range(MIGRATE_ATTEMPTS):
        try:
            with engine.begin() as conn:
                command.upgrade(_alembic_config(conn), "head")
            return True
        except SQLAlchemyError as exc:
            # Two first commands on a new ledger (two imports started together) both migrate it: the slower one
            # finds the other's tables. When the ledger is (or becomes) current, the other one did the work.
            time.sleep(0.2 * (attempt + 1))
            if current_revision(engine) == head:
                return False
            if attempt == MIGRATE_ATTEMPTS - 1:
                raise DatabaseError(f"cannot migrate the ledger {display_url(str(engine.url))}: {_reason(exc)}. "
                                    f"{_advice(exc)}") from None
    return True


def _reason(exc: SQLAlchemyError) -> str:
    return str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]


def _advice(exc: SQLAlchemyError) -> str:
    reason = _reason(exc).lower()
    if "not a database" in reason or "malformed" in reason or "encrypted" in reason:
        return ("The file is not a taxer ledger (an SQLite database); check --db / TAXER_DB, which should name your "
                "ledger file such as taxer.db, or a new path for a new ledger.")
    if "locked" in reason or "busy" in reason:
        return ("Another taxer (an import or sync) is writing to it: wait until it finishes and run the command "
                "again; nothing was changed.")
    return "Check --db / TAXER_DB, that the server is running and that you may connect."


@contextmanager
def _connect(engine: Engine):
    try:
        conn = engine.connect()
    except SQLAlchemyError as exc:
        raise DatabaseError(f"cannot open the ledger {display_url(str(engine.url))}: {_reason(exc)}. "
                            f"{_advice(exc)}") from None
    with conn:
        try:
            yield conn
        except SQLAlchemyError as exc:
            raise DatabaseError(f"cannot read the ledger {display_url(str(engine.url))}: {_reason(exc)}. "
                                f"{_advice(exc)}") from None


def is_busy(exc: BaseException) -> bool:
    """SQLite's "database is locked" (another connection holds the write lock past the busy timeout)."""
    return isinstance(exc, OperationalError) and "locked" in str(getattr(exc, "orig", exc)).lower()


def when_free(engine: Engine, work, what: str, attempts: int = 3):
    """`work()` (one whole database transaction), tried again while another writer holds the ledger; then
    DatabaseError saying so. Each attempt already waits BUSY_TIMEOUT seconds for the lock."""
    for attempt in range(attempts):
        try:
            return work()
        except OperationalError as exc:
            if not is_busy(exc):
                raise
            if attempt + 1 < attempts:
                time.sleep(0.2 * (attempt + 1))
    raise DatabaseError(f"the ledger {display_url(str(engine.url))} stayed busy: another taxer (an import or a sync) "
                        f"kept writing to it for over {attempts * BUSY_TIMEOUT:.0f} seconds. Wait until it finishes "
                        f"and run the command again; nothing of {what} was written.")


def database_error(exc: BaseException, db: str | None = None) -> DatabaseError | None:
    """A database driver's error (SQLAlchemy's family) as one paragraph naming the ledger and what to do; None for
    any other exception. The safety net under every command: what taxer foresees it raises as TaxerError itself."""
    if not isinstance(exc, SQLAlchemyError):
        return None
    return DatabaseError(f"the ledger {display_url(resolve_url(db))} failed: {_reason(exc)}. {_advice(exc)}")


def dialect_insert(conn, table):
    """An INSERT of `table` in the connection's dialect, for ON CONFLICT clauses (SQLite's or PostgreSQL's).

    The PostgreSQL dialect module is imported only when a PostgreSQL ledger uses it: it pulls in every PostgreSQL
    driver's dialect (~0.05 s), which a SQLite user's every command would otherwise pay at start-up.
    """
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(table)
