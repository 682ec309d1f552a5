// verify's scratch: built outside the live database, the one --scratch-dsn names, and never left behind.
// SPDX-License-Identifier: Apache-2.0
#include <fmt/format.h>
#include <catch2/catch.hpp>

#include <csignal>
#include <filesystem>
#include <optional>
#include <regex>
#include <set>
#include <thread>

#include "engine/scratch_database.hpp"
#include "host_process.hpp"
#include "test_database.hpp"

#ifndef TEST_PLUGIN_ROOT
#error "TEST_PLUGIN_ROOT must be defined by the build"
#endif

using namespace test_support;
namespace fs = std::filesystem;

namespace {

ProcessResult run_with(const TestDatabase& database, const std::string& plugin,
                       const std::vector<std::string>& arguments, std::map<std::string, std::string> environment = {}) {
    return run_host(
        host_run_on(database.connection_string(), {TEST_PLUGIN_ROOT "/" + plugin}, arguments, std::move(environment)));
}

std::string count_of(const TestDatabase& database, const std::string& table) {
    return database.scalar("SELECT COUNT(*) FROM " + table).value_or("(none)");
}

// The scratches of this host's naming on the test server (databases), or in `temporary_directory` (SQLite).
std::set<std::string> scratches(const TestDatabase& database, const std::string& temporary_directory) {
    std::set<std::string> names;
    if (database.backend() == Backend::sqlite) {
        for (const auto& entry : fs::directory_iterator(temporary_directory)) {
            if (entry.path().filename().string().rfind("migration-host-verify-", 0) == 0) {
                names.insert(entry.path().string());
            }
        }
        return names;
    }
    const std::string sql = database.backend() == Backend::mysql
                                ? "SELECT schema_name FROM information_schema.schemata WHERE schema_name LIKE "
                                  "'migration\\_host\\_verify\\_%'"
                                : "SELECT datname FROM pg_database WHERE datname LIKE 'migration\\_host\\_verify\\_%'";
    for (const auto& row : database.query(sql)) names.insert(row.at(0).value_or(""));
    return names;
}

// The scratch a verify run names in its log (--log-level debug): a database, or a SQLite file's directory.
std::string scratch_named(const TestDatabase& database, const std::string& log) {
    std::smatch found;
    if (database.backend() == Backend::sqlite) {
        REQUIRE(std::regex_search(log, found, std::regex("temporary SQLite file (\\S+)/expected\\.sqlite")));
    } else {
        // Its own, which it builds in: it may first have removed another run's, which the log names too.
        REQUIRE(std::regex_search(log, found,
                                  std::regex("building the expected schema in the scratch database "
                                             "(migration_host_verify_[0-9a-f_]+)")));
    }
    return found[1].str();
}

// Polls `done` for up to a minute; false when it never held.
template <typename Predicate>
bool eventually(Predicate done) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (std::chrono::steady_clock::now() < deadline) {
        if (done()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
}

// A verify whose step (slow@1, applied to the database first) waits on the scratch: started, and returned once the
// step runs. `dsn` and `arguments` (global options) when verify runs as another user than the fixture's.
struct VerifyInStep {
    std::string directory = make_temp_dir("mh-verify-interrupt");
    std::string ready = directory + "/ready";
    std::string temporary = directory + "/tmp";  // TMPDIR: where a SQLite scratch goes
    BackgroundHost host;

    explicit VerifyInStep(const TestDatabase& database, const std::vector<std::string>& plugins = {"slow"},
                          const std::optional<std::string>& dsn = std::nullopt,
                          std::vector<std::string> arguments = {}) {
        fs::create_directory(temporary);
        std::vector<std::string> plugin_dirs;
        for (const auto& plugin : plugins) plugin_dirs.push_back(TEST_PLUGIN_ROOT "/" + plugin);
        REQUIRE(run_host(host_run_on(database.connection_string(), plugin_dirs, {"upgrade"})).exit_code == 0);
        arguments.insert(arguments.end(), {"--log-level", "debug", "verify"});
        host.start(host_run_on(dsn.value_or(database.connection_string()), plugin_dirs, arguments,
                               {{"MIGRATION_HOST_TEST_SLEEP_MS", "120000"},
                                {"MIGRATION_HOST_TEST_READY_FILE", ready},
                                {"TMPDIR", temporary}}));
        REQUIRE(wait_for_file(ready, host, std::chrono::seconds(60)));
    }
    ~VerifyInStep() {
        std::error_code ignored;
        fs::remove_all(directory, ignored);
    }
};

// SIGINT or SIGTERM while a step runs on the scratch: the scratch is removed, exit 128 + the signal, one error line.
void check_interrupt_removes_scratch(const TestDatabase& database, int signal) {
    VerifyInStep verify(database);
    const auto during = scratches(database, verify.temporary);
    verify.host.kill(signal);
    const auto result = verify.host.wait();
    INFO(result.all());
    CHECK(result.exit_code == 128 + signal);
    const std::string scratch = scratch_named(database, result.err);
    CHECK(during.count(scratch) == 1);
    CHECK(scratches(database, verify.temporary).count(scratch) == 0);
    const auto errors = error_lines(result.err);
    REQUIRE(errors.size() == 1);
    CHECK(errors.front().find(fmt::format("verify interrupted by {}", signal == SIGINT ? "SIGINT" : "SIGTERM")) !=
          std::string::npos);
    CHECK(errors.front().find("removed") != std::string::npos);
}

// SIGKILL leaves the scratch; the next verify removes it once its creator is provably gone, and says so.
void check_next_verify_removes_killed_scratch(const TestDatabase& database) {
    VerifyInStep verify(database);
    verify.host.kill(SIGKILL);
    const auto killed = verify.host.wait();
    const std::string scratch = scratch_named(database, killed.err);
    REQUIRE(scratches(database, verify.temporary).count(scratch) == 1);
    // The server ends the killed host's sessions once it sees their sockets close: a moment later, not at once.
    if (database.backend() == Backend::postgresql) {
        std::smatch found;
        REQUIRE(std::regex_search(scratch, found, std::regex("^migration_host_verify_([0-9]+)_")));
        REQUIRE(eventually([&] {
            return database.scalar(
                       "SELECT COUNT(*) FROM pg_stat_activity WHERE pid = " + found[1].str() + " OR datname = ?",
                       {scratch}) == std::optional<std::string>("0");
        }));
    } else if (database.backend() == Backend::mysql) {
        REQUIRE(eventually([&] { return !database.scalar("SELECT IS_USED_LOCK(?)", {scratch}).has_value(); }));
    }
    const auto next = run_with(database, "slow", {"verify"}, {{"TMPDIR", verify.temporary}});
    INFO(next.all());
    CHECK(next.exit_code == 0);
    CHECK(next.err.find("removed the scratch") != std::string::npos);
    CHECK(next.err.find(database.backend() == Backend::sqlite ? fs::path(scratch).filename().string() : scratch) !=
          std::string::npos);
    CHECK(scratches(database, verify.temporary).count(scratch) == 0);
}

}  // namespace

TEST_CASE("sqlite: SIGINT or SIGTERM while verify runs a step removes its scratch, exit 130/143",
          "[sqlite][verify][scratch]") {
    for (const int signal : {SIGINT, SIGTERM}) {
        const auto database = TestDatabase::create(Backend::sqlite);
        check_interrupt_removes_scratch(*database, signal);
    }
}

TEST_CASE("mysql: SIGINT or SIGTERM while verify runs a step removes its scratch, exit 130/143",
          "[mysql][verify][scratch]") {
    for (const int signal : {SIGINT, SIGTERM}) {
        const auto database = TestDatabase::create(Backend::mysql);
        if (!database) return;
        check_interrupt_removes_scratch(*database, signal);
    }
}

TEST_CASE("postgresql: SIGINT or SIGTERM while verify runs a step removes its scratch, exit 130/143",
          "[postgresql][verify][scratch]") {
    for (const int signal : {SIGINT, SIGTERM}) {
        const auto database = TestDatabase::create(Backend::postgresql);
        if (!database) return;
        check_interrupt_removes_scratch(*database, signal);
    }
}

TEST_CASE("sqlite: the next verify removes the scratch of one killed with SIGKILL", "[sqlite][verify][scratch]") {
    const auto database = TestDatabase::create(Backend::sqlite);
    check_next_verify_removes_killed_scratch(*database);
}

TEST_CASE("mysql: the next verify removes the scratch of one killed with SIGKILL", "[mysql][verify][scratch]") {
    const auto database = TestDatabase::create(Backend::mysql);
    if (!database) return;
    check_next_verify_removes_killed_scratch(*database);
}

TEST_CASE("postgresql: the next verify removes the scratch of one killed with SIGKILL",
          "[postgresql][verify][scratch]") {
    const auto database = TestDatabase::create(Backend::postgresql);
    if (!database) return;
    check_next_verify_removes_killed_scratch(*database);
}

TEST_CASE("galera: a verify through another node leaves alone the scratch that one node's verify builds in",
          "[galera][mysql][verify][scratch]") {
    const auto database = TestDatabase::create_on_galera();
    if (!database) return;
    VerifyInStep building(*database);  // through node 1
    const auto during = scratches(*database, building.temporary);
    REQUIRE_FALSE(during.empty());
    // Node 2 sees the database node 1's verify created, but not the named lock node 1 holds for it.
    const auto node2 = database->through_galera_node(2);
    const auto other = run_with(*node2, "slow", {"verify"});
    INFO(other.all());
    CHECK(other.exit_code == 0);
    const auto after = scratches(*database, building.temporary);
    for (const auto& name : during) CHECK(after.count(name) == 1);
    building.host.kill(SIGINT);
    const auto interrupted = building.host.wait();
    INFO(interrupted.all());
    CHECK(interrupted.exit_code == 130);
    CHECK(scratches(*database, building.temporary).count(scratch_named(*database, interrupted.err)) == 0);
}

TEST_CASE("postgresql: verify writes no row into the live database through a schema-qualified name",
          "[postgresql][verify][scratch]") {
    const auto database = TestDatabase::create(Backend::postgresql);
    if (!database) return;
    REQUIRE(run_with(*database, "schema_qualified", {"upgrade"}).exit_code == 0);
    REQUIRE(count_of(*database, "public.audit") == "1");
    for (int run = 1; run <= 3; ++run) {
        const auto result = run_with(*database, "schema_qualified", {"verify"});
        INFO("verify #" << run << "\n" << result.all());
        CHECK(result.exit_code == 0);
        CHECK(count_of(*database, "public.audit") == "1");
    }
}

TEST_CASE("postgresql: verify fires none of the live database's event triggers", "[postgresql][verify][scratch]") {
    const auto database = TestDatabase::create(Backend::postgresql);
    if (!database) return;
    REQUIRE(run_with(*database, "reversible", {"upgrade"}).exit_code == 0);
    // In a schema of its own, so that verify (which reads the current schema) sees no extra table. The test
    // servers' admin user, the fixture's, is a superuser: CREATE EVENT TRIGGER needs one.
    database->execute("CREATE SCHEMA ddl_audit");
    database->execute("CREATE TABLE ddl_audit.log (tag TEXT)");
    database->execute(
        "CREATE FUNCTION ddl_audit.record() RETURNS event_trigger LANGUAGE plpgsql AS "
        "$$ BEGIN INSERT INTO ddl_audit.log VALUES (tg_tag); END $$");
    database->execute("CREATE EVENT TRIGGER record_ddl ON ddl_command_end EXECUTE FUNCTION ddl_audit.record()");
    const auto result = run_with(*database, "reversible", {"verify"});
    INFO(result.all());
    CHECK(result.exit_code == 0);
    CHECK(count_of(*database, "ddl_audit.log") == "0");
}

namespace {

// A user who may use the live database and one more that an admin gave it, and create no database: what
// --scratch-dsn is for. Dropped at the end, after the databases (declare it first).
struct LimitedUser {
    Backend backend;
    std::string admin;  // the server's admin connection string
    std::string name;
    std::string password = "Scratch-Secret-1";

    LimitedUser(Backend kind, const std::string& server, const std::string& suffix)
        : backend(kind), admin(server), name("mh_scratch_" + suffix) {
        if (backend == Backend::mysql) {
            admin_execute(fmt::format("CREATE USER '{}'@'%' IDENTIFIED BY '{}'", name, password));
        } else {
            admin_execute(fmt::format("CREATE ROLE {} LOGIN NOCREATEDB PASSWORD '{}'", name, password));
        }
    }
    ~LimitedUser() {
        static_cast<void>(admin_connection()->try_execute(
            backend == Backend::mysql ? fmt::format("DROP USER '{}'@'%'", name) : fmt::format("DROP ROLE {}", name)));
    }
    std::unique_ptr<migration_host::odbc::Connection> admin_connection(const std::string& database = "") const {
        const std::string in = !database.empty() ? database : backend == Backend::mysql ? "mysql" : "postgres";
        return std::make_unique<migration_host::odbc::Connection>(odbc_environment(), admin + ";DATABASE=" + in, 15);
    }
    void admin_execute(const std::string& sql, const std::string& database = "") const {
        admin_connection(database)->execute(sql);
    }
    // Everything in the live database for verify to read; the scratch database its own.
    void grant(const TestDatabase& live, const TestDatabase& scratch) const {
        if (backend == Backend::mysql) {
            admin_execute(fmt::format("GRANT ALL ON `{}`.* TO '{}'@'%'", live.name(), name));
            admin_execute(fmt::format("GRANT ALL ON `{}`.* TO '{}'@'%'", scratch.name(), name));
        } else {
            admin_execute(fmt::format("GRANT SELECT ON ALL TABLES IN SCHEMA public TO {}", name), live.name());
            admin_execute(fmt::format("ALTER DATABASE \"{}\" OWNER TO {}", scratch.name(), name));
        }
    }
    std::string connection_string(const TestDatabase& database) const {
        return std::regex_replace(
            std::regex_replace(database.connection_string(), std::regex("UID=[^;]*"), "UID=" + name),
            std::regex("PWD=[^;]*"), "PWD=" + password);
    }
};

std::size_t table_count(const TestDatabase& database) {
    const std::string sql = database.backend() == Backend::mysql
                                ? "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE()"
                                : "SELECT COUNT(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                                  "WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')";
    return std::stoul(database.scalar(sql).value_or("0"));
}

void check_named_scratch(Backend backend) {
    std::optional<LimitedUser> limited;  // dropped after both databases
    const auto live = TestDatabase::create(backend);
    if (!live) return;
    const auto scratch = TestDatabase::create(backend);
    REQUIRE(scratch);
    limited.emplace(backend, live->server_connection_string(), live->name().substr(live->name().size() - 6));
    const LimitedUser& user = *limited;
    REQUIRE(run_with(*live, "reversible", {"upgrade"}).exit_code == 0);
    user.grant(*live, *scratch);
    const std::string as_user = user.connection_string(*live);
    const std::string scratch_dsn = user.connection_string(*scratch);
    const auto verify = [&](std::vector<std::string> arguments, std::map<std::string, std::string> environment = {}) {
        arguments.emplace_back("verify");
        return run_host(host_run_on(as_user, {TEST_PLUGIN_ROOT "/reversible"}, arguments, std::move(environment)));
    };

    // Without it, the user cannot create the scratch: exit 1, naming the way out.
    const auto refused = verify({});
    INFO(refused.all());
    CHECK(refused.exit_code == 1);
    CHECK(refused.err.find("--scratch-dsn") != std::string::npos);

    // With it (the option, or its variable): clean, built in the database named, left as empty as it was.
    const auto named = verify({"--scratch-dsn", scratch_dsn});
    INFO(named.all());
    CHECK(named.exit_code == 0);
    CHECK(named.out.find(fmt::format("scratch database {} (--scratch-dsn)", scratch->name())) != std::string::npos);
    CHECK(named.out.find("No drift: the database has exactly the 2 tables") != std::string::npos);
    CHECK(named.all().find(user.password) == std::string::npos);
    CHECK(table_count(*scratch) == 0);
    const auto from_environment = verify({}, {{"MIGRATION_HOST_SCRATCH_DSN", scratch_dsn}});
    INFO(from_environment.all());
    CHECK(from_environment.exit_code == 0);
    CHECK(table_count(*scratch) == 0);

    // The live database itself: refused, exit 5, nothing written.
    const std::size_t live_tables = table_count(*live);
    const auto itself = verify({"--scratch-dsn", as_user});
    INFO(itself.all());
    CHECK(itself.exit_code == 5);
    REQUIRE(error_lines(itself.err).size() == 1);
    CHECK(error_lines(itself.err).front().find("is the database verify checks") != std::string::npos);
    CHECK(table_count(*live) == live_tables);

    // A scratch that holds a table: refused, exit 5 naming it, the table left alone.
    scratch->execute("CREATE TABLE keep_me (id INTEGER)");
    const auto not_empty = verify({"--scratch-dsn", scratch_dsn});
    INFO(not_empty.all());
    CHECK(not_empty.exit_code == 5);
    REQUIRE(error_lines(not_empty.err).size() == 1);
    CHECK(error_lines(not_empty.err).front().find(scratch->name()) != std::string::npos);
    CHECK(error_lines(not_empty.err).front().find("not empty") != std::string::npos);
    CHECK(table_count(*scratch) == 1);
}

// Interrupted while building in the named scratch: SIGINT empties it again; SIGKILL leaves it marked, and the
// next verify that names it empties it first.
void check_named_scratch_interrupted(Backend backend) {
    std::optional<LimitedUser> limited;  // dropped after both databases
    const auto live = TestDatabase::create(backend);
    if (!live) return;
    const auto scratch = TestDatabase::create(backend);
    REQUIRE(scratch);
    limited.emplace(backend, live->server_connection_string(), live->name().substr(live->name().size() - 6));
    const LimitedUser& user = *limited;
    const std::vector<std::string> plugins{"reversible", "slow"};
    REQUIRE(run_host(host_run_on(live->connection_string(), {TEST_PLUGIN_ROOT "/reversible", TEST_PLUGIN_ROOT "/slow"},
                                 {"upgrade"}))
                .exit_code == 0);
    user.grant(*live, *scratch);
    const std::vector<std::string> with_scratch{"--scratch-dsn", user.connection_string(*scratch)};

    {
        VerifyInStep verify(*live, plugins, user.connection_string(*live), with_scratch);
        CHECK(table_count(*scratch) > 0);
        verify.host.kill(SIGINT);
        const auto result = verify.host.wait();
        INFO(result.all());
        CHECK(result.exit_code == 130);
        REQUIRE(error_lines(result.err).size() == 1);
        CHECK(error_lines(result.err)
                  .front()
                  .find(fmt::format("removed all it built in the scratch database {} (--scratch-dsn)",
                                    scratch->name())) != std::string::npos);
        CHECK(table_count(*scratch) == 0);
    }
    {
        VerifyInStep verify(*live, plugins, user.connection_string(*live), with_scratch);
        verify.host.kill(SIGKILL);
        verify.host.wait();
    }
    CHECK(table_count(*scratch) > 0);
    // Its sessions end once the server sees their sockets close: a moment later, not at once.
    const std::string sessions =
        backend == Backend::mysql
            ? fmt::format("SELECT COUNT(*) FROM information_schema.processlist WHERE user = '{}'", user.name)
            : fmt::format("SELECT COUNT(*) FROM pg_stat_activity WHERE usename = '{}'", user.name);
    REQUIRE(eventually([&] { return scratch->scalar(sessions) == std::optional<std::string>("0"); }));
    const auto next =
        run_host(host_run_on(user.connection_string(*live), {TEST_PLUGIN_ROOT "/reversible", TEST_PLUGIN_ROOT "/slow"},
                             {"--scratch-dsn", user.connection_string(*scratch), "verify"}));
    INFO(next.all());
    CHECK(next.exit_code == 0);
    CHECK(next.err.find("holds what an interrupted verify built there; removing it") != std::string::npos);
    CHECK(table_count(*scratch) == 0);
}

}  // namespace

TEST_CASE("mysql: an interrupted verify empties the --scratch-dsn database, or the next one does after SIGKILL",
          "[mysql][verify][scratch]") {
    check_named_scratch_interrupted(Backend::mysql);
}

TEST_CASE("postgresql: an interrupted verify empties the --scratch-dsn database, or the next one does after SIGKILL",
          "[postgresql][verify][scratch]") {
    check_named_scratch_interrupted(Backend::postgresql);
}

TEST_CASE("mysql: --scratch-dsn builds in the empty database it names, never the live one or a non-empty one",
          "[mysql][verify][scratch]") {
    check_named_scratch(Backend::mysql);
}

TEST_CASE("postgresql: --scratch-dsn builds in the empty database it names, never the live one or a non-empty one",
          "[postgresql][verify][scratch]") {
    check_named_scratch(Backend::postgresql);
}

TEST_CASE("sqlite: --scratch-dsn is refused: the scratch is a temporary file of verify's own", "[sqlite][verify]") {
    const auto database = TestDatabase::create(Backend::sqlite);
    REQUIRE(run_with(*database, "reversible", {"upgrade"}).exit_code == 0);
    const auto result =
        run_with(*database, "reversible", {"--scratch-dsn", "DRIVER=SQLite3;DATABASE=/tmp/elsewhere.sqlite", "verify"});
    INFO(result.all());
    CHECK(result.exit_code == 2);
    REQUIRE(error_lines(result.err).size() == 1);
    CHECK(error_lines(result.err).front().find("TMPDIR") != std::string::npos);
    CHECK_FALSE(fs::exists("/tmp/elsewhere.sqlite"));
}
