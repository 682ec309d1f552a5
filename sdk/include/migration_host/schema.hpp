// Header-only schema DSL after SQLAlchemy's Table/Column, whole: the dialects, identifier quoting, the model and its DDL rendering, one include for plugins.
// SPDX-License-Identifier: Apache-2.0
#pragma once

// Plain C++17, standard library only, so that any plugin can use it.
//
// Example (SQLAlchemy's `Table('t', meta, Column('id', Integer, primary_key=True), ...)`):
//
//     using namespace migration_host::schema;
//     Table volumes("volumes", {
//         Column("id", String(36)).primary_key(),
//         Column("size", Integer()),
//         Column("volume_type_id", Integer(), ForeignKey("volume_types.id")).nullable(false),
//     }, TableOptions{"InnoDB"});
//     std::string ddl = volumes.create_sql(Dialect::mysql);
//
// The parts, each usable alone:
// - dialect.hpp      Dialect, dialect_from_name, require_dialect, dialect_name;
// - identifiers.hpp  reserved words, name checks, quote_identifier;
// - types.hpp        Type and its factories (Integer(), String(n), ...), with MySQL's
//                    character set and collation;
// - model.hpp        ForeignKey, the constraints, Column, Index, TableOptions and Table,
//                    checked as they are built (it includes types.hpp);
// - render.hpp       every DDL statement for each dialect (migration_host::render), and
//                    the model's rendering members (create_sql, drop_sql, ...) and
//                    schema::foreign_key_sql and unique_sql, which write through it; the
//                    pieces of a definition (type, column, foreign key, UNIQUE) are
//                    render_column.hpp's, which it includes.
// operations.hpp runs render.hpp's statements through the host (sdk::Op).

#include <migration_host/dialect.hpp>
#include <migration_host/identifiers.hpp>
#include <migration_host/model.hpp>
#include <migration_host/render.hpp>
#include <migration_host/render_column.hpp>
#include <migration_host/types.hpp>
