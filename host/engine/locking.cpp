// The run lock that makes concurrent hosts safe: GET_LOCK on MySQL, an advisory lock on PostgreSQL, a file lock for SQLite.
#include "engine/locking.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include "exit_codes.hpp"

namespace migration_host {
namespace {

using Clock = std::chrono::steady_clock;
constexpr auto poll_interval = std::chrono::milliseconds(50);

HostError lock_timeout(const std::string& name, std::chrono::seconds timeout) {
    return HostError(ExitCode::refused,
                     fmt::format("timed out after {} s waiting for the lock {}: another migration-host is running "
                                 "against this database (raise --lock-timeout to wait longer)",
                                 timeout.count(), name));
}

// Session locks (MySQL, PostgreSQL) are released by one statement; a failure
// there is harmless because the server frees the lock when the session ends.
void release_session_lock(const odbc::Connection& connection, const char* sql, const odbc::Parameter& key,
                          const std::string& name) {
    const auto released = connection.try_execute(sql, {key});
    if (std::holds_alternative<odbc::Diagnostic>(released)) {
        spdlog::warn("could not release {} (the server frees it when the session ends)", name);
    }
}

// GET_LOCK is server-wide, so the name carries the database: runs against
// different databases on one server do not wait for each other. Freed by the
// server when the session ends, however it ends.
class MysqlLock final : public RunLock {
public:
    MysqlLock(const odbc::Connection& connection, const DatabaseInfo& database, std::chrono::seconds timeout)
        : connection_(connection), key_(("migration_host:" + database.database_name).substr(0, 64)) {
        // GET_LOCK waits up to --lock-timeout itself: --statement-timeout must not cut that wait short.
        const odbc::WithoutStatementTimeout own_bound(connection_);
        const auto rows = connection_.query("SELECT GET_LOCK(?, ?)", {key_, static_cast<std::int64_t>(timeout.count())});
        const auto result = rows.at(0).at(0);
        held_ = result && *result == "1";
    }
    ~MysqlLock() override {
        if (held_) release_session_lock(connection_, "SELECT RELEASE_LOCK(?)", key_, name());
    }
    std::string name() const override { return fmt::format("MySQL GET_LOCK('{}')", key_); }

private:
    const odbc::Connection& connection_;
    std::string key_;
};

// Advisory locks are per database in PostgreSQL, so one fixed key serves.
// pg_try_advisory_lock is polled so that the wait can time out without
// touching session settings. Session-level: freed when the session ends.
class PostgresqlLock final : public RunLock {
public:
    static constexpr std::int64_t key = 0x6d69677261746531;  // "migrate1"

    PostgresqlLock(const odbc::Connection& connection, std::chrono::seconds timeout) : connection_(connection) {
        const auto deadline = Clock::now() + timeout;
        for (;;) {
            const auto rows = connection_.query("SELECT pg_try_advisory_lock(?)", {key});
            const auto result = rows.at(0).at(0).value_or("");
            held_ = result == "1" || result == "t" || result == "true";
            if (held_ || Clock::now() >= deadline) return;
            std::this_thread::sleep_for(poll_interval);
        }
    }
    ~PostgresqlLock() override {
        if (held_) release_session_lock(connection_, "SELECT pg_advisory_unlock(?)", key, name());
    }
    std::string name() const override { return fmt::format("PostgreSQL pg_advisory_lock({})", key); }

private:
    const odbc::Connection& connection_;
};

// SQLite has no session locks; an exclusive transaction would hold off every
// reader for the whole run. A flock on a file beside the database serializes
// hosts instead and is freed by the kernel when the process dies. A separate
// file, because closing any descriptor of the database file itself would drop
// SQLite's own POSIX locks.
class SqliteFileLock final : public RunLock {
public:
    SqliteFileLock(const std::string& database_file, std::chrono::seconds timeout) : path_(database_file + ".lock") {
        fd_ = open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (fd_ < 0) {
            throw HostError(ExitCode::refused, fmt::format("cannot open the lock file {}: {}", path_, std::strerror(errno)));
        }
        const auto deadline = Clock::now() + timeout;
        while (flock(fd_, LOCK_EX | LOCK_NB) != 0) {
            if (errno != EWOULDBLOCK && errno != EINTR) {
                close(fd_);
                throw HostError(ExitCode::refused, fmt::format("cannot lock {}: {}", path_, std::strerror(errno)));
            }
            if (Clock::now() >= deadline) return;
            std::this_thread::sleep_for(poll_interval);
        }
        held_ = true;
    }
    ~SqliteFileLock() override {
        // The file stays: removing a lock file races with the next waiter.
        if (held_) flock(fd_, LOCK_UN);
        close(fd_);
    }
    std::string name() const override { return fmt::format("file lock {}", path_); }

private:
    std::string path_;
    int fd_ = -1;
};

class NoLock final : public RunLock {
public:
    NoLock() { held_ = true; }
    std::string name() const override { return "none"; }
};

std::string sqlite_main_file(const odbc::Connection& connection) {
    for (const auto& row : connection.query("PRAGMA database_list")) {
        if (row.size() >= 3 && row[1] == std::optional<std::string>("main")) return row[2].value_or("");
    }
    return "";
}

}  // namespace

std::unique_ptr<RunLock> RunLock::acquire(const odbc::Connection& connection, const DatabaseInfo& database,
                                          std::chrono::seconds timeout) {
    auto lock = attempt(connection, database, timeout);
    if (!lock->held_) throw lock_timeout(lock->name(), timeout);
    spdlog::debug("holding the run lock: {}", lock->name());
    return lock;
}

std::unique_ptr<RunLock> RunLock::try_acquire(const odbc::Connection& connection, const DatabaseInfo& database) {
    auto lock = attempt(connection, database, std::chrono::seconds(0));
    if (!lock->held_) return nullptr;
    return lock;
}

std::unique_ptr<RunLock> RunLock::attempt(const odbc::Connection& connection, const DatabaseInfo& database,
                                          std::chrono::seconds timeout) {
    std::unique_ptr<RunLock> lock;
    if (database.dialect == "mysql") {
        lock = std::make_unique<MysqlLock>(connection, database, timeout);
    } else if (database.dialect == "postgresql") {
        lock = std::make_unique<PostgresqlLock>(connection, timeout);
    } else if (database.dialect == "sqlite") {
        const std::string file = sqlite_main_file(connection);
        if (file.empty()) {
            spdlog::debug("in-memory SQLite database: no other process can reach it, no lock needed");
            lock = std::make_unique<NoLock>();
        } else {
            lock = std::make_unique<SqliteFileLock>(file, timeout);
        }
    } else {
        spdlog::warn("no run lock for dialect {}: do not run two hosts against this database at once",
                     database.dialect);
        lock = std::make_unique<NoLock>();
    }
    return lock;
}

}  // namespace migration_host
