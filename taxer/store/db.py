"""Opening the ledger database: where it is, connecting, and migrating it to the current schema on open."""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError, SQLAlchemyError

from taxer.errors import DatabaseError

DEFAULT_DB = "taxer.db"
MIGRATIONS = Path(__file__).with_name("migrations")


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


def _alembic_config(connection) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


def open_engine(db: str | None = None, *, migrate: bool = True) -> Engine:
    """Connect to the ledger (creating a SQLite file if needed) and bring its schema up to date."""
    url = resolve_url(db)
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise DatabaseError(f"{url!r} is not a database path or URL ({exc}). Pass a file path such as "
                            "taxer.db or a URL such as postgresql+psycopg://user@127.0.0.1:5432/taxer.") from None
    if parsed.get_backend_name() == "sqlite" and parsed.database:
        folder = Path(parsed.database).parent
        if not folder.is_dir():
            raise DatabaseError(f"cannot create the ledger {parsed.database}: folder {folder} does not exist. "
                                "Create it or point --db / TAXER_DB elsewhere.")
    try:
        engine = create_engine(url)
    except (ArgumentError, ImportError, SQLAlchemyError) as exc:
        raise DatabaseError(f"cannot use database {display_url(url)}: {exc}") from None
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    if migrate:
        upgrade(engine)
    return engine


def current_revision(engine: Engine) -> str | None:
    with _connect(engine) as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str:
    return ScriptDirectory(str(MIGRATIONS)).get_current_head()


def upgrade(engine: Engine) -> bool:
    """Migrate the database to the newest schema; True if anything changed."""
    head = head_revision()
    current = current_revision(engine)
    if current == head:
        return False
    script = ScriptDirectory(str(MIGRATIONS))
    if current is not None and script.get_revision(current) is None:
        raise DatabaseError(f"the ledger {display_url(str(engine.url))} has schema revision {current}, which this "
                            "taxer does not know: it was written by a newer taxer. Upgrade taxer to open it.")
    try:
        with engine.begin() as conn:
            command.upgrade(_alembic_config(conn), "head")
    except OperationalError as exc:
        raise DatabaseError(f"cannot migrate the ledger {display_url(str(engine.url))}: {exc.orig}") from None
    return True


@contextmanager
def _connect(engine: Engine):
    try:
        conn = engine.connect()
    except OperationalError as exc:
        raise DatabaseError(f"cannot open the ledger {display_url(str(engine.url))}: {exc.orig}. Check --db / "
                            "TAXER_DB, that the server is running and that you may connect.") from None
    with conn:
        yield conn
