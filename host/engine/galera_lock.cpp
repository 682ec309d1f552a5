// The run lock on a MariaDB Galera cluster: a lock row held cluster-wide by streaming replication on its own connection.
// SPDX-License-Identifier: Apache-2.0
#include "engine/galera_lock.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <random>
#include <thread>
#include <utility>
#include <variant>

#include "engine/history.hpp"
#include "exit_codes.hpp"

namespace migration_host {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::int32_t lock_wait_timeout = 1205;  // ER_LOCK_WAIT_TIMEOUT: the row is held elsewhere
constexpr std::int32_t deadlock = 1213;           // ER_LOCK_DEADLOCK: a simultaneous claim won, or certification

// The longest wait_timeout MariaDB accepts (a year): the lock connection is idle while the steps run, and the
// server must not drop it, which would release the lock in the middle of a step.
constexpr int idle_lock_connection_seconds = 31536000;

HostError lock_failure(const std::string& what, const odbc::Diagnostic& diagnostic) {
    return HostError(ExitCode::refused,
                     fmt::format("cannot take the Galera run lock: {}: {}", what, diagnostic.to_string()));
}

void require_ok(const odbc::Connection& connection, const std::string& sql,
                const std::vector<odbc::Parameter>& parameters = {}) {
    const auto result = connection.try_execute(sql, parameters);
    if (const auto* diagnostic = std::get_if<odbc::Diagnostic>(&result)) throw lock_failure(sql, *diagnostic);
}

// Who claims the lock, for whoever looks at the row: user, machine, process and when.
std::string claimant() {
    const RunBy run_by = current_run_by();
    return fmt::format("{}@{} pid {} at {}", run_by.os_user, run_by.host_name, getpid(), utc_now_iso8601());
}

// A short random pause between claims, so that hosts that collided (1213) do not collide again in step.
std::chrono::milliseconds retry_pause() {
    static thread_local std::minstd_rand random(static_cast<unsigned>(getpid()) ^
                                                static_cast<unsigned>(Clock::now().time_since_epoch().count()));
    return std::chrono::milliseconds(50 + static_cast<int>(random() % 150));
}

// Whether the lock table is there. Hosts started at once race to create it, and a CREATE replicating from another
// node aborts a check of the same table here (1213, a brute-force abort): the check is simply asked again.
bool lock_table_exists(const odbc::Connection& connection) {
    constexpr int attempts = 20;
    for (int attempt = 1;; ++attempt) {
        bool found = false;
        const auto failed = connection.try_query(
            "SELECT 1 FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = ?",
            {std::string(GaleraLock::table_name)}, [&](const odbc::Row&) {
                found = true;
                return false;
            });
        if (!failed) return found;
        if (failed->native_error != deadlock || attempt == attempts) {
            throw odbc::Error("checking for the Galera lock table", *failed);
        }
        std::this_thread::sleep_for(retry_pause());
    }
}

}  // namespace

GaleraLock::GaleraLock(const DatabaseInfo& database, ConnectionOpener open_connection)
    : database_name_(database.database_name),
      step_node_(database.galera ? database.galera->node_name : std::string()),
      open_connection_(std::move(open_connection)) {}

GaleraLock::~GaleraLock() {
    // The rollback releases the row on every node; if it fails, closing the connection (right after) does too.
    if (held_ && connection_) connection_->rollback();
}

std::string GaleraLock::name() const {
    return fmt::format("Galera lock row {}.{} (id 1)", database_name_, table_name);
}

std::optional<std::string> GaleraLock::holder() const {
    // The holder's UPDATE is not committed, so no other session can read who it is; the cluster can say only that
    // a transaction holds the row.
    return std::nullopt;
}

const odbc::Connection& GaleraLock::lock_connection() {
    if (connection_) return *connection_;
    if (!open_connection_) throw HostError(ExitCode::refused, "cannot take the Galera run lock: no second connection");
    connection_ = open_connection_();
    const odbc::Connection& connection = *connection_;
    // The same connection string reaches the same node, unless something in between spreads connections. Then the
    // lock lives and dies with another node than the steps: if that node alone left the cluster, the lock would be
    // released while this run's steps go on.
    const auto lock_node = connection.query("SELECT @@wsrep_node_name");
    if (!lock_node.empty() && !lock_node.front().empty() && lock_node.front()[0].value_or("") != step_node_) {
        spdlog::warn("the Galera lock connection reached node {}, the step connection node {}: connect to one node "
                     "directly, not through a balancer, so that the lock and the steps share a node's fate",
                     lock_node.front()[0].value_or("?"), step_node_);
    }
    // Streaming replication, one fragment per statement: the lock row's UPDATE reaches every node before it
    // returns. These variables exist only on a Galera node (1231 elsewhere).
    require_ok(connection, "SET SESSION wsrep_trx_fragment_unit = 'statements'");
    require_ok(connection, "SET SESSION wsrep_trx_fragment_size = 1");
    require_ok(connection, fmt::format("SET SESSION wait_timeout = {}", idle_lock_connection_seconds));
    // Both are safe outside the lock: DDL runs in total order on every node (a racing CREATE ... IF NOT EXISTS is
    // a no-op), and INSERT IGNORE of the one row cannot duplicate it. The table is the host's own, never a step's.
    // Each only when needed: while another host holds the row, an INSERT IGNORE of it would wait for that host.
    if (!lock_table_exists(connection)) {
        require_ok(connection, fmt::format("CREATE TABLE IF NOT EXISTS {} (id INT NOT NULL PRIMARY KEY, "
                                           "holder VARCHAR(255) NULL) ENGINE=InnoDB",
                                           table_name));
    }
    if (connection.query(fmt::format("SELECT id FROM {} WHERE id = 1", table_name)).empty()) {
        require_ok(connection, "SET SESSION innodb_lock_wait_timeout = 1");
        const auto inserted =
            connection.try_execute(fmt::format("INSERT IGNORE INTO {} (id, holder) VALUES (1, NULL)", table_name));
        // A host that inserted the row a moment ago and holds it now: the row is there, which is all that matters.
        if (const auto* diagnostic = std::get_if<odbc::Diagnostic>(&inserted);
            diagnostic && diagnostic->native_error != lock_wait_timeout && diagnostic->native_error != deadlock) {
            throw lock_failure("creating the lock row", *diagnostic);
        }
    }
    connection_->set_autocommit(false);
    return connection;
}

bool GaleraLock::take_within(std::chrono::seconds wait) {
    const odbc::Connection& connection = lock_connection();
    // The row lock wait has its own bound (innodb_lock_wait_timeout): --statement-timeout must not cut it short.
    const odbc::WithoutStatementTimeout own_bound(connection);
    const auto deadline = Clock::now() + wait;
    for (;;) {
        const auto left = std::chrono::duration_cast<std::chrono::seconds>(deadline - Clock::now()).count();
        // 0 is "do not wait" in MariaDB; one try per second at most keeps 1213 retries responsive.
        require_ok(connection,
                   fmt::format("SET SESSION innodb_lock_wait_timeout = {}", std::clamp<long long>(left, 0, 1)));
        const auto claimed =
            connection.try_execute(fmt::format("UPDATE {} SET holder = ? WHERE id = 1", table_name), {claimant()});
        if (std::holds_alternative<std::int64_t>(claimed)) return true;
        const auto& diagnostic = std::get<odbc::Diagnostic>(claimed);
        connection_->rollback();
        if (diagnostic.native_error != lock_wait_timeout && diagnostic.native_error != deadlock) {
            throw lock_failure("claiming the lock row", diagnostic);
        }
        spdlog::debug("the Galera lock row is taken ({}), retrying", diagnostic.native_error);
        if (Clock::now() >= deadline) return false;
        std::this_thread::sleep_for(std::min<Clock::duration>(retry_pause(), deadline - Clock::now()));
    }
}

}  // namespace migration_host
