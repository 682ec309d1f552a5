// The portable run lock for databases without a server-side one: a leased row in migration_host_lock, kept alive from a connection of its own.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "database/database.hpp"
#include "database/odbc.hpp"
#include "engine/locking.hpp"

namespace migration_host {

// The host's lock table: one row per lock, claimed by a conditional UPDATE. See docs/locking.md, "The portable lease
// lock", for why the lease is a heartbeat counter rather than a time.
inline constexpr const char* lease_lock_table = "migration_host_lock";

// MIGRATION_HOST_FORCE_PORTABLE_LOCK=1: the lease lock even where the database has a lock of its own (SQLite,
// MySQL/MariaDB, PostgreSQL), so that the tests can run it against real servers. Not in --help: not for production.
bool portable_lock_forced();

// How long a holder's lease lasts without renewal: MIGRATION_HOST_LOCK_LEASE_SECONDS (2 to 3600), default 30. The
// holder renews it every third of that and writes it into the row, so that every waiter uses the holder's length.
// Throws HostError(usage) for a malformed value.
std::chrono::seconds lease_length();

// The lease lock on `connection`'s database. It does its work on a connection of its own from `open_connection`,
// opened by prepare() (acquire): try_acquire only reads the row, on `connection`, and creates nothing.
std::unique_ptr<RunLock> make_lease_lock(const odbc::Connection& connection, const DatabaseInfo& database,
                                         const ConnectionOpener& open_connection);

// What `migration-host unlock` did.
struct UnlockOutcome {
    enum class Kind {
        not_locked,  // nobody held the lock (or there is no lock table): nothing changed
        released,    // the row was cleared
        refused,     // the holder's lease is alive and --force was not given: nothing changed
    };
    Kind kind = Kind::not_locked;
    std::string message;  // one line: who held it, and what was done
};

// Clears the lease lock's row. Without `force` only a lease that is dead: the heartbeat is watched for one whole
// lease (the holder's length, from the row), and the row cleared only if it did not move, in one conditional UPDATE
// that a renewal racing it defeats. With `force` at once: a live holder finds its row gone at its next renewal and
// stops before its next step.
UnlockOutcome unlock_lease_lock(const odbc::Connection& connection, const DatabaseInfo& database, bool force);

}  // namespace migration_host
