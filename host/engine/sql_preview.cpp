// The sql command's engine side: plans from a database's state (read only) or from none, and renders the script.
// SPDX-License-Identifier: Apache-2.0
#include "engine/sql_preview.hpp"

#include <fmt/format.h>

#include "engine/history.hpp"
#include "engine/version_state.hpp"
#include "exit_codes.hpp"

namespace migration_host {
namespace {

std::string dbms_name_of(const Dialect& dialect) {
    if (dialect == schema::Dialect::sqlite) return "SQLite";
    if (dialect == schema::Dialect::mysql) return "MySQL";
    return "PostgreSQL";
}

HostError sql_usage(const std::string& message) {
    return HostError(ExitCode::usage, message + " (see 'migration-host sql --help')");
}

std::vector<Step> plan(const Catalog& catalog, const VersionMap& versions, const SqlPreviewRequest& request) {
    if (request.direction == Direction::upgrade) return plan_upgrade(catalog, versions, request.upgrade_targets);
    return plan_downgrade(catalog, versions, downgrade_goal(catalog, versions, *request.downgrade_target));
}

// Offline there is no version to count steps from: the state the script assumes is not the database's, and a
// script counted from it would move a real database by another number of steps.
void refuse_relative_targets(const SqlPreviewRequest& request) {
    std::string relative;
    if (request.downgrade_target && !request.downgrade_target->version) {
        relative = request.downgrade_target->to_string();
    }
    for (const auto& target : request.upgrade_targets) {
        if (relative.empty() && target.steps_forward > 0) relative = target.to_string();
    }
    if (relative.empty()) return;
    throw sql_usage(
        fmt::format("{} counts from the version the database has, and --dialect renders without one: "
                    "give the version (TRACK@VERSION), or --dsn to count from that database's",
                    relative));
}

// As upgrade and downgrade refuse: a step after a half-applied one would be planned from a state nobody knows.
void refuse_dirty(const DatabaseState& state, const std::vector<Step>& steps, const SqlPreviewRequest& request) {
    std::vector<std::string> tracks;
    for (const auto& step : steps) tracks.push_back(step.migration->ref.track);
    if (request.downgrade_target) tracks.push_back(request.downgrade_target->track);
    for (const auto& target : request.upgrade_targets) tracks.push_back(target.track);
    for (const auto& track : tracks) {
        const auto dirty = state.dirty.find(track);
        if (dirty == state.dirty.end()) continue;
        throw HostError(ExitCode::refused,
                        fmt::format("track {} is {}: {}; the run would refuse, so no script is printed", track,
                                    state.run_in_progress ? "being migrated by another migration-host" : "dirty",
                                    dirty->second.describe()));
    }
}

}  // namespace

SqlPreview preview_sql(const SqlPreviewRequest& request) {
    if (request.dialect && *request.dialect == schema::Dialect::sqlite && !request.database_name.empty()) {
        throw sql_usage("--database does not apply to sqlite, whose databases have no name");
    }
    if (request.dialect) refuse_relative_targets(request);
    SqlPreview preview;
    preview.loaded = load_catalog(request.plugins);
    const Catalog& catalog = preview.loaded.catalog;

    ScriptStart start;
    start.database_name = request.database_name;
    start.rendered_by = current_run_by();
    std::vector<Step> steps;
    if (request.dialect) {
        start.database.dialect = *request.dialect;
        start.database.dbms_name = dbms_name_of(*request.dialect);
        if (request.direction == Direction::upgrade) {
            preview.origin = ScriptOrigin::empty;
        } else {
            // A downgrade starts where the host's upgrades left the database: its tables exist and every track is
            // at its latest version.
            preview.origin = ScriptOrigin::latest;
            for (const auto& [track, migrations] : catalog.tracks()) start.stored[track] = catalog.latest(track);
            start.version_table_exists = true;
            start.history_table_exists = true;
        }
        steps = plan(catalog, start.stored, request);
    } else {
        // Read only: no lock, nothing created (read_state_unlocked creates nothing).
        const auto session = open_session(request.connection, Access::read_only);
        if (!session->database.dialect.renders_scripts()) {
            throw HostError(ExitCode::usage, fmt::format("sql renders for sqlite, mysql and postgresql only, not {}",
                                                         session->database.dbms_name));
        }
        if (session->database.dialect == schema::Dialect::sqlite && !request.database_name.empty()) {
            throw sql_usage("--database does not apply to sqlite, whose databases have no name");
        }
        const DatabaseState state = read_state_unlocked(*session, catalog);
        start.database.dialect = session->database.dialect;
        start.database.dbms_name = session->database.dbms_name;
        start.stored = state.versions;
        start.version_table_exists = session->versions().table_exists();
        start.history_table_exists = table_exists(*session->connection, session->database, HistoryStore::table_name);
        steps = plan(catalog, start.stored, request);
        refuse_dirty(state, steps, request);
    }

    preview.script = render_sql_script(catalog, steps, request.direction, start);
    for (const auto& entry : preview.script.steps) {
        if (entry.rendered) continue;
        if (entry.fails) {
            // As upgrade and downgrade report a step that fails: no script leads up to it.
            throw HostError(ExitCode::step_failed,
                            fmt::format("{} fails when rendered offline, as it would in the run: {}; no script is "
                                        "printed",
                                        entry.step.migration->label(), entry.reason));
        }
        break;
    }
    return preview;
}

}  // namespace migration_host
