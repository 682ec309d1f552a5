// Shared fixture: a fresh database per test on SQLite, or on the private MariaDB/PostgreSQL servers the suite starts.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "database/odbc.hpp"
#include "host_process.hpp"

namespace test_support {

enum class Backend { sqlite, mysql, postgresql };

// "mariadb" / "postgresql": the kind test-servers knows.
const char* server_kind(Backend backend);
// "sqlite", "mysql" or "postgresql": the host's name for the backend's dialect.
const char* dialect_name(Backend backend);

class TestDatabase {
public:
    // A new, empty database, dropped by the destructor. For MySQL,
    // `charset` is the database's default character set.
    // When the server cannot be had: FAIL under CI=true (a test that needs a
    // server never passes without one there), otherwise WARN and return null.
    static std::unique_ptr<TestDatabase> create(Backend backend, const std::string& charset = "utf8mb4");
    // A new, empty database on the private 3-node Galera cluster (galera_cluster()), created through node 1 and
    // reached through node 1; backend() is mysql. Null after WARN/FAIL as create().
    static std::unique_ptr<TestDatabase> create_on_galera();
    // The same Galera database reached through node `node` (1-3). It drops nothing: the database belongs to the
    // object it was made from, which must outlive it.
    std::unique_ptr<TestDatabase> through_galera_node(int node) const;
    ~TestDatabase();

    Backend backend() const noexcept { return backend_; }
    // What `--dsn` gets: a full ODBC connection string for this database.
    const std::string& connection_string() const noexcept { return connection_string_; }
    const std::string& name() const noexcept { return name_; }
    // The server's admin connection string without a database (servers only).
    const std::string& server_connection_string() const noexcept { return server_connection_string_; }

    // Runs a query on this fixture's connection to the database.
    std::vector<migration_host::odbc::Row> query(const std::string& sql,
                                                 const std::vector<migration_host::odbc::Parameter>& parameters = {}) const;
    void execute(const std::string& sql) const;
    // The first column of the first row; nullopt for no row or NULL.
    std::optional<std::string> scalar(const std::string& sql,
                                      const std::vector<migration_host::odbc::Parameter>& parameters = {}) const;

    // migrate_version.version for `track`, or nullopt when there is no row or no table.
    std::optional<long long> version_of(const std::string& track) const;
    // A connection of the test's own besides connection(), to hold a lock in a transaction that another session
    // (the host) then waits on.
    std::unique_ptr<migration_host::odbc::Connection> another_connection() const { return open_connection(); }

private:
    TestDatabase() = default;
    Backend backend_ = Backend::sqlite;
    std::string name_;
    std::string connection_string_;
    std::string server_connection_string_;
    std::string directory_;  // SQLite only
    bool owns_database_ = true;  // false for a view through another Galera node
    bool galera_ = false;        // reads wait for what other nodes committed (wsrep_sync_wait)
    std::unique_ptr<migration_host::odbc::Connection> open_connection() const;
    // One connection for the test's own queries (autocommit), opened on first use.
    mutable std::unique_ptr<migration_host::odbc::Connection> connection_;
    const migration_host::odbc::Connection& connection() const;
};

// Runs the real migration-host against `database` with `plugin_dirs`, and only those, on the plugin path
// (host_run_on), then `arguments`; `environment` as HostRun's.
ProcessResult run_with(const TestDatabase& database, const std::vector<std::string>& plugin_dirs,
                       const std::vector<std::string>& arguments, std::map<std::string, std::string> environment = {});

// The admin connection string of a running test server (starting it if
// needed), or nullopt after WARN/FAIL as TestDatabase::create does.
std::optional<std::string> test_server(Backend backend);

// The private 3-node MariaDB Galera cluster (test-servers start galera), started on first use (about 15-25 s) and
// then shared by the process, as test_server does: one admin connection string (no database) per node, node 1
// first; nullopt after WARN/FAIL as TestDatabase::create does.
std::optional<std::vector<std::string>> galera_cluster();

// SIGKILLs node `node` (1-3) of that cluster, as a machine would vanish; start_galera_node lets it rejoin and
// returns once it is synced. Both FAIL the test when they cannot.
void kill_galera_node(int node);
void start_galera_node(int node);

// A fresh temporary directory, removed at process exit is not promised: callers remove it.
std::string make_temp_dir(const std::string& prefix);

bool running_in_ci();

// One environment per test process is enough.
const migration_host::odbc::Environment& odbc_environment();

}  // namespace test_support
