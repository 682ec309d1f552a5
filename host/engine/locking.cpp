// The run lock that makes concurrent hosts safe: GET_LOCK on MySQL, an advisory lock on PostgreSQL, a flock on the SQLite database file.
// SPDX-License-Identifier: Apache-2.0
#include "engine/locking.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <functional>
#include <sstream>
#include <map>
#include <mutex>
#include <thread>
#include <utility>

#include "engine/galera_lock.hpp"
#include "engine/lease_lock.hpp"
#include "exit_codes.hpp"

namespace migration_host {
namespace {

using Clock = std::chrono::steady_clock;
constexpr auto poll_interval = std::chrono::milliseconds(50);

// How often a waiting run says it is still waiting.
constexpr auto progress_interval = std::chrono::seconds(5);

std::string held_by(const std::optional<std::string>& holder) {
    return holder ? ", held by " + *holder : std::string();
}

HostError lock_timeout(const RunLock& lock, std::chrono::seconds timeout) {
    return HostError(ExitCode::lock_timeout,
                     fmt::format("timed out after {} s waiting for the lock {}{}: another migration-host is running "
                                 "against this database (raise --lock-timeout to wait longer)",
                                 timeout.count(), lock.name(), held_by(lock.holder())));
}

// Who holds a lock is a courtesy to the operator: a server that will not say (no privilege on the process list)
// must not fail the run.
std::optional<std::string> ask_holder(const odbc::Connection& connection, const std::string& sql,
                                      const std::vector<odbc::Parameter>& parameters,
                                      const std::function<std::optional<std::string>(const odbc::Row&)>& describe) {
    try {
        const auto rows = connection.query(sql, parameters);
        if (rows.empty()) return std::nullopt;
        return describe(rows.front());
    } catch (const odbc::Error& error) {
        spdlog::debug("cannot tell who holds the run lock: {}", error.what());
        return std::nullopt;
    }
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
    MysqlLock(const odbc::Connection& connection, const DatabaseInfo& database)
        : connection_(connection), key_(("migration_host:" + database.database_name).substr(0, 64)) {}
    ~MysqlLock() override {
        if (held_) release_session_lock(connection_, "SELECT RELEASE_LOCK(?)", key_, name());
    }
    std::string name() const override { return fmt::format("MySQL GET_LOCK('{}')", key_); }
    std::optional<std::string> holder() const override {
        // PROCESSLIST shows other users' sessions only with the PROCESS privilege; without it the id alone.
        return ask_holder(connection_,
                          "SELECT IS_USED_LOCK(?), (SELECT CONCAT(USER, '@', HOST, ', ', TIME, ' s in its current "
                          "state') FROM information_schema.PROCESSLIST WHERE ID = IS_USED_LOCK(?))",
                          {key_, key_}, [](const odbc::Row& row) -> std::optional<std::string> {
                              if (row.empty() || !row[0]) return std::nullopt;
                              const std::string who = row.size() > 1 && row[1] ? " (" + *row[1] + ")" : "";
                              return "connection " + *row[0] + who;
                          });
    }

protected:
    bool take_within(std::chrono::seconds wait) override {
        // GET_LOCK waits itself: --statement-timeout must not cut that wait short.
        const odbc::WithoutStatementTimeout own_bound(connection_);
        const auto rows = connection_.query("SELECT GET_LOCK(?, ?)", {key_, static_cast<std::int64_t>(wait.count())});
        const auto result = rows.at(0).at(0);
        return result && *result == "1";
    }

private:
    const odbc::Connection& connection_;
    std::string key_;
};

// Advisory locks are per database in PostgreSQL, so one fixed key serves.
// Session-level: freed when the session ends.
class PostgresqlLock final : public RunLock {
public:
    static constexpr std::int64_t key = 0x6d69677261746531;  // "migrate1"

    explicit PostgresqlLock(const odbc::Connection& connection) : connection_(connection) {}
    ~PostgresqlLock() override {
        if (held_) release_session_lock(connection_, "SELECT pg_advisory_unlock(?)", key, name());
    }
    std::string name() const override { return fmt::format("PostgreSQL pg_advisory_lock({})", key); }
    std::optional<std::string> holder() const override {
        // pg_locks shows a bigint advisory key as two 32-bit halves, objsubid 1. Literals, not parameters: the
        // halves compare with oid columns, which have no operator for the int8 a parameter would bind as.
        const auto high = (static_cast<std::uint64_t>(key) >> 32) & 0xffffffffU;
        const auto low = static_cast<std::uint64_t>(key) & 0xffffffffU;
        return ask_holder(
            connection_,
            fmt::format("SELECT a.pid, a.usename, host(a.client_addr), a.application_name, "
                        "to_char(a.backend_start AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') "
                        "FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' "
                        "AND l.granted AND l.classid = {} AND l.objid = {} AND l.objsubid = 1 AND l.database = "
                        "(SELECT oid FROM pg_database WHERE datname = current_database())",
                        high, low),
            {}, [](const odbc::Row& row) -> std::optional<std::string> {
                if (row.size() < 5 || !row[0]) return std::nullopt;
                std::string who = "backend " + *row[0] + " (user " + row[1].value_or("?");
                who += row[2] ? " from " + *row[2] : std::string(" on the local socket");
                if (row[3] && !row[3]->empty()) who += ", application " + *row[3];
                if (row[4]) who += ", connected " + *row[4];
                return who + ")";
            });
    }

protected:
    bool take_within(std::chrono::seconds wait) override {
        // Polled, so that the wait can end without touching session settings.
        const auto deadline = Clock::now() + wait;
        for (;;) {
            const auto rows = connection_.query("SELECT pg_try_advisory_lock(?)", {key});
            const auto result = rows.at(0).at(0).value_or("");
            if (result == "1" || result == "t" || result == "true") return true;
            if (Clock::now() >= deadline) return false;
            std::this_thread::sleep_for(poll_interval);
        }
    }

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

// The process holding a flock on the file behind `fd`, from Linux's /proc/locks (lines such as
// "1: FLOCK  ADVISORY  WRITE 4242 fd:01:1234 0 EOF": pid, then device major:minor in hex and the inode). Only the
// command name is shown: a command line may hold a password.
std::optional<std::string> flock_holder(int fd) {
    struct stat identity {};
    if (fstat(fd, &identity) != 0) return std::nullopt;
    const std::string device =
        fmt::format("{:02x}:{:02x}:{}", major(identity.st_dev), minor(identity.st_dev), identity.st_ino);
    std::ifstream locks("/proc/locks");
    std::string line;
    while (std::getline(locks, line)) {
        std::istringstream fields(line);
        std::string number, kind, mode, access, pid, where;
        if (!(fields >> number >> kind) || kind != "FLOCK") continue;  // "->" marks a waiter, not a holder
        if (!(fields >> mode >> access >> pid >> where) || where != device) continue;
        std::ifstream comm_file("/proc/" + pid + "/comm");
        std::string command;
        std::getline(comm_file, command);
        return "process " + pid + (command.empty() ? std::string() : " (" + command + ")");
    }
    return std::nullopt;
}

class SqliteFileLock final : public RunLock {
public:
    explicit SqliteFileLock(const std::string& database_file)
        : path_(database_file), fd_(SqliteLockFiles::descriptor_for(database_file)) {}
    ~SqliteFileLock() override {
        if (held_) flock(fd_, LOCK_UN);
    }
    std::string name() const override { return fmt::format("file lock on {}", path_); }
    std::optional<std::string> holder() const override { return flock_holder(fd_); }

protected:
    bool take_within(std::chrono::seconds wait) override {
        const auto deadline = Clock::now() + wait;
        while (flock(fd_, LOCK_EX | LOCK_NB) != 0) {
            if (errno != EWOULDBLOCK && errno != EINTR) {
                throw HostError(ExitCode::refused, fmt::format("cannot lock {}: {}", path_, std::strerror(errno)));
            }
            if (Clock::now() >= deadline) return false;
            std::this_thread::sleep_for(poll_interval);
        }
        return true;
    }

private:
    std::string path_;
    int fd_ = -1;
};

class NoLock final : public RunLock {
public:
    std::string name() const override { return "none"; }

protected:
    bool take_within(std::chrono::seconds) override { return true; }
};

std::string sqlite_main_file(const odbc::Connection& connection) {
    for (const auto& row : connection.query("PRAGMA database_list")) {
        if (row.size() >= 3 && row[1] == std::optional<std::string>("main")) return row[2].value_or("");
    }
    return "";
}

}  // namespace

std::unique_ptr<RunLock> RunLock::acquire(const odbc::Connection& connection, const DatabaseInfo& database,
                                          std::chrono::seconds timeout, const ConnectionOpener& open_connection,
                                          const RunReporter& reporter) {
    auto lock = create(connection, database, open_connection);
    lock->prepare();
    const auto start = Clock::now();
    lock->held_ = lock->take_within(std::chrono::seconds(0));
    bool waited_at_all = false;
    if (!lock->held_ && timeout.count() > 0) {
        waited_at_all = true;
        reporter.report(run_event::LockWaiting{lock->name(), lock->holder(), std::chrono::seconds(0), timeout});
        // Whole seconds, so that GET_LOCK's integer wait and the deadline agree.
        for (auto waited = std::chrono::seconds(0); !lock->held_ && waited < timeout;) {
            const auto slice = std::min(progress_interval, timeout - waited);
            lock->held_ = lock->take_within(slice);
            waited += slice;
            if (!lock->held_ && waited < timeout) {
                reporter.report(run_event::LockWaiting{lock->name(), lock->holder(), waited, timeout});
            }
        }
    }
    if (!lock->held_) throw lock_timeout(*lock, timeout);
    reporter.report(run_event::LockAcquired{
        lock->name(), waited_at_all ? std::optional<std::chrono::duration<double>>(Clock::now() - start)
                                    : std::nullopt});
    return lock;
}

std::unique_ptr<RunLock> RunLock::try_acquire(const odbc::Connection& connection, const DatabaseInfo& database,
                                              const ConnectionOpener& open_connection) {
    auto lock = create(connection, database, open_connection);
    lock->held_ = lock->take_within(std::chrono::seconds(0));
    if (!lock->held_) return nullptr;
    return lock;
}

void RunLock::require_held(const std::string& next_step) const {
    if (still_held()) return;
    throw HostError(ExitCode::refused,
                    fmt::format("lost the run lock {} before {}: {}; the steps before it stay applied, {} and later "
                                "steps were not run",
                                name(), next_step, why_not_held(), next_step));
}

std::unique_ptr<RunLock> RunLock::create(const odbc::Connection& connection, const DatabaseInfo& database,
                                         const ConnectionOpener& open_connection) {
    const bool in_memory_sqlite = database.dialect == schema::Dialect::sqlite && sqlite_main_file(connection).empty();
    if (portable_lock_forced() && !in_memory_sqlite) {
        spdlog::debug("MIGRATION_HOST_FORCE_PORTABLE_LOCK: the portable lease lock instead of the {} one",
                      database.dialect);
        return make_lease_lock(connection, database, open_connection);
    }
    switch (database.dialect.run_lock()) {
        case Dialect::RunLockKind::named_lock:
            // GET_LOCK is node-local on Galera: every node would grant it.
            if (database.galera) return std::make_unique<GaleraLock>(database, open_connection);
            return std::make_unique<MysqlLock>(connection, database);
        case Dialect::RunLockKind::advisory_lock: return std::make_unique<PostgresqlLock>(connection);
        case Dialect::RunLockKind::file_lock: {
            const std::string file = sqlite_main_file(connection);
            if (!file.empty()) return std::make_unique<SqliteFileLock>(file);
            spdlog::debug("in-memory SQLite database: no other process can reach it, no lock needed");
            return std::make_unique<NoLock>();
        }
        case Dialect::RunLockKind::lease: break;
    }
    // No server-side lock that ODBC can reach portably: a leased row in a table of the host's own.
    return make_lease_lock(connection, database, open_connection);
}

}  // namespace migration_host
