// The run lock on a MariaDB Galera cluster: a lock row held cluster-wide by streaming replication on its own connection.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "database/database.hpp"
#include "database/odbc.hpp"
#include "engine/locking.hpp"

namespace migration_host {

// GET_LOCK is node-local on Galera (every node grants it), and a plain row lock is not seen by the other nodes
// until commit. With streaming replication (one fragment per statement) an uncommitted UPDATE of a row is
// replicated and row-locks it on every node at once: another node's UPDATE of the row waits (1205 when
// innodb_lock_wait_timeout runs out), and of two simultaneous claims one gets 1213. The holder's transaction stays
// open for the whole run and is rolled back to release the lock; the cluster also rolls it back when the holder's
// connection drops or its node leaves the cluster.
//
// DDL on Galera runs in total order and commits the session's open transaction, so the lock lives on a dedicated
// connection (opened with the ConnectionOpener) that never runs a step, kept alive for the whole run.
class GaleraLock final : public RunLock {
public:
    static constexpr const char* table_name = "migration_host_galera_lock";

    GaleraLock(const DatabaseInfo& database, ConnectionOpener open_connection);
    ~GaleraLock() override;
    std::string name() const override;
    std::optional<std::string> holder() const override;

protected:
    bool take_within(std::chrono::seconds wait) override;

private:
    // The lock connection, opened and prepared at the first attempt: session settings, the lock table and its row.
    const odbc::Connection& lock_connection();

    std::string database_name_;
    std::string step_node_;  // the node the step connection reached
    ConnectionOpener open_connection_;
    std::unique_ptr<odbc::Connection> connection_;
};

}  // namespace migration_host
