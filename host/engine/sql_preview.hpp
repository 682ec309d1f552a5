// The sql command's engine side: plans from a database's state (read only) or from none, and renders the script.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "database/dialect.hpp"
#include "engine/planner.hpp"
#include "engine/session.hpp"
#include "engine/sql_script.hpp"

namespace migration_host {

struct SqlPreviewRequest {
    Direction direction = Direction::upgrade;
    std::vector<UpgradeTarget> upgrade_targets;  // upgrade: every track to its latest when empty
    std::optional<DowngradeTarget> downgrade_target;  // downgrade: TRACK@VERSION or TRACK@-N
    std::optional<Dialect> dialect;              // offline: no connection at all
    std::string database_name;                   // sql --database; "" for none
    PluginOptions plugins;
    ConnectionOptions connection;  // used when no dialect is given
};

// Where the plan starts from.
enum class ScriptOrigin {
    empty,     // no connection, an upgrade: an empty database is assumed
    latest,    // no connection, a downgrade: every track is assumed at its latest version
    database,  // read from the database
};

struct SqlPreview {
    LoadedCatalog loaded;  // the script's steps point into it
    SqlScript script;
    ScriptOrigin origin = ScriptOrigin::database;
};

// Loads the plugins, reads the database's state without the lock and without creating anything (or assumes one,
// offline: a relative target, which counts from the database's version, is then refused, exit 2), refuses a dirty
// track as the run would (exit 5), plans and renders. A step that fails when rendered
// is reported as the run would report it (exit 1); one that cannot be rendered offline ends the script there and
// is left for the caller to report after printing what comes before it.
SqlPreview preview_sql(const SqlPreviewRequest& request);

}  // namespace migration_host
