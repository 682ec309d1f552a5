// The run lock that makes concurrent hosts safe: GET_LOCK on MySQL, an advisory lock on PostgreSQL, a flock on the SQLite database file.
// SPDX-License-Identifier: Apache-2.0
#include "engine/locking.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <mutex>
#include <thread>
#include <utility>

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

// SQLite has no session locks, and an exclusive transaction would hold off
// every reader for the whole run. A flock on the database file itself
// serializes hosts instead: it belongs to the file, not to the name it was
// reached by (hard links, bind mounts, symlinks all meet on one inode), and
// the kernel frees it when the process dies. On Linux, flock and SQLite's own
// POSIX (fcntl) locks are independent (not on NFS, where flock is emulated
// with fcntl: SQLite on NFS is unsafe anyway).
//
// Closing any descriptor of a file drops every POSIX lock this process holds
// on it, SQLite's included, so the descriptor is never closed while the
// process may still use the database: releasing unlocks it, and it is kept
// for the next acquisition of the same file (see SqliteLockFiles).
class SqliteLockFiles {
public:
    // An open descriptor of `path`'s file, the same one for every name of it.
    static int descriptor_for(const std::string& path) {
        static SqliteLockFiles files;
        struct stat identity {};
        if (stat(path.c_str(), &identity) != 0) {
            throw HostError(ExitCode::refused, fmt::format("cannot lock the database file {}: {}", path, std::strerror(errno)));
        }
        const std::lock_guard guard(files.mutex_);
        if (const auto known = files.by_identity_.find({identity.st_dev, identity.st_ino});
            known != files.by_identity_.end()) {
            return known->second;
        }
        const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0) {
            throw HostError(ExitCode::refused, fmt::format("cannot lock the database file {}: {}", path, std::strerror(errno)));
        }
        // Keyed by what was opened: a file replaced since stat() gets its own
        // entry. (fstat cannot fail on a descriptor just opened; if it did,
        // the identity from stat() stands.)
        fstat(fd, &identity);
        return files.by_identity_.emplace(std::make_pair(identity.st_dev, identity.st_ino), fd).first->second;
    }

private:
    std::mutex mutex_;
    std::map<std::pair<dev_t, ino_t>, int> by_identity_;  // never closed, see above
};

class SqliteFileLock final : public RunLock {
public:
    SqliteFileLock(const std::string& database_file, std::chrono::seconds timeout)
        : path_(database_file), fd_(SqliteLockFiles::descriptor_for(database_file)) {
        const auto deadline = Clock::now() + timeout;
        while (flock(fd_, LOCK_EX | LOCK_NB) != 0) {
            if (errno != EWOULDBLOCK && errno != EINTR) {
                throw HostError(ExitCode::refused, fmt::format("cannot lock {}: {}", path_, std::strerror(errno)));
            }
            if (Clock::now() >= deadline) return;
            std::this_thread::sleep_for(poll_interval);
        }
        held_ = true;
    }
    ~SqliteFileLock() override {
        if (held_) flock(fd_, LOCK_UN);
    }
    std::string name() const override { return fmt::format("file lock on {}", path_); }

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
