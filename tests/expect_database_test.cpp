// Never the wrong database: every writing command names its database first, and --expect-database refuses another.
// SPDX-License-Identifier: Apache-2.0
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "host_process.hpp"
#include "test_database.hpp"

using namespace test_support;

namespace {

const std::vector<std::string> cinder{CINDER_PLUGIN_DIR, GRIZZLY_PLUGIN_DIR};

std::string first_line(const std::string& text) {
    return text.substr(0, text.find('\n'));
}

// The name status's Database line gives the database: "database NAME" on a server, the file for SQLite.
std::string named_in_database_line(const TestDatabase& db) {
    return db.backend() == Backend::sqlite ? db.name() : "database " + db.name();
}

void check_writing_commands_name_their_database(Backend backend) {
    const auto db = TestDatabase::create(backend);
    if (!db) return;
    const auto status = run_with(*db, cinder, {"status"});
    require_ok(status);
    const std::string database_line = first_line(status.out);
    REQUIRE(database_line.rfind("Database: ", 0) == 0);
    CHECK(contains(database_line, named_in_database_line(*db)));

    // Each writing command's first line is status's, printed before it changes anything.
    for (const std::vector<std::string>& command :
         {std::vector<std::string>{"upgrade", "cinder@2"}, {"downgrade", "cinder@1"}, {"stamp", "cinder@2"},
          {"upgrade"}, {"unlock"}}) {
        const auto result = run_with(*db, cinder, command);
        INFO(command.front() << ":\n" << result.all());
        require_ok(result);
        CHECK(first_line(result.out) == database_line);
    }
    // Even a run that is then refused has said where it was: repair of a track that is not dirty.
    const auto repair = run_with(*db, cinder, {"repair", "cinder@9"});
    INFO(repair.all());
    CHECK(repair.exit_code == 5);
    CHECK(first_line(repair.out) == database_line);
}

void check_expect_database(Backend backend) {
    const auto db = TestDatabase::create(backend);
    if (!db) return;
    const std::string expected = db->name();

    // Another name: refused (exit 5) before anything is created, for writing and reading commands alike.
    for (const std::vector<std::string>& command :
         {std::vector<std::string>{"upgrade"}, {"status"}, {"stamp", "cinder@1"}}) {
        std::vector<std::string> arguments = command;
        arguments.insert(arguments.end(), {"--expect-database", "production"});
        const auto refused = run_with(*db, cinder, arguments);
        INFO(command.front() << ":\n" << refused.all());
        CHECK(refused.exit_code == 5);
        check_one_line_error(refused, "not 'production' (--expect-database): nothing was read or written");
        CHECK(refused.out.empty());
        CHECK_FALSE(db->version_of("cinder"));
    }
    // The environment variable and a configuration file's key set it as the option does.
    const auto from_environment =
        run_with(*db, cinder, {"upgrade"}, {{"MIGRATION_HOST_EXPECT_DATABASE", "production"}});
    CHECK(from_environment.exit_code == 5);
    CHECK_FALSE(db->version_of("cinder"));

    // The right name: the run goes ahead.
    const auto upgraded = run_with(*db, cinder, {"upgrade", "--expect-database", expected});
    INFO(upgraded.all());
    require_ok(upgraded);
    CHECK(db->version_of("cinder") == 9);
}

}  // namespace

TEST_CASE("sqlite: every writing command first prints the Database line status prints", "[sqlite][expect_database]") {
    check_writing_commands_name_their_database(Backend::sqlite);
}

TEST_CASE("mysql: every writing command first prints the Database line status prints", "[mysql][expect_database]") {
    check_writing_commands_name_their_database(Backend::mysql);
}

TEST_CASE("postgresql: every writing command first prints the Database line status prints",
          "[postgresql][expect_database]") {
    check_writing_commands_name_their_database(Backend::postgresql);
}

TEST_CASE("sqlite: --expect-database refuses another file before the driver could create it",
          "[sqlite][expect_database]") {
    check_expect_database(Backend::sqlite);
}

TEST_CASE("mysql: --expect-database refuses another current database before anything is written",
          "[mysql][expect_database]") {
    check_expect_database(Backend::mysql);
}

TEST_CASE("postgresql: --expect-database refuses another database before anything is written",
          "[postgresql][expect_database]") {
    check_expect_database(Backend::postgresql);
}
