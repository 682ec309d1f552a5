// Shared fixture: a fresh database per test on SQLite, or on the private MariaDB/PostgreSQL servers the suite starts.
// SPDX-License-Identifier: Apache-2.0
#include "test_database.hpp"

#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>

#include "host_process.hpp"

#ifndef TEST_SERVERS_SCRIPT
#error "TEST_SERVERS_SCRIPT must be defined by the build"
#endif
#ifndef TEST_SERVERS_STATE_DIR
#error "TEST_SERVERS_STATE_DIR must be defined by the build"
#endif

namespace test_support {
namespace {

using migration_host::odbc::Connection;

std::string unique_suffix() {
    static std::atomic<int> counter{0};
    static const auto seed = std::random_device{}();
    return fmt::format("{}_{}_{}", getpid(), seed % 100000, counter++);
}

std::string state_dir() {
    const char* override_dir = std::getenv("MIGRATION_HOST_TEST_STATE_DIR");
    return override_dir && *override_dir ? override_dir : TEST_SERVERS_STATE_DIR;
}

std::unique_ptr<Connection> connect(const std::string& connection_string) {
    return std::make_unique<Connection>(odbc_environment(), connection_string, 15);
}

}  // namespace

bool running_in_ci() {
    const char* ci = std::getenv("CI");
    return ci != nullptr && std::string(ci) == "true";
}

const migration_host::odbc::Environment& odbc_environment() {
    static const migration_host::odbc::Environment environment;
    return environment;
}

const char* server_kind(Backend backend) {
    switch (backend) {
        case Backend::mysql: return "mariadb";
        case Backend::postgresql: return "postgresql";
        case Backend::sqlite: break;
    }
    return "sqlite";
}

std::string make_temp_dir(const std::string& prefix) {
    std::string pattern = (std::filesystem::temp_directory_path() / (prefix + "-XXXXXX")).string();
    if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed for " + pattern);
    return pattern;
}

std::optional<std::string> test_server(Backend backend) {
    static std::map<Backend, std::optional<std::string>> cache;
    if (const auto it = cache.find(backend); it != cache.end()) return it->second;
    const std::string kind = server_kind(backend);
    // Idempotent: when the CTest fixture already started the server this
    // only checks it; when a test binary runs alone it starts it.
    const auto started = run_process({TEST_SERVERS_SCRIPT, "start", kind, state_dir()});
    std::optional<std::string> connection_string;
    if (started.exit_code == 0) {
        std::ifstream file(state_dir() + "/" + kind + ".conn");
        std::string line;
        if (std::getline(file, line) && !line.empty()) connection_string = line;
    }
    if (!connection_string) {
        const auto why = fmt::format("no {} test server: test-servers start exited {}: {}", kind, started.exit_code,
                                     started.err);
        if (running_in_ci()) FAIL(why);
        WARN(why + " -- test not run");
    }
    cache[backend] = connection_string;
    return connection_string;
}

std::unique_ptr<TestDatabase> TestDatabase::create(Backend backend, const std::string& charset) {
    std::unique_ptr<TestDatabase> database(new TestDatabase());
    database->backend_ = backend;
    if (backend == Backend::sqlite) {
        database->directory_ = make_temp_dir("mh-sqlite");
        database->name_ = database->directory_ + "/test.sqlite";
        database->connection_string_ = "DRIVER=SQLite3;DATABASE=" + database->name_;
        // An empty database, as the servers' CREATE DATABASE gives: read-only commands refuse a missing file.
        std::ofstream(database->name_).close();
        return database;
    }
    const auto server = test_server(backend);
    if (!server) return nullptr;
    database->server_connection_string_ = *server;
    database->name_ = "mh_test_" + unique_suffix();
    if (backend == Backend::mysql) {
        connect(*server + ";DATABASE=mysql")
            ->execute(fmt::format("CREATE DATABASE `{}` CHARACTER SET {}", database->name_, charset));
    } else {
        connect(*server + ";DATABASE=postgres")->execute(fmt::format("CREATE DATABASE \"{}\"", database->name_));
    }
    database->connection_string_ = *server + ";DATABASE=" + database->name_;
    return database;
}

TestDatabase::~TestDatabase() {
    connection_.reset();
    // Cleanup must not throw from a destructor; a leftover test database in a
    // throwaway server is harmless, so failures here are only reported.
    if (backend_ == Backend::sqlite) {
        std::error_code ignored;
        std::filesystem::remove_all(directory_, ignored);
        return;
    }
    const std::string admin_database = backend_ == Backend::mysql ? "mysql" : "postgres";
    const std::string drop = backend_ == Backend::mysql ? fmt::format("DROP DATABASE `{}`", name_)
                                                        : fmt::format("DROP DATABASE \"{}\" WITH (FORCE)", name_);
    try {
        Connection admin(odbc_environment(), server_connection_string_ + ";DATABASE=" + admin_database, 15);
        const auto result = admin.try_execute(drop);
        if (const auto* error = std::get_if<migration_host::odbc::Diagnostic>(&result)) {
            WARN("could not drop test database " << name_ << ": " << error->to_string());
        }
    } catch (const migration_host::odbc::Error& error) {
        WARN("could not drop test database " << name_ << ": " << error.what());
    }
}

const migration_host::odbc::Connection& TestDatabase::connection() const {
    if (!connection_) connection_ = connect(connection_string_);
    return *connection_;
}

std::vector<migration_host::odbc::Row> TestDatabase::query(
    const std::string& sql, const std::vector<migration_host::odbc::Parameter>& parameters) const {
    return connection().query(sql, parameters);
}

void TestDatabase::execute(const std::string& sql) const {
    connection().execute(sql);
}

std::optional<std::string> TestDatabase::scalar(const std::string& sql,
                                                const std::vector<migration_host::odbc::Parameter>& parameters) const {
    const auto rows = query(sql, parameters);
    if (rows.empty() || rows.front().empty()) return std::nullopt;
    return rows.front().front();
}

std::optional<long long> TestDatabase::version_of(const std::string& track) const {
    // A probe on its own connection: on PostgreSQL a failed statement would
    // otherwise be the fixture connection's last error.
    auto probe = connect(connection_string_);
    auto result = probe->try_execute("SELECT version FROM migrate_version WHERE 1 = 0");
    if (std::holds_alternative<migration_host::odbc::Diagnostic>(result)) return std::nullopt;
    const auto rows = query("SELECT version FROM migrate_version WHERE repository_id = ?", {track});
    if (rows.empty() || !rows.front().front()) return std::nullopt;
    return std::stoll(*rows.front().front());
}

}  // namespace test_support
