// The portable lease lock, forced on SQLite, MariaDB and PostgreSQL: the lock scenarios, takeover of an expired lease, a live lease kept, unlock.
// SPDX-License-Identifier: Apache-2.0
#include <fmt/format.h>
#include <catch2/catch.hpp>

#include <chrono>
#include <csignal>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "host_process.hpp"
#include "lock_scenarios.hpp"
#include "test_database.hpp"

#ifndef TEST_PLUGIN_ROOT
#error "TEST_PLUGIN_ROOT must be defined by the build"
#endif

using namespace test_support;

namespace {

using Clock = std::chrono::steady_clock;

// Short enough for a test to wait one out; the holder renews every third of it.
constexpr int lease_seconds = 3;

const char* const dead_holder = "operator@crashed-host pid 4242, since 2026-01-01T00:00:00.000Z";

std::map<std::string, std::string> portable(std::map<std::string, std::string> environment = {},
                                            int lease = lease_seconds) {
    for (const auto& [name, value] : portable_lock(lease).environment) environment.emplace(name, value);
    return environment;
}

// The row a host killed while holding the lock leaves behind: a token, and a heartbeat that never moves again.
void leave_dead_holder(const TestDatabase& database, int lease) {
    database.execute(fmt::format(
        "UPDATE migration_host_lock SET token = 'token-of-a-dead-host', holder = '{}', heartbeat = 17, "
        "lease_seconds = {}, renewed_at = '2026-01-01T00:00:05.000Z' WHERE lock_name = 'run'",
        dead_holder, lease));
}

std::optional<std::string> lock_token(const TestDatabase& database) {
    return database.scalar("SELECT token FROM migration_host_lock WHERE lock_name = 'run'");
}

void check_takeover_after_expired_lease(Backend backend) {
    const auto database = TestDatabase::create(backend);
    if (!database) return;
    const auto first = run_host(host_run(*database, chained_plugins(), {"upgrade", "cinder@1"}, {}, portable()));
    INFO("first upgrade:\n" << first.all());
    REQUIRE(first.exit_code == 0);
    // The host made the table, and released its row on the way out.
    CHECK(database->scalar("SELECT COUNT(*) FROM migration_host_lock") == std::optional<std::string>("1"));
    CHECK(lock_token(*database) == std::nullopt);

    leave_dead_holder(*database, 2);
    const auto start = Clock::now();
    const auto second =
        run_host(host_run(*database, chained_plugins(), {"upgrade"}, {"--lock-timeout", "30"}, portable()));
    const double waited = seconds_since(start);
    INFO("upgrade after the holder died (" << waited << " s):\n" << second.all());
    CHECK(second.exit_code == 0);
    CHECK(contains(second.err, fmt::format("waiting up to 30 s for the lock portable lease lock 'run' in "
                                           "migration_host_lock, held by {} (lease 2 s",
                                           dead_holder)));
    CHECK(contains(second.err, fmt::format("warning took over the lock portable lease lock 'run' in "
                                           "migration_host_lock from {} (lease 2 s",
                                           dead_holder)));
    CHECK(contains(second.out, "Applied 4 steps"));
    // Not before the dead holder's lease had run out, by the waiter's own clock.
    CHECK(waited >= 2.0);
    CHECK(lock_token(*database) == std::nullopt);
    const auto holder = database->scalar("SELECT holder FROM migration_host_lock WHERE lock_name = 'run'");
    REQUIRE(holder);
    CHECK_FALSE(contains(*holder, "crashed-host"));
    CHECK(history_rows(*database) == std::vector<std::string>{"cinder@1 upgrade succeeded", "cinder@2 upgrade succeeded",
                                                              "cinder@3 upgrade succeeded", "manila@1 upgrade succeeded",
                                                              "manila@2 upgrade succeeded"});
    WARN(fmt::format("{} (portable lock): took over a dead holder's lease of 2 s and applied 4 steps in {:.2f} s",
                     dialect_name(backend), waited));
}

// A live holder renews its lease, however long its step takes: a contender waiting several leases never takes it
// over. (Not on SQLite: a step's write transaction there blocks every other writer, the renewal included, so a step
// longer than the lease loses the portable lock: see docs/locking.md.)
void check_live_lease_is_kept(Backend backend) {
    const auto database = TestDatabase::create(backend);
    if (!database) return;
    const TempDir temp;
    const std::string ready = temp.path + "/ready";
    const std::string release = temp.path + "/release";
    BackgroundHost holder = start_lock_holder(*database, ready, release, portable_lock(lease_seconds));

    const auto contender =
        run_host(host_run(*database, slow_plugin(), {"upgrade"}, {"--lock-timeout", "10"},
                          portable({{sleep_variable, "0"}, {ready_variable, ""}})));
    // status reads the row only: a run holds it, so the step that MySQL's history shows started is in progress.
    const auto during = run_host(host_run(*database, slow_plugin(), {"status"}, {}, portable()));
    const bool holder_still_running = holder.running();
    touch(release);
    const ProcessResult held = holder.wait();
    INFO("contender, exit " << contender.exit_code << ":\n" << contender.all() << "\nholder:\n" << held.all());
    INFO("status during the run:\n" << during.all());
    CHECK(during.exit_code == 0);
    CHECK_FALSE(contains(during.out, "DIRTY"));
    if (backend == Backend::mysql) CHECK(contains(during.out, "IN PROGRESS"));
    CHECK(holder_still_running);
    CHECK(contender.exit_code == 11);
    const auto lines = error_lines(contender.err);
    REQUIRE(lines.size() == 1);
    CHECK(contains(lines.front(), "timed out after 10 s waiting for the lock portable lease lock 'run' in "
                                  "migration_host_lock, held by "));
    CHECK(contains(lines.front(), fmt::format(" pid {}, since ", holder.pid())));
    CHECK_FALSE(contains(contender.err, "took over"));
    CHECK(held.exit_code == 0);
    CHECK_FALSE(contains(held.err, "lost the lock"));
    CHECK(history_rows(*database) == std::vector<std::string>{"slow@1 upgrade succeeded"});
}

void check_unlock_of_a_dead_holder(Backend backend) {
    const auto database = TestDatabase::create(backend);
    if (!database) return;
    const auto unlock = [&](std::vector<std::string> command) {
        return run_host(host_run(*database, {}, std::move(command), {}, portable()));
    };
    // The host's read-only connection creates nothing: on SQLite, the database file must exist.
    if (backend == Backend::sqlite) database->execute("CREATE TABLE placeholder (id INTEGER)");
    const auto fresh = unlock({"unlock"});
    INFO("unlock on a fresh database:\n" << fresh.all());
    CHECK(fresh.exit_code == 0);
    CHECK(contains(fresh.out, "Not locked: there is no migration_host_lock table"));

    REQUIRE(run_host(host_run(*database, slow_plugin(), {"upgrade"}, {}, portable({{sleep_variable, "0"}})))
                .exit_code == 0);
    const auto free = unlock({"unlock"});
    INFO("unlock of a free lock:\n" << free.all());
    CHECK(free.exit_code == 0);
    CHECK(contains(free.out, "Not locked: nobody holds the portable lock (last held by "));

    leave_dead_holder(*database, 2);
    const auto start = Clock::now();
    const auto released = unlock({"unlock"});
    const double watched = seconds_since(start);
    INFO("unlock of a dead holder (" << watched << " s):\n" << released.all());
    CHECK(released.exit_code == 0);
    CHECK(contains(released.out, fmt::format("Released the portable lock held by {} (lease 2 s", dead_holder)));
    CHECK(contains(released.out, "its lease of 2 s had run out"));
    // It watched the heartbeat for a whole lease before calling the holder dead.
    CHECK(watched >= 2.0);
    CHECK(lock_token(*database) == std::nullopt);

    leave_dead_holder(*database, 600);
    const auto forced = unlock({"unlock", "--force"});
    INFO("unlock --force:\n" << forced.all());
    CHECK(forced.exit_code == 0);
    CHECK(contains(forced.out, fmt::format("Released the portable lock held by {} (lease 600 s", dead_holder)));
    CHECK(lock_token(*database) == std::nullopt);

    const auto misplaced = run_host(host_run(*database, slow_plugin(), {"status", "--force"}, {}, portable()));
    INFO("status --force:\n" << misplaced.all());
    CHECK(misplaced.exit_code == 2);
    CHECK(contains(misplaced.err, "status does not take --force"));
}

// unlock refuses while the holder's heartbeat moves; --force clears the row anyway, and the holder, finding its
// lease gone, finishes the step it is in and starts no other. (Not on SQLite: see check_live_lease_is_kept.)
void check_unlock_of_a_live_holder(Backend backend) {
    const auto database = TestDatabase::create(backend);
    if (!database) return;
    const TempDir temp;
    const std::string ready = temp.path + "/ready";
    const std::string release = temp.path + "/release";
    BackgroundHost holder(host_run(
        *database, {TEST_PLUGIN_ROOT "/slow", TEST_PLUGIN_ROOT "/variant"}, {"upgrade"}, {},
        portable({{sleep_variable, "120000"}, {ready_variable, ready}, {release_variable, release}})));
    if (!wait_for_ready_file(ready, holder, std::chrono::seconds(30))) {
        holder.kill(SIGKILL);
        const auto result = holder.wait();
        FAIL("the slow step never signalled it was running; host exit " << result.exit_code << ":\n" << result.all());
    }
    const auto unlock = [&](std::vector<std::string> command) {
        return run_host(host_run(*database, {}, std::move(command), {}, portable()));
    };
    const auto refused = unlock({"unlock"});
    {
        INFO("unlock while the holder runs:\n" << refused.all());
        CHECK(refused.exit_code == 5);
        const auto lines = error_lines(refused.err);
        REQUIRE(lines.size() == 1);
        CHECK(contains(lines.front(), "the portable lock is held by "));
        CHECK(contains(lines.front(), fmt::format(" pid {}, since ", holder.pid())));
        CHECK(contains(lines.front(), "its lease is alive"));
        CHECK(contains(lines.front(), "unlock --force"));
        CHECK(lock_token(*database) != std::nullopt);
    }
    const auto forced = unlock({"unlock", "--force"});
    {
        INFO("unlock --force while the holder runs:\n" << forced.all());
        CHECK(forced.exit_code == 0);
        CHECK(contains(forced.out, "Released the portable lock held by "));
        CHECK(contains(forced.out, fmt::format(" pid {}, since ", holder.pid())));
        CHECK(lock_token(*database) == std::nullopt);
    }
    // Once a whole lease has passed since the row was cleared, no renewal can have kept it: the holder's lease is
    // over whether or not its renewing thread has run since.
    std::this_thread::sleep_for(std::chrono::milliseconds(lease_seconds * 1000 + 500));
    touch(release);
    const ProcessResult held = holder.wait();
    INFO("holder:\n" << held.all());
    CHECK(held.exit_code == 5);
    CHECK(contains(held.out, "Upgraded slow 0 -> 1"));
    CHECK_FALSE(contains(held.out, "Upgraded variant"));
    const auto lines = error_lines(held.err);
    REQUIRE(lines.size() == 1);
    CHECK(contains(lines.front(),
                   "lost the run lock portable lease lock 'run' in migration_host_lock before variant@1 (001_variant)"));
    CHECK(history_rows(*database) == std::vector<std::string>{"slow@1 upgrade succeeded"});
    CHECK(database->version_of("variant") == std::nullopt);
}

// The lock row held from a connection of the test's own, in a transaction (SELECT ... FOR UPDATE; on SQLite the
// database's write lock, taken by an UPDATE that changes nothing): an unlock that reaches its clearing UPDATE waits
// for it. Two unlocks then clear one after the other once it is let go, the second finding the row already cleared:
// the race two unlocks at once can run into, every time rather than now and then. Let go (rolled back, nothing
// changed) by release() or the destructor.
class LockRowHold {
public:
    explicit LockRowHold(const TestDatabase& database)
        : connection_(odbc_environment(), database.connection_string(), 15) {
        transaction_.emplace(connection_);
        if (database.backend() == Backend::sqlite) {
            connection_.execute("UPDATE migration_host_lock SET lock_name = lock_name WHERE lock_name = 'run'");
        } else {
            connection_.query("SELECT token FROM migration_host_lock WHERE lock_name = 'run' FOR UPDATE");
        }
    }
    void release() { transaction_.reset(); }

private:
    migration_host::odbc::Connection connection_;
    std::optional<migration_host::odbc::Transaction> transaction_;
};

// How many sessions of this database wait for a row lock, where the server can say; nullopt on SQLite.
std::optional<int> sessions_waiting_for_a_lock(const TestDatabase& database) {
    std::optional<std::string> count;
    switch (database.backend()) {
        case Backend::sqlite:
            return std::nullopt;
        case Backend::mysql:
            count = database.scalar(
                "SELECT COUNT(*) FROM information_schema.innodb_trx t JOIN information_schema.processlist p ON "
                "p.id = t.trx_mysql_thread_id WHERE t.trx_state = 'LOCK WAIT' AND p.db = DATABASE()");
            break;
        case Backend::postgresql:
            count = database.scalar(
                "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = "
                "'Lock'");
            break;
    }
    return count ? std::stoi(*count) : 0;
}

// Two unlocks started at once after the holder was killed with SIGKILL: one clears the row, the other finds it free
// already. Both exit 0 and say so; neither calls the dead holder alive, nor (--force) says the lock changed hands.
// The row is held (LockRowHold) until both wait to clear it, as a server shows; on SQLite, which cannot show it, for
// a whole lease and more, time enough for both to get there (if one is late, it finds the row cleared by the other
// and says so: the round is a weaker one, and passes all the same). Several rounds, each on a fresh database.
void check_simultaneous_unlocks(Backend backend, bool force) {
    INFO((force ? "unlock --force" : "unlock") << ", twice at once");
    constexpr int rounds = 3;
    constexpr int lease = 2;
    for (int round = 1; round <= rounds; ++round) {
        INFO("round " << round << " of " << rounds);
        const auto database = TestDatabase::create(backend);
        if (!database) return;
        const TempDir temp;
        BackgroundHost holder =
            start_lock_holder(*database, temp.path + "/ready", temp.path + "/release", portable_lock(lease));
        holder.kill(SIGKILL);
        const ProcessResult killed = holder.wait();
        INFO("holder:\n" << killed.all());
        REQUIRE(killed.exit_code == 128 + SIGKILL);
        REQUIRE(lock_token(*database) != std::nullopt);

        LockRowHold hold(*database);
        std::vector<std::string> command{"unlock"};
        if (force) command.emplace_back("--force");
        BackgroundHost first(host_run(*database, {}, command, {}, portable()));
        BackgroundHost second(host_run(*database, {}, command, {}, portable()));
        const auto started = Clock::now();
        bool both_waited = false;  // as the server says
        while (first.running() && second.running() && seconds_since(started) < lease + 30) {
            const auto waiting = sessions_waiting_for_a_lock(*database);
            both_waited = waiting && *waiting >= 2;
            if (both_waited || (!waiting && seconds_since(started) > (force ? 1.5 : lease + 1.5))) break;
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        hold.release();
        const std::vector<ProcessResult> results{first.wait(), second.wait()};
        // What the one that did not clear the row says: it found it free, or saw it freed while it watched, or
        // (always, when both waited to clear it) its own clear changed nothing.
        const std::string free_says = both_waited ? "is already free (released meanwhile" : "Not locked: ";
        int released = 0;
        int found_free = 0;
        for (const auto& result : results) {
            INFO("unlock, exit " << result.exit_code << ":\n" << result.all());
            CHECK(result.exit_code == 0);
            CHECK(error_lines(result.err).empty());
            if (contains(result.out, "Released the portable lock held by ")) ++released;
            if (contains(result.out, free_says)) ++found_free;
            // Whoever cleared the row, both name the dead holder.
            CHECK(contains(result.out, fmt::format(" pid {}, since ", holder.pid())));
        }
        CHECK(released == 1);
        CHECK(found_free == 1);
        CHECK(lock_token(*database) == std::nullopt);
    }
}

}  // namespace

TEST_CASE("sqlite: 8 hosts at once with the portable lock forced apply each step exactly once", "[sqlite][lease]") {
    check_simultaneous_upgrades(Backend::sqlite, portable_lock(6));
}

TEST_CASE("mysql: 8 hosts at once with the portable lock forced apply each step exactly once", "[mysql][lease]") {
    check_simultaneous_upgrades(Backend::mysql, portable_lock(6));
}

TEST_CASE("postgresql: 8 hosts at once with the portable lock forced apply each step exactly once",
          "[postgresql][lease]") {
    check_simultaneous_upgrades(Backend::postgresql, portable_lock(6));
}

TEST_CASE("sqlite: a host holding the portable lock killed with SIGKILL mid-step is taken over after its lease",
          "[sqlite][lease]") {
    check_killed_mid_step(Backend::sqlite, portable_lock(lease_seconds));
}

TEST_CASE("mysql: a host holding the portable lock killed with SIGKILL mid-step is taken over after its lease",
          "[mysql][lease]") {
    check_killed_mid_step(Backend::mysql, portable_lock(lease_seconds));
}

TEST_CASE("postgresql: a host holding the portable lock killed with SIGKILL mid-step is taken over after its lease",
          "[postgresql][lease]") {
    check_killed_mid_step(Backend::postgresql, portable_lock(lease_seconds));
}

TEST_CASE("sqlite: a portable lock whose holder died is taken over once its lease ran out", "[sqlite][lease]") {
    check_takeover_after_expired_lease(Backend::sqlite);
}

TEST_CASE("mysql: a portable lock whose holder died is taken over once its lease ran out", "[mysql][lease]") {
    check_takeover_after_expired_lease(Backend::mysql);
}

TEST_CASE("postgresql: a portable lock whose holder died is taken over once its lease ran out",
          "[postgresql][lease]") {
    check_takeover_after_expired_lease(Backend::postgresql);
}

TEST_CASE("mysql: a live holder keeps its portable lock through a long step", "[mysql][lease]") {
    check_live_lease_is_kept(Backend::mysql);
}

TEST_CASE("postgresql: a live holder keeps its portable lock through a long step", "[postgresql][lease]") {
    check_live_lease_is_kept(Backend::postgresql);
}

TEST_CASE("sqlite: unlock releases a dead holder's portable lock, after watching its lease", "[sqlite][lease]") {
    check_unlock_of_a_dead_holder(Backend::sqlite);
}

TEST_CASE("mysql: unlock releases a dead holder's portable lock, after watching its lease", "[mysql][lease]") {
    check_unlock_of_a_dead_holder(Backend::mysql);
}

TEST_CASE("postgresql: unlock releases a dead holder's portable lock, after watching its lease",
          "[postgresql][lease]") {
    check_unlock_of_a_dead_holder(Backend::postgresql);
}

TEST_CASE("sqlite: two unlocks at once after the holder was killed both exit 0, one finding the lock free",
          "[sqlite][lease]") {
    check_simultaneous_unlocks(Backend::sqlite, false);
    check_simultaneous_unlocks(Backend::sqlite, true);
}

TEST_CASE("mysql: two unlocks at once after the holder was killed both exit 0, one finding the lock free",
          "[mysql][lease]") {
    check_simultaneous_unlocks(Backend::mysql, false);
    check_simultaneous_unlocks(Backend::mysql, true);
}

TEST_CASE("postgresql: two unlocks at once after the holder was killed both exit 0, one finding the lock free",
          "[postgresql][lease]") {
    check_simultaneous_unlocks(Backend::postgresql, false);
    check_simultaneous_unlocks(Backend::postgresql, true);
}

TEST_CASE("mysql: unlock refuses a live holder's portable lock, --force clears it and the holder stops",
          "[mysql][lease]") {
    check_unlock_of_a_live_holder(Backend::mysql);
}

TEST_CASE("postgresql: unlock refuses a live holder's portable lock, --force clears it and the holder stops",
          "[postgresql][lease]") {
    check_unlock_of_a_live_holder(Backend::postgresql);
}

TEST_CASE("sqlite: unlock where runs use the database's own lock says there is nothing to release",
          "[sqlite][lease]") {
    const auto database = TestDatabase::create(Backend::sqlite);
    REQUIRE(database);
    database->execute("CREATE TABLE placeholder (id INTEGER)");
    const auto result = run_host(host_run(*database, {}, {"unlock"}));
    INFO(result.all());
    CHECK(result.exit_code == 0);
    CHECK(contains(result.out, "Not locked: there is no migration_host_lock table"));
    CHECK(contains(result.out, "use its own lock, which the kernel frees when its holder ends"));

    const auto bad_lease = run_host(
        host_run(*database, slow_plugin(), {"upgrade"}, {}, portable({{sleep_variable, "0"}}, 1)));
    INFO(bad_lease.all());
    CHECK(bad_lease.exit_code == 2);
    CHECK(contains(bad_lease.err, "invalid MIGRATION_HOST_LOCK_LEASE_SECONDS '1': expected a whole number of "
                                  "seconds from 2 to 3600"));
}
