// Computes, as data, the SQL script an upgrade or downgrade would run: the host's tables, then each step's statements.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "database/database.hpp"
#include "engine/history.hpp"
#include "engine/planner.hpp"

namespace migration_host {


// What sets a command-line client's session to read a script as the run's connection reads statements: its
// character set, UTF-8 (mariadb talks latin1 in a C locale, psql the locale's or PGCLIENTENCODING's encoding, and
// either would store 'é' as 'Ã©'). None for SQLite, whose client passes bytes as they are.
std::vector<std::string> session_statements(const Dialect& dialect);

// `value` as a literal that `dialect` and its command-line client read back as exactly that text whatever the
// session's settings: NULL for nullopt; 'text' with quotes doubled, every other byte as it is; on MySQL a text
// holding a backslash as _utf8mb4 X'hex' (a backslash escapes in MySQL's strings unless NO_BACKSLASH_ESCAPES), on
// PostgreSQL as E'...' (the same, by standard_conforming_strings); on SQLite a text that is not valid UTF-8 as
// CAST(X'hex' AS TEXT), so that the script's JSON form, which holds only UTF-8, carries it too; on MySQL and SQLite
// a text holding CR LF in hex as well (their clients read a line's CR LF end as LF).
std::string sql_literal_for(const Dialect& dialect, const std::optional<std::string>& value);

// A piece of SQL text as the dialect's server and command-line client read it: quoted text (strings, quoted names,
// SQLite's [names], PostgreSQL's E'...' and $tag$ quotes), comments (-- and /* */, nested on PostgreSQL; MySQL's #,
// and -- only before a blank), and the code between them.
struct SqlPiece {
    enum class Kind { code, quoted, line_comment, block_comment };
    Kind kind = Kind::code;
    std::string_view text;
    bool closed = true;  // false for quoted text or a block comment that the end of the text cuts off
};
std::vector<SqlPiece> sql_pieces(std::string_view sql, const Dialect& dialect);

// `sql` with its `?` markers replaced, in order, by `fragments` (SQL text, e.g. literals). Markers inside string
// literals, quoted identifiers and comments are not markers. nullopt when the count of markers is not the count of
// fragments.
std::optional<std::string> replace_markers(std::string_view sql, const Dialect& dialect,
                                           const std::vector<std::string>& fragments);

// `statement` as a script gives it to the dialect's command-line client, written as it is and terminated: by `;`,
// on a line of its own after a statement that ends in a line comment (which would take it in); on MySQL a
// statement that holds a `;` of its own (a trigger's or a procedure's body) between DELIMITER lines, with a
// delimiter that does not occur in it, which is how the mariadb client takes such a statement whole. sqlite3 and
// psql find the end of their compound statements (CREATE TRIGGER ... END, $$ bodies) themselves.
std::string script_statement(std::string_view statement, const Dialect& dialect);

struct ScriptStep {
    Step step;
    // Whether the statements are the step's: false when it cannot be rendered offline, and for every step after
    // such a step, whose statements would run on a schema the script did not bring to where they start.
    bool rendered = false;
    bool needs_connection = false;  // this step runs only with a live connection (it queries the database)
    // The step fails by itself, as it would in the run: it threw or returned a failure without asking for a
    // query, or its text cannot reach the database as it is (not valid UTF-8 on MySQL or PostgreSQL).
    bool fails = false;
    std::string reason;             // why it is not rendered
    // Each statement without its terminator, the version and history bookkeeping around the step's own included.
    std::vector<std::string> statements;
};

struct SqlScript {
    Direction direction = Direction::upgrade;
    Dialect dialect;
    std::string database_name;          // what statements about the current database name; "" for whichever it runs on
    // Who its history rows name: on SQLite, which has no user, whoever rendered it; none: the database's session
    // user and the client's host, when the script runs (MySQL's USER(), PostgreSQL's session_user).
    std::optional<RunBy> rows_name;
    VersionMap from;                    // every involved track's version the script starts from
    std::vector<std::string> session;   // session_statements, before anything else
    std::vector<std::string> preamble;  // the host's tables, where they do not exist yet
    std::vector<ScriptStep> steps;

    // Whether every step is rendered: only then does running the script reach the target.
    bool complete() const;
};

// What the script starts from.
struct ScriptStart {
    DatabaseInfo database;      // dialect and DBMS name; nothing else reaches the steps
    std::string database_name;  // the name the steps see (sql --database), "" for none
    RunBy rendered_by;          // who renders the script: SQLite's history rows name them
    VersionMap stored;          // the migrate_version rows there are; a track without one gets its INSERT
    bool version_table_exists = false;
    bool history_table_exists = false;
};

// Renders `steps` offline, in order, as the run would execute them: a track's migrate_version row where it has
// none, each step (in a transaction where DDL is transactional) with its version update and its history row.
SqlScript render_sql_script(const Catalog& catalog, const std::vector<Step>& steps, Direction direction,
                            const ScriptStart& start);

}  // namespace migration_host
