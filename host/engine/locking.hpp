// The run lock that makes concurrent hosts safe: GET_LOCK on MySQL, an advisory lock on PostgreSQL, a flock on the SQLite database file.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "database/database.hpp"
#include "database/odbc.hpp"
#include "engine/run_events.hpp"

namespace migration_host {

// Opens another connection to the same database with the same options. A lock that must not live on the connection
// that runs the steps (DDL may commit its transaction) opens its own with it, and owns what it opens.
using ConnectionOpener = std::function<std::unique_ptr<odbc::Connection>()>;

// Held for a whole run by the connection that runs the steps (for SQLite:
// by this process, on the database file itself; on Galera: by a dedicated
// second connection, see engine/galera_lock.hpp). Every kind is released
// by the database or the kernel when its holder dies, so a crashed host
// leaves no stuck lock. Released on destruction.
// Any other database gets the portable lease lock (engine/lease_lock.hpp): a
// row on a connection of its own, which a crashed holder leaves behind until
// its lease expires.
class RunLock {
public:
    // Waits up to `timeout` for the lock; throws HostError(refused) naming
    // the lock, and its holder where the database can tell, when it expires.
    // While waiting, reports who holds it (run_event::LockWaiting), then again
    // every few seconds: a silent wait of up to --lock-timeout looks like a hang.
    static std::unique_ptr<RunLock> acquire(const odbc::Connection& connection, const DatabaseInfo& database,
                                            std::chrono::seconds timeout, const ConnectionOpener& open_connection,
                                            const RunReporter& reporter);
    // Takes the lock only if it is free now; nullptr when another run holds it.
    static std::unique_ptr<RunLock> try_acquire(const odbc::Connection& connection, const DatabaseInfo& database,
                                                const ConnectionOpener& open_connection);
    virtual ~RunLock() = default;
    // e.g. "MySQL GET_LOCK('migration_host:cinder')"
    virtual std::string name() const = 0;
    // Who holds the lock now, as far as the database (or the kernel, for a
    // file) can tell; nullopt when it cannot, or nobody does.
    virtual std::optional<std::string> holder() const { return std::nullopt; }
    // False once the lock may no longer be this run's: a lease that could not be renewed in time or that another
    // host took over. Locks the database frees only with their holder's session never stop being held.
    virtual bool still_held() const { return true; }
    // Called before each step: throws HostError(refused) naming the lock, why it was lost and the step not run, so
    // that a run that lost its lock starts nothing more.
    void require_held(const std::string& next_step) const;

protected:
    // Called by acquire before its first attempt: creates what the lock needs (the lease lock's table and row).
    // try_acquire, which the read-only commands use, does not call it: they create nothing.
    virtual void prepare() {}
    // Why still_held() is false.
    virtual std::string why_not_held() const { return {}; }
    // One attempt that waits at most `wait` (zero: none); true when it took the lock.
    virtual bool take_within(std::chrono::seconds wait) = 0;
    bool held_ = false;  // only then does the destructor release it

private:
    static std::unique_ptr<RunLock> create(const odbc::Connection& connection, const DatabaseInfo& database,
                                           const ConnectionOpener& open_connection);
};

}  // namespace migration_host
