#!/usr/bin/env python3
# Writes an Alembic project with N trivial revisions (one CREATE TABLE each, like the host's bench steps) on SQLite.
# SPDX-License-Identifier: Apache-2.0
"""Usage: alembic_project.py DIR REVISIONS SQLITE_FILE

Revision i creates the table peer_<i> with the same columns as bench/catalog/plugin.c's steps, so a full
`alembic upgrade head` does the same DDL as the host's full upgrade of the same number of steps.
"""
import os
import sys

directory, revisions, database = sys.argv[1], int(sys.argv[2]), sys.argv[3]
versions = os.path.join(directory, "versions")
os.makedirs(versions, exist_ok=True)
with open(os.path.join(directory, "alembic.ini"), "w") as ini:
    ini.write(f"[alembic]\nscript_location = {directory}\nsqlalchemy.url = sqlite:///{database}\n"
              "[loggers]\nkeys = root\n[handlers]\nkeys = null\n[formatters]\nkeys =\n"
              "[logger_root]\nlevel = WARN\nhandlers = null\n"
              "[handler_null]\nclass = NullHandler\nargs = ()\n")
with open(os.path.join(directory, "env.py"), "w") as env:
    env.write("""from alembic import context
from sqlalchemy import engine_from_config, pool

config = context.config
engine = engine_from_config(config.get_section(config.config_ini_section), prefix="sqlalchemy.",
                            poolclass=pool.NullPool)
with engine.connect() as connection:
    context.configure(connection=connection, target_metadata=None)
    with context.begin_transaction():
        context.run_migrations()
""")
with open(os.path.join(directory, "script.py.mako"), "w") as mako:
    mako.write("")
for i in range(1, revisions + 1):
    down = repr(f"r{i - 1:06d}") if i > 1 else "None"
    with open(os.path.join(versions, f"r{i:06d}.py"), "w") as revision:
        revision.write(f"""from alembic import op
revision = "r{i:06d}"
down_revision = {down}
branch_labels = None
depends_on = None


def upgrade():
    op.execute("CREATE TABLE peer_{i} (id INTEGER NOT NULL, name VARCHAR(64), created_at TIMESTAMP NULL, PRIMARY KEY (id))")


def downgrade():
    op.execute("DROP TABLE peer_{i}")
""")
