// Databases Cinder's own tool (sqlalchemy-migrate, 2013.1's scripts) left at cinder@N, taken over by migration-host.
// SPDX-License-Identifier: Apache-2.0
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <map>
#include <regex>
#include <string>
#include <vector>

#include "cinder_schema_check.hpp"
#include "grizzly_schema_check.hpp"
#include "cinder_scenarios.hpp"
#include "host_process.hpp"
#include "test_database.hpp"

#ifndef ORIGINAL_CINDER_RUNNER
#error "ORIGINAL_CINDER_RUNNER must be defined by the build"
#endif
#ifndef MIGRATION_HOST_SHARED_DIR
#error "MIGRATION_HOST_SHARED_DIR must be defined by the build"
#endif

using namespace test_support;

namespace {

constexpr int latest_version = 9;

// The original scripts are not in the project (licence): CI puts the shared folder beside the checkout. Without
// it these tests FAIL under CI=true and are skipped with a warning elsewhere.
bool have_shared_dir() {
    const std::filesystem::path shared = MIGRATION_HOST_SHARED_DIR;
    if (std::filesystem::is_regular_file(shared / "seed" / "000_73c35bfa1e29af8e.txt") &&
        std::filesystem::is_directory(shared / "upstream" / "cinder-2013.1")) {
        return true;
    }
    const std::string why = fmt::format(
        "{} does not hold seed/000_73c35bfa1e29af8e.txt and upstream/cinder-2013.1/ "
        "(Cinder's original migrations)",
        shared.string());
    if (running_in_ci()) FAIL(why);
    WARN(why + " -- test not run");
    return false;
}

std::string percent_encoded(const std::string& text) {
    std::string out;
    for (const unsigned char c : text) {
        if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
            out += static_cast<char>(c);
        } else {
            out += fmt::format("%{:02X}", c);
        }
    }
    return out;
}

// KEY=value pairs of an ODBC connection string (as the test servers write it: no ';' inside a value).
std::map<std::string, std::string> connection_attributes(const std::string& connection_string) {
    std::map<std::string, std::string> attributes;
    std::size_t start = 0;
    while (start < connection_string.size()) {
        auto end = connection_string.find(';', start);
        if (end == std::string::npos) end = connection_string.size();
        const std::string pair = connection_string.substr(start, end - start);
        if (const auto equals = pair.find('='); equals != std::string::npos) {
            attributes[pair.substr(0, equals)] = pair.substr(equals + 1);
        }
        start = end + 1;
    }
    return attributes;
}

// The same database as SQLAlchemy names it.
std::string sqlalchemy_url(const TestDatabase& database) {
    if (database.backend() == Backend::sqlite) return "sqlite:///" + database.name();
    auto server = connection_attributes(database.server_connection_string());
    return fmt::format("{}://{}:{}@{}:{}/{}",
                       database.backend() == Backend::mysql ? "mysql+pymysql" : "postgresql+psycopg2",
                       percent_encoded(server["UID"]), percent_encoded(server["PWD"]), server["SERVER"], server["PORT"],
                       database.name());
}

// Runs the original tool to cinder@`version`; false (after WARN) when its toolchain is missing outside CI.
bool run_original(const TestDatabase& database, int version) {
    // The URL holds the password: it goes in the environment, never on a command line.
    const auto result = run_process({ORIGINAL_CINDER_RUNNER, MIGRATION_HOST_SHARED_DIR, std::to_string(version)},
                                    {{"ORIGINAL_CINDER_DATABASE_URL", sqlalchemy_url(database)}});
    INFO(result.all());
    constexpr int toolchain_missing = 3;
    if (result.exit_code == toolchain_missing && !running_in_ci()) {
        WARN(result.err + " -- test not run");
        return false;
    }
    REQUIRE(result.exit_code == 0);
    return true;
}

// "cinder@V direction outcome" for every attempt `history` lists, oldest first.
std::vector<std::string> history_steps(const TestDatabase& database) {
    const auto history = run_cinder_chain(database, {"history", "cinder"});
    INFO(history.all());
    REQUIRE(history.exit_code == 0);
    const std::regex step(R"((cinder@\d+)\s+(upgrade|downgrade)\s+(\S+))");
    std::vector<std::string> steps;
    for (auto it = std::sregex_iterator(history.out.begin(), history.out.end(), step); it != std::sregex_iterator();
         ++it) {
        steps.push_back(fmt::format("{} {} {}", (*it)[1].str(), (*it)[2].str(), (*it)[3].str()));
    }
    return steps;
}

// At 0 the original has only put the database under version control (as Cinder's `db version` did): no tables.
void check_schema_at(const TestDatabase& database, int version) {
    if (version == 0) {
        CHECK(table_names(database).empty());
    } else {
        check_grizzly_schema(database, version);
    }
}

void check_takeover_at(Backend backend, int taken_at) {
    INFO("the original tool migrated the database to cinder@" << taken_at);
    if (!have_shared_dir()) return;
    // On MariaDB 10.11 the original's 001 converts every table to utf8 only on a database that already is utf8:
    // elsewhere `ALTER TABLE volumes CONVERT` fails (error 1833, despite foreign_key_checks = 0), PyMySQL drops
    // that error with the rest of the multi-statement, and 003 then cannot create its foreign keys.
    const auto database = TestDatabase::create(backend, "utf8");
    if (!database) return;
    if (!run_original(*database, taken_at)) return;
    REQUIRE(database->version_of("cinder") == taken_at);
    const auto repository_path = database->scalar("SELECT repository_path FROM migrate_version");
    // The reference schema is what the original leaves; this is the original leaving it.
    check_schema_at(*database, taken_at);
    const auto originals_tables = describe_tables(read_tables(*database));

    const auto status = run_cinder_chain(*database, {"status"});
    INFO(status.all());
    REQUIRE(status.exit_code == 0);
    CHECK(std::regex_search(status.out, std::regex(fmt::format(R"((^|\n)cinder +{} +{} )", taken_at, latest_version))));

    require_ok(run_cinder_chain(*database, {"upgrade"}));
    REQUIRE(database->version_of("cinder") == latest_version);
    check_grizzly_schema(*database, latest_version);
    CHECK(database->scalar("SELECT repository_path FROM migrate_version") == repository_path);

    // 001 is irreversible (upstream's too), so there is no way back to 0.
    if (taken_at >= 1 && taken_at < latest_version) {
        require_ok(run_cinder_chain(*database, {"downgrade", fmt::format("cinder@{}", taken_at)}));
        REQUIRE(database->version_of("cinder") == taken_at);
        check_grizzly_schema(*database, taken_at);
        CHECK(describe_tables(read_tables(*database)) == originals_tables);
    }
    // And down to 1: the plugins undo what the original did, too.
    if (taken_at != 1) {
        require_ok(run_cinder_chain(*database, {"downgrade", "cinder@1"}));
        REQUIRE(database->version_of("cinder") == 1);
        check_grizzly_schema(*database, 1);
    }

    // Only migration-host's own steps: none of the original's, each once.
    std::vector<std::string> expected;
    for (int version = taken_at + 1; version <= latest_version; ++version) {
        expected.push_back(fmt::format("cinder@{} upgrade succeeded", version));
    }
    for (int version = latest_version; version > 1; --version) {
        expected.push_back(fmt::format("cinder@{} downgrade succeeded", version));
    }
    CHECK(history_steps(*database) == expected);
}

}  // namespace

TEST_CASE("sqlite: a database the original tool migrated to cinder@0 is taken over and continued",
          "[sqlite][takeover]") {
    check_takeover_at(Backend::sqlite, 0);
}
TEST_CASE("sqlite: a database the original tool migrated to cinder@1 is taken over and continued",
          "[sqlite][takeover]") {
    check_takeover_at(Backend::sqlite, 1);
}
TEST_CASE("sqlite: a database the original tool migrated to cinder@4 is taken over and continued",
          "[sqlite][takeover]") {
    check_takeover_at(Backend::sqlite, 4);
}
TEST_CASE("sqlite: a database the original tool migrated to cinder@6 is taken over and continued",
          "[sqlite][takeover]") {
    check_takeover_at(Backend::sqlite, 6);
}
TEST_CASE("sqlite: a database the original tool migrated to cinder@9 is taken over and continued",
          "[sqlite][takeover]") {
    check_takeover_at(Backend::sqlite, 9);
}
TEST_CASE("mysql: a database the original tool migrated to cinder@0 is taken over and continued", "[mysql][takeover]") {
    check_takeover_at(Backend::mysql, 0);
}
TEST_CASE("mysql: a database the original tool migrated to cinder@1 is taken over and continued", "[mysql][takeover]") {
    check_takeover_at(Backend::mysql, 1);
}
TEST_CASE("mysql: a database the original tool migrated to cinder@4 is taken over and continued", "[mysql][takeover]") {
    check_takeover_at(Backend::mysql, 4);
}
TEST_CASE("mysql: a database the original tool migrated to cinder@6 is taken over and continued", "[mysql][takeover]") {
    check_takeover_at(Backend::mysql, 6);
}
TEST_CASE("mysql: a database the original tool migrated to cinder@9 is taken over and continued", "[mysql][takeover]") {
    check_takeover_at(Backend::mysql, 9);
}
TEST_CASE("postgresql: a database the original tool migrated to cinder@0 is taken over and continued",
          "[postgresql][takeover]") {
    check_takeover_at(Backend::postgresql, 0);
}
TEST_CASE("postgresql: a database the original tool migrated to cinder@1 is taken over and continued",
          "[postgresql][takeover]") {
    check_takeover_at(Backend::postgresql, 1);
}
TEST_CASE("postgresql: a database the original tool migrated to cinder@4 is taken over and continued",
          "[postgresql][takeover]") {
    check_takeover_at(Backend::postgresql, 4);
}
TEST_CASE("postgresql: a database the original tool migrated to cinder@6 is taken over and continued",
          "[postgresql][takeover]") {
    check_takeover_at(Backend::postgresql, 6);
}
TEST_CASE("postgresql: a database the original tool migrated to cinder@9 is taken over and continued",
          "[postgresql][takeover]") {
    check_takeover_at(Backend::postgresql, 9);
}
