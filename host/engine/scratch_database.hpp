// A throwaway database like the live one, on its own connection, always dropped: where verify builds its expectation.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "database/database.hpp"
#include "database/odbc.hpp"

namespace migration_host {

// SQLite: a new file in a private temporary directory, opened through the same connection string with its
// DATABASE attribute replaced (so the same driver and attributes, FKSupport included). MySQL/MariaDB: a database
// migration_host_verify_<random> with the live database's default character set and collation, created on a second
// connection with the same connection string and made its current database (needs the CREATE and DROP privileges).
// PostgreSQL: a schema migration_host_verify_<random> in the live database, created on a second connection whose
// search_path is set to it alone (needs CREATE on the database). The live database is never written.
class ScratchDatabase {
public:
    // Throws HostError: cannot_connect when the second connection fails, step_failed when the scratch cannot be
    // created (naming the privilege it needs).
    static std::unique_ptr<ScratchDatabase> create(const odbc::Environment& environment,
                                                   const std::string& connection_string, const DatabaseInfo& live,
                                                   std::uint32_t login_timeout_seconds,
                                                   const odbc::StatementTimeout& statement_timeout);
    ScratchDatabase(const ScratchDatabase&) = delete;
    ScratchDatabase& operator=(const ScratchDatabase&) = delete;
    // Drops the scratch; a failure to drop is logged as a warning naming what is left behind, never thrown.
    ~ScratchDatabase();

    odbc::Connection& connection() const noexcept { return *connection_; }
    const DatabaseInfo& database() const noexcept { return database_; }
    // e.g. "scratch database migration_host_verify_1a2b3c4d", "temporary SQLite file /tmp/.../expected.sqlite"
    const std::string& description() const noexcept { return description_; }
    // What is left behind when the process ends before the destructor runs (a crash inside a plugin step).
    std::string left_behind() const;

private:
    ScratchDatabase() = default;
    void drop() noexcept;

    std::unique_ptr<odbc::Connection> connection_;
    DatabaseInfo database_;
    std::string dialect_;
    std::string name_;       // the scratch database or schema (servers)
    std::string directory_;  // SQLite: the temporary directory holding the file
    std::string description_;
};

// `connection_string` with its DATABASE attribute (any case) replaced by `database`, every other attribute kept.
std::string with_database_attribute(const std::string& connection_string, const std::string& database);

}  // namespace migration_host
