// A step that waits on another session's lock is never silent: the log says how long, and who blocks it.
// SPDX-License-Identifier: Apache-2.0
#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <vector>

#include "host_process.hpp"
#include "test_database.hpp"

using namespace test_support;

namespace {

// Holds counters' row in a transaction of another session while the host's counters@2 updates it, until the host
// names that session as the one it waits for; then lets it go.
void check_blocker_named(Backend backend) {
    const auto database = TestDatabase::create(backend);
    if (!database) return;
    const std::vector<std::string> plugins{TEST_PLUGIN_ROOT "/contended_row"};
    const auto first = run_host(host_run_on(database->connection_string(), plugins, {"upgrade", "counters@1"}));
    REQUIRE(first.exit_code == 0);

    const auto blocker = database->another_connection();
    const bool postgresql = backend == Backend::postgresql;
    const auto blocker_id =
        blocker->query(postgresql ? "SELECT pg_backend_pid()" : "SELECT CONNECTION_ID()").at(0).at(0).value();
    blocker->set_autocommit(false);
    // The literals stand for what a blocker's statement may hold (a password): the host shows them as '?'.
    blocker->execute("UPDATE counters SET n = 100 WHERE id = 1 AND 'a secret' <> 'another'");

    BackgroundHost host(host_run_on(database->connection_string(), plugins, {"upgrade"}));
    const std::string blocked_by = (postgresql ? "blocked by backend " : "blocked by connection ") + blocker_id + " (";
    // The first report comes after 5 s; the limit only ends a test whose host never says it.
    const bool named = wait_for_err_text(blocked_by, host, std::chrono::seconds(120));
    blocker->rollback();
    blocker->set_autocommit(true);
    const ProcessResult result = host.wait();
    INFO(result.all());
    CHECK(named);
    CHECK(result.exit_code == 0);
    CHECK(database->version_of("counters") == 2);
    CHECK(contains(result.err, "still running counters@2 (002_increment) ("));
    if (postgresql) {
        // PostgreSQL keeps an idle session's last statement; MariaDB shows only what runs now.
        CHECK(contains(result.err, "waiting for Lock/transactionid, " + blocked_by));
        // (psqlODBC sends the BEGIN with the first statement of a transaction.)
        CHECK(contains(result.err, "UPDATE counters SET n = 100 WHERE id = 1 AND ? <> ?)"));
    } else {
        CHECK(contains(result.err, ", " + blocked_by));
    }
    CHECK_FALSE(contains(result.err, "a secret"));
}

}  // namespace

TEST_CASE("step watch: a step waiting on a row lock names the MariaDB connection that holds it", "[mysql][watch]") {
    check_blocker_named(Backend::mysql);
}

TEST_CASE("step watch: a step waiting on a row lock names the PostgreSQL backend that holds it",
          "[postgresql][watch]") {
    check_blocker_named(Backend::postgresql);
}
