// A throwaway database like the live one, outside it, on its own connection, always removed: where verify builds.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "database/database.hpp"
#include "database/odbc.hpp"

namespace migration_host {

struct ScratchSettings {
    std::string live_connection_string;
    // --scratch-dsn: an empty database of the live one's kind to build in, instead of one verify creates.
    std::optional<std::string> named_connection_string;
    std::uint32_t login_timeout_seconds = 15;
    odbc::StatementTimeout statement_timeout;
    // How long to wait for another verify that builds in the same named scratch.
    std::uint32_t lock_timeout_seconds = 60;
};

// Where the scratch is (the live database is never written):
// - SQLite: a new file in a private temporary directory migration-host-verify-<pid>-<start>-XXXXXX, opened through
//   the same connection string with its DATABASE attribute replaced (same driver and attributes, FKSupport too).
// - MySQL/MariaDB: a database migration_host_verify_<connection id>_<random> with the live database's default
//   character set and collation, created on a second connection (same connection string) that holds a named lock
//   of the same name while it lives, and made its current database.
// - PostgreSQL: a database migration_host_verify_<pid>_<backend start>_<random> created (CREATE DATABASE, the live
//   one's encoding and locale) on a second connection to the live database, whose backend pid and start it names,
//   and reached on a third with the same connection string but that DATABASE.
// - --scratch-dsn (MySQL/MariaDB and PostgreSQL): the database it names, which must be empty, must not be the live
//   one, and is emptied again of everything verify built (a table migration_host_verify_scratch marks it while in
//   use); verify runs that name the same one take turns through a lock on it.
// Before creating its own, a verify removes the scratches of this naming whose creator is provably gone (see
// remove_abandoned_scratches).
class ScratchDatabase {
public:
    // Throws HostError: cannot_connect when a connection fails; step_failed when the scratch cannot be created
    // (naming the privilege it needs, and --scratch-dsn); refused when the named scratch is the live database, is
    // not empty, or stays in use by another verify; usage for --scratch-dsn on SQLite.
    static std::unique_ptr<ScratchDatabase> create(const odbc::Environment& environment,
                                                   const odbc::Connection& live_connection, const DatabaseInfo& live,
                                                   const ScratchSettings& settings);
    ScratchDatabase(const ScratchDatabase&) = delete;
    ScratchDatabase& operator=(const ScratchDatabase&) = delete;
    // Removes the scratch; a failure is logged as a warning naming what is left behind, never thrown.
    ~ScratchDatabase();

    odbc::Connection& connection() const noexcept { return *connection_; }
    const DatabaseInfo& database() const noexcept { return database_; }
    // e.g. "scratch database migration_host_verify_12_1a2b3c4d", "temporary SQLite file /tmp/.../expected.sqlite",
    // "scratch database cinder_scratch (--scratch-dsn)"
    const std::string& description() const noexcept { return description_; }
    // What is left behind when the process ends before the destructor runs (a crash inside a plugin step).
    std::string left_behind() const;

    // Removes the scratch from another thread (on an interrupt) while the owner's thread may be inside a step on
    // connection(): on connections of its own, ending the step's server session first. One line saying what it
    // did. Afterwards the object only waits for its destructor, which then does nothing.
    std::string remove_from_elsewhere() noexcept;

private:
    enum class Kind { temporary_file, created_database, named_database };
    ScratchDatabase() = default;
    void create_temporary_file();
    void create_database(const DatabaseInfo& live);
    void open_named(const odbc::Connection& live_connection, const DatabaseInfo& live);
    void lock_named();
    void drop() noexcept;
    std::unique_ptr<odbc::Connection> connect(const std::string& connection_string, const std::string& what) const;

    const odbc::Environment* environment_ = nullptr;
    ScratchSettings settings_;
    Kind kind_ = Kind::temporary_file;
    Dialect dialect_;
    // PostgreSQL, a database verify creates: on the live connection string, to create and drop it (a database
    // cannot be dropped from a session in it); its backend pid and start are in the scratch's name.
    std::unique_ptr<odbc::Connection> server_connection_;
    std::unique_ptr<odbc::Connection> connection_;  // in the scratch: where the steps run
    std::string build_session_;                     // connection_'s session: CONNECTION_ID(), pg_backend_pid()
    DatabaseInfo database_;
    std::string name_;               // the scratch database (servers)
    std::string directory_;          // SQLite: the temporary directory holding the file
    std::vector<std::string> kept_;  // named PostgreSQL scratch: its schemas and extensions from before
    std::string description_;
    // Whether there is anything of this run's to remove: set once the directory or database exists, or once the
    // named scratch is marked. Never before: a named scratch refused (the live database, one not empty) is left as
    // it was found, and so is a database whose CREATE failed.
    bool owns_ = false;
    bool removed_ = false;
};

}  // namespace migration_host
