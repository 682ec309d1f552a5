// The kind of database behind a connection, chosen once, and what the host does differently on each kind.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <migration_host/dialect.hpp>
#include <fmt/format.h>

#include <optional>
#include <string>
#include <string_view>

namespace migration_host {

// One of the SDK's dialects (schema::Dialect: SQLite, MySQL/MariaDB, PostgreSQL), or another DBMS reached through
// ODBC, which the host serves with its portable means only (a leased lock row, probing for tables, no scripts).
// Compared with the SDK's enum (`database.dialect == schema::Dialect::mysql`), never with a name.
class Dialect {
public:
    // From the DBMS name the driver reports: "MariaDB" and "MySQL" are mysql, "SQLite" sqlite, "PostgreSQL"
    // postgresql; anything else is another DBMS, named by its lower-cased name.
    static Dialect for_dbms(std::string_view dbms_name);
    // "sqlite", "mysql" or "postgresql"; nullopt for any other name (sql --dialect).
    static std::optional<Dialect> named(std::string_view name);

    // Not yet known: no DBMS described (a DatabaseInfo before describe_database).
    Dialect() = default;
    Dialect(schema::Dialect known);  // NOLINT(google-explicit-constructor): a known dialect is a Dialect

    // The SDK's dialect; nullopt for another DBMS.
    std::optional<schema::Dialect> known() const noexcept { return known_; }
    // "sqlite", "mysql", "postgresql", or another DBMS's lower-cased name: for people and JSON, never for decisions.
    const std::string& name() const noexcept { return name_; }

    friend bool operator==(const Dialect& dialect, schema::Dialect known) noexcept { return dialect.known_ == known; }
    friend bool operator!=(const Dialect& dialect, schema::Dialect known) noexcept { return !(dialect == known); }
    friend bool operator==(const Dialect& a, const Dialect& b) noexcept { return a.name_ == b.name_; }

    // --- what differs by kind ---

    // DDL commits with the transaction it runs in (SQLite, PostgreSQL): a step, its version update and its history
    // row commit together. Elsewhere each DDL statement commits implicitly, and a failed step can leave a track dirty.
    bool transactional_ddl() const noexcept;
    // The lock a run takes where the database has one of its own; `lease` (a leased row in a table of the host's)
    // for every other DBMS.
    enum class RunLockKind { file_lock, named_lock, advisory_lock, lease };
    RunLockKind run_lock() const noexcept;
    // The offline script (sql) can be rendered for it: one of the SDK's dialects.
    bool renders_scripts() const noexcept { return known_.has_value(); }
    // The query that finds a table of the current database (or schema) by name, one `?`; nullopt where the host
    // probes instead (another DBMS).
    std::optional<std::string> table_exists_query() const;
    // `identifier` quoted as the dialect quotes it (the SDK's quote_identifier; ANSI double quotes elsewhere).
    std::string quote(std::string_view identifier) const;
    // The SDK dialect the host renders its own tables for: this one; for another DBMS SQLite's, which writes their
    // types (INTEGER, BIGINT, VARCHAR(n), TEXT) as plain SQL, quotes as quote() does and adds no table options.
    schema::Dialect own_tables_spelling() const noexcept { return known_.value_or(schema::Dialect::sqlite); }

private:
    Dialect(std::optional<schema::Dialect> known, std::string name) : known_(known), name_(std::move(name)) {}

    std::optional<schema::Dialect> known_;
    std::string name_;
};

}  // namespace migration_host

// Formats as its name ("mysql"), for messages.
template <>
struct fmt::formatter<migration_host::Dialect> : fmt::formatter<std::string_view> {
    template <typename Context>
    auto format(const migration_host::Dialect& dialect, Context& context) const {
        return fmt::formatter<std::string_view>::format(dialect.name(), context);
    }
};
