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

ProcessResult run_with(const TestDatabase& database, const std::vector<std::string>& plugin_dirs,
                       const std::vector<std::string>& arguments, std::map<std::string, std::string> environment) {
    return run_host(host_run_on(database.connection_string(), plugin_dirs, arguments, std::move(environment)));
}

const char* dialect_name(Backend backend) {
    switch (backend) {
        case Backend::mysql: return "mysql";
        case Backend::postgresql: return "postgresql";
        case Backend::sqlite: break;
    }
    return "sqlite";
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

std::optional<std::vector<std::string>> galera_cluster() {
    static std::optional<std::optional<std::vector<std::string>>> cache;
    if (cache) return *cache;
    // Idempotent, like test_server: when the CTest fixture started the cluster this only checks it.
    const auto started = run_process({TEST_SERVERS_SCRIPT, "start", "galera", state_dir()});
    std::optional<std::vector<std::string>> nodes;
    if (started.exit_code == 0) {
        std::ifstream file(state_dir() + "/galera.conn");
        std::vector<std::string> lines;
        for (std::string line; std::getline(file, line);) {
            if (!line.empty()) lines.push_back(line);
        }
        if (lines.size() == 3) nodes = lines;
    }
    if (!nodes) {
        const auto why = fmt::format("no Galera test cluster: test-servers start galera exited {}: {}",
                                     started.exit_code, started.err);
        if (running_in_ci()) FAIL(why);
        WARN(why + " -- test not run");
    }
    cache = nodes;
    return nodes;
}

void kill_galera_node(int node) {
    const auto killed = run_process({TEST_SERVERS_SCRIPT, "kill-node", "galera", state_dir(), std::to_string(node)});
    INFO(killed.all());
    REQUIRE(killed.exit_code == 0);
}

void start_galera_node(int node) {
    const auto started = run_process({TEST_SERVERS_SCRIPT, "start-node", "galera", state_dir(), std::to_string(node)});
    INFO(started.all());
    REQUIRE(started.exit_code == 0);
}

std::unique_ptr<TestDatabase> TestDatabase::create_on_galera() {
    const auto nodes = galera_cluster();
    if (!nodes) return nullptr;
    std::unique_ptr<TestDatabase> database(new TestDatabase());
    database->backend_ = Backend::mysql;
    database->server_connection_string_ = nodes->front();
    database->name_ = "mh_galera_" + unique_suffix();
    database->galera_ = true;
    connect(nodes->front() + ";DATABASE=mysql")->execute(fmt::format("CREATE DATABASE `{}`", database->name_));
    database->connection_string_ = nodes->front() + ";DATABASE=" + database->name_;
    // The other nodes apply the CREATE DATABASE a moment later: a host connecting there at once could miss it.
    for (const auto& node : *nodes) {
        const auto connection = connect(node + ";DATABASE=mysql");
        connection->execute("SET SESSION wsrep_sync_wait = 1");
        REQUIRE_FALSE(connection->query("SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?",
                                        {database->name_}).empty());
    }
    return database;
}

std::unique_ptr<TestDatabase> TestDatabase::through_galera_node(int node) const {
    const auto nodes = galera_cluster();
    REQUIRE(nodes);
    REQUIRE(node >= 1);
    REQUIRE(node <= 3);
    std::unique_ptr<TestDatabase> view(new TestDatabase());
    view->backend_ = Backend::mysql;
    view->owns_database_ = false;
    view->galera_ = true;
    view->name_ = name_;
    view->server_connection_string_ = (*nodes)[static_cast<std::size_t>(node - 1)];
    view->connection_string_ = view->server_connection_string_ + ";DATABASE=" + name_;
    return view;
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
    if (!owns_database_) return;
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

std::unique_ptr<migration_host::odbc::Connection> TestDatabase::open_connection() const {
    auto connection = connect(connection_string_);
    // Checks read what hosts on other nodes committed a moment ago.
    if (galera_) connection->execute("SET SESSION wsrep_sync_wait = 1");
    return connection;
}

const migration_host::odbc::Connection& TestDatabase::connection() const {
    if (!connection_) connection_ = open_connection();
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
    auto probe = open_connection();
    auto result = probe->try_execute("SELECT version FROM migrate_version WHERE 1 = 0");
    if (std::holds_alternative<migration_host::odbc::Diagnostic>(result)) return std::nullopt;
    const auto rows = query("SELECT version FROM migrate_version WHERE repository_id = ?", {track});
    if (rows.empty() || !rows.front().front()) return std::nullopt;
    return std::stoll(*rows.front().front());
}

}  // namespace test_support
