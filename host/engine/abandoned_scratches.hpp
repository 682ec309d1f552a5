// Scratches that a verify left behind when its process or session ended first: found and removed by the next one.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>

#include "database/database.hpp"
#include "database/odbc.hpp"

namespace migration_host {

// Removes the scratches of this host's naming that their creator left behind (killed, or a crash in a step): on the
// server behind `connection` (MySQL/MariaDB: a database whose named lock nobody holds; PostgreSQL: a database this
// user may drop whose creating backend is gone and that nobody is connected to), or in the temporary directory
// (SQLite: a directory of this user whose creating process is gone, its pid unused or used by a process that started
// at another time). Not on a Galera cluster, where a named lock is only its node's. Each removal is logged. Never
// throws.
void remove_abandoned_scratches(const odbc::Connection* connection, const DatabaseInfo& database);

// The start time of process `pid` in clock ticks since boot (/proc/PID/stat, field 22); nullopt when unknown.
std::optional<std::uint64_t> process_start_time(pid_t pid);

// This user's scratch directories in the temporary directory whose creating process is gone.
void remove_abandoned_directories();

}  // namespace migration_host
