#!/usr/bin/env python3
# Writes the SQL that creates N tables with keys and indexes, for the schema readers to read at scale.
# SPDX-License-Identifier: Apache-2.0
"""Usage: schema_tables.py mysql|postgresql PREFIX COUNT [SCHEMA]

Table PREFIX_<i> has an AUTO_INCREMENT/SERIAL primary key, a UNIQUE constraint, a two-column index, a default
with a quote, a decimal and a foreign key to PREFIX_<i-1> (the first one to itself): what inspect reads of a real
schema, for every kind it reads. SCHEMA (PostgreSQL only) creates the schema and the tables in it.
"""
import sys

dialect, prefix, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
schema = sys.argv[4] if len(sys.argv) > 4 else None
if dialect not in ("mysql", "postgresql"):
    sys.exit(f"schema_tables.py: unknown dialect '{dialect}'")
qualified = ""
if schema:
    print(f"CREATE SCHEMA {schema};")
    qualified = schema + "."
if dialect == "postgresql":
    print("BEGIN;")  # one transaction: thousands of CREATEs commit once
for i in range(count):
    name = f"{prefix}_{i}"
    parent = f"{prefix}_{max(i - 1, 0)}"
    key = "id INTEGER NOT NULL AUTO_INCREMENT" if dialect == "mysql" else "id SERIAL"
    # MySQL takes the index in CREATE TABLE, and each DDL statement there costs tens of milliseconds.
    index = f"INDEX ix_{name}_created (created_at, amount), " if dialect == "mysql" else ""
    print(f"CREATE TABLE {qualified}{name} ({key}, parent_id INTEGER, code VARCHAR(32) NOT NULL, "
          f"amount DECIMAL(10,2) NOT NULL DEFAULT 0, note VARCHAR(255) DEFAULT 'it''s', created_at TIMESTAMP NULL, "
          f"PRIMARY KEY (id), CONSTRAINT uq_{name}_code UNIQUE (code), {index}"
          f"CONSTRAINT fk_{name}_parent FOREIGN KEY (parent_id) REFERENCES {qualified}{parent} (id));")
    if dialect == "postgresql":
        print(f"CREATE INDEX ix_{name}_created ON {qualified}{name} (created_at, amount);")
if dialect == "postgresql":
    print("COMMIT;")
