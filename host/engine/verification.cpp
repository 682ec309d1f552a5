// Drift: the live schema against what the applied steps leave, built on a scratch database outside the live one.
// SPDX-License-Identifier: Apache-2.0
#include "engine/verification.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <set>

#include "engine/interrupt_cleanup.hpp"
#include "engine/locking.hpp"
#include "database/connection_keys.hpp"
#include "engine/scratch_database.hpp"
#include "exit_codes.hpp"
#include "plugins/host_api.hpp"

namespace migration_host {
namespace {

// Whether another migration-host holds the run lock now (tested without waiting, released at once): its steps may
// be changing the schema while it is read.
bool run_in_progress(const Session& session) {
    return RunLock::try_acquire(*session.connection, session.database, session.open_another) == nullptr;
}

// The version every track is at, as upgrade targets: the applied steps (none for a track at 0, which has none).
// Refused (exit 5) where the schema those steps leave cannot be known: a track no loaded plugin provides, or one
// ahead of them.
std::vector<UpgradeTarget> applied_targets(const Catalog& catalog, const DatabaseState& state) {
    std::vector<UpgradeTarget> targets;
    for (const auto& [track, version] : state.versions) {
        if (version <= 0) continue;
        if (!catalog.tracks().count(track)) {
            throw HostError(ExitCode::refused,
                            fmt::format("track {} is at version {}, but no loaded plugin provides it: the schema its "
                                        "steps leave is unknown (add its plugin to the plugin path)",
                                        track, version));
        }
        if (version > catalog.latest(track)) {
            throw HostError(
                ExitCode::refused,
                fmt::format("track {} is at version {}, ahead of the loaded plugins (latest {}): the schema "
                            "its steps leave is unknown",
                            track, version, catalog.latest(track)));
        }
        targets.push_back({track, version});
    }
    return targets;
}

// Runs `steps` (upgrades from nothing) on the scratch through the same step machinery as upgrade, each step in a
// transaction where DDL is transactional. The scratch gets the host's own tables first and each track's version is
// moved after its step, as upgrade does: a step may read or change them (cinder@1 converts migrate_version to utf8
// on MySQL with its own tables). No history row is written: nothing reads it, and the host's tables are not
// compared.
void build_expected(const ScratchDatabase& scratch, const std::vector<Step>& steps) {
    const VersionStore versions(scratch.connection(), scratch.database());
    versions.create_table_if_missing();
    HistoryStore(scratch.connection(), scratch.database()).create_table_if_missing();
    StepExecutor executor(&scratch.connection(), scratch.database());
    executor.set_aftermath(scratch.left_behind());
    std::set<std::string> registered;
    for (const auto& step : steps) {
        const Migration& migration = *step.migration;
        if (registered.insert(migration.ref.track).second) {
            versions.add_track(migration.ref.track, migration.plugin->path().string());
        }
        spdlog::debug("verify: running {} on the {}", migration.label(), scratch.description());
        std::optional<odbc::Transaction> transaction;
        if (scratch.database().dialect.transactional_ddl()) transaction.emplace(scratch.connection());
        const StepResult result = executor.run(migration.upgrade, migration.label(), migration.plugin->path().string());
        std::optional<std::string> failure;
        if (!result.succeeded) {
            failure = result.error;
        } else {
            failure = versions.compare_and_set(migration.ref.track, step.from_version(), step.to_version());
        }
        if (failure) {
            throw HostError(ExitCode::step_failed,
                            fmt::format("verify cannot build the expected schema: {} failed on the {}: {}; the "
                                        "database was not touched",
                                        migration.label(), scratch.description(), *failure));
        }
        if (transaction) transaction->commit();
    }
}

}  // namespace

VerifyResult verify_schema(const VerifyRequest& request) {
    VerifyResult result;
    const LoadedCatalog loaded = load_catalog(request.plugins);
    // Before either connection: a key the scratch's driver would ignore could send verify's build elsewhere.
    if (request.scratch) {
        check_connection_keys(*request.scratch, request.connection.allowed_connection_keys, "--scratch-dsn");
    }
    const auto session = open_session(request.connection, Access::read_only);
    const DatabaseState state = read_state(*session, loaded.catalog);
    result.run_in_progress = run_in_progress(*session);
    if (!result.run_in_progress && !state.dirty.empty()) {
        const auto& [track, dirty] = *state.dirty.begin();
        throw HostError(
            ExitCode::refused,
            fmt::format("track {} is dirty ({}): the schema it should have is unknown until 'migration-host "
                        "repair'",
                        track, dirty.describe()));
    }
    result.database = session->database;
    result.applied = applied_targets(loaded.catalog, state);
    const auto& targets = result.applied;
    // No targets means "every track to its latest" to the planner; here it means nothing is applied.
    const std::vector<Step> steps = targets.empty() ? std::vector<Step>{} : plan_upgrade(loaded.catalog, {}, targets);

    result.built_in = "nothing to build: no step is applied";
    if (!steps.empty()) {
        ScratchSettings settings;
        settings.live_connection_string = request.connection.effective_target().connection_string();
        if (request.scratch) settings.named_connection_string = request.scratch->connection_string();
        settings.login_timeout_seconds = request.connection.connect_timeout_seconds;
        settings.statement_timeout = session->connection->statement_timeout();
        settings.lock_timeout_seconds = request.lock_timeout_seconds;
        // From before the scratch exists until it is removed, an interrupt removes it first (one that comes while it
        // is being created leaves it to the next verify, which removes scratches whose creator is gone).
        InterruptCleanup interrupt("verify", request.interrupted);
        std::unique_ptr<ScratchDatabase> scratch;
        const auto remove_scratch = [&] { interrupt.exclusively([&] { scratch.reset(); }); };
        try {
            scratch = ScratchDatabase::create(session->environment, *session->connection, session->database, settings);
            interrupt.set_cleanup([&] { return scratch ? scratch->remove_from_elsewhere() : std::string(); });
            build_expected(*scratch, steps);
            result.expected = read_schema(scratch->connection(), scratch->database());
            result.built_in = scratch->description();
        } catch (...) {
            remove_scratch();
            throw;
        }
        remove_scratch();
    }
    const Schema live = read_schema(*session->connection, session->database);
    result.differences = compare_schemas(result.expected, live);
    return result;
}

}  // namespace migration_host
