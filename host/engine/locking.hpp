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

namespace migration_host {

// Opens another connection to the same database with the same options (a lock that must not live on the
// connection that runs the steps, e.g. on Galera, where DDL commits the session's transaction). The lock object
// owns what it opens.
using ConnectionOpener = std::function<std::unique_ptr<odbc::Connection>()>;

// Held for a whole run by the connection that runs the steps (for SQLite:
// by this process, on the database file itself; on Galera: by a dedicated
// second connection, see engine/galera_lock.hpp). Every kind is released
// by the database or the kernel when its holder dies, so a crashed host
// leaves no stuck lock. Released on destruction.
class RunLock {
public:
    // Waits up to `timeout` for the lock; throws HostError(refused) naming
    // the lock, and its holder where the database can tell, when it expires.
    // While waiting, says (log level info) who holds it, then again every few
    // seconds: a silent wait of up to --lock-timeout looks like a hang.
    static std::unique_ptr<RunLock> acquire(const odbc::Connection& connection, const DatabaseInfo& database,
                                            std::chrono::seconds timeout, const ConnectionOpener& open_connection);
    // Takes the lock only if it is free now; nullptr when another run holds it.
    static std::unique_ptr<RunLock> try_acquire(const odbc::Connection& connection, const DatabaseInfo& database,
                                                const ConnectionOpener& open_connection);
    virtual ~RunLock() = default;
    // e.g. "MySQL GET_LOCK('migration_host:cinder')"
    virtual std::string name() const = 0;
    // Who holds the lock now, as far as the database (or the kernel, for a
    // file) can tell; nullopt when it cannot, or nobody does.
    virtual std::optional<std::string> holder() const { return std::nullopt; }

protected:
    // One attempt that waits at most `wait` (zero: none); true when it took the lock.
    virtual bool take_within(std::chrono::seconds wait) = 0;
    bool held_ = false;  // only then does the destructor release it

private:
    static std::unique_ptr<RunLock> create(const odbc::Connection& connection, const DatabaseInfo& database,
                                           const ConnectionOpener& open_connection);
};

}  // namespace migration_host
