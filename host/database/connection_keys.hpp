// The connection-string and odbc.ini keys each known ODBC driver reads, and the check that a connection gives no other.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "database/connection_target.hpp"

namespace migration_host {

// Where a key is read: in a connection string, or in a DSN's odbc.ini section (where unixODBC itself also reads
// Driver, Description, Trace...).
enum class KeyPlace { connection_string, odbc_ini };

// Whether `driver` reads `key` (any case, as the drivers compare them) given in `place`. Always true for
// DriverKind::other: the host does not know that driver's keys.
bool is_known_connection_key(DriverKind driver, std::string_view key, KeyPlace place);

// The known key nearest to `key` by edit distance (any case), for a "did you mean" hint; nullopt when none is near
// enough to be a likely typo.
std::optional<std::string> nearest_connection_key(DriverKind driver, std::string_view key, KeyPlace place);

// Refuses (HostError(usage)) a connection whose string, or the odbc.ini section of the DSN it names, gives a key its
// driver does not read and `allowed` (--allow-connection-key, any case) does not name: the driver would ignore it
// and connect somewhere else, as psqlODBC does to the database named after the user for "Databse=". The message
// names the key and the nearest known one, never a value. For a driver the host does not know, logs (debug) that its
// keys are not checked. `named_by`, when given, names the option that gave the connection ("--scratch-dsn").
void check_connection_keys(const ConnectionTarget& target, const std::vector<std::string>& allowed,
                           std::string_view named_by = {});

}  // namespace migration_host
