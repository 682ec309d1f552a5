#!/usr/bin/env python3
# Writes a Sqitch project with N trivial changes (one CREATE TABLE each, like the host's bench steps) on SQLite.
# SPDX-License-Identifier: Apache-2.0
"""Usage: sqitch_project.py DIR CHANGES SQLITE_FILE

Change i creates the table peer_<i> with the same columns as bench/catalog/plugin.c's steps, so a full
`sqitch deploy` does the same DDL as the host's full upgrade of the same number of steps. Sqitch keeps its
registry in sqitch.db beside SQLITE_FILE; both files are the database to reset.
"""
import os
import sys

directory, changes, database = sys.argv[1], int(sys.argv[2]), sys.argv[3]
for sub in ("deploy", "revert", "verify"):
    os.makedirs(os.path.join(directory, sub), exist_ok=True)
with open(os.path.join(directory, "sqitch.conf"), "w") as conf:
    conf.write(f"[core]\n\tengine = sqlite\n\ttop_dir = {directory}\n"
               f"[engine \"sqlite\"]\n\ttarget = db:sqlite:{database}\n\tclient = /usr/bin/sqlite3\n"
               "[user]\n\tname = Bench\n\temail = bench@example.org\n")
with open(os.path.join(directory, "sqitch.plan"), "w") as plan:
    plan.write("%syntax-version=1.0.0\n%project=bench\n\n")
    for i in range(1, changes + 1):
        plan.write(f"peer_{i} 2026-01-01T00:00:00Z Bench <bench@example.org> # change {i}\n")
for i in range(1, changes + 1):
    with open(os.path.join(directory, "deploy", f"peer_{i}.sql"), "w") as deploy:
        deploy.write(f"CREATE TABLE peer_{i} (id INTEGER NOT NULL, name VARCHAR(64), created_at TIMESTAMP NULL, "
                     "PRIMARY KEY (id));\n")
    with open(os.path.join(directory, "revert", f"peer_{i}.sql"), "w") as revert:
        revert.write(f"DROP TABLE peer_{i};\n")
