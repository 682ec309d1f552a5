// The inspect and verify commands: the live schema, and drift against what the applied steps should have left.
// SPDX-License-Identifier: Apache-2.0
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <optional>
#include <set>

#include "command_line/cli.hpp"
#include "command_line/output.hpp"
#include "exit_codes.hpp"
#include "command_line/config.hpp"
#include "command_line/interrupt_cleanup.hpp"
#include "engine/session.hpp"
#include "database/schema_catalog.hpp"
#include "engine/locking.hpp"
#include "engine/schema_drift.hpp"
#include "engine/scratch_database.hpp"
#include "plugins/host_api.hpp"

namespace migration_host {
namespace {

std::string column_list(const std::vector<std::string>& columns) {
    return fmt::format("({})", fmt::join(columns, ", "));
}

nlohmann::json optional_json(const std::optional<std::int64_t>& value) {
    return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
}

nlohmann::json columns_json(const std::vector<SchemaColumn>& columns) {
    nlohmann::json listed = nlohmann::json::array();
    for (const auto& column : columns) {
        listed.push_back({{"name", column.name},
                          {"type", column.type},
                          {"size", optional_json(column.size)},
                          {"scale", optional_json(column.scale)},
                          {"nullable", column.nullable},
                          {"default", column.default_value ? nlohmann::json(*column.default_value) : nullptr},
                          {"auto_increment", column.auto_increment}});
    }
    return listed;
}

nlohmann::json table_json(const SchemaTable& table, const DatabaseInfo& database) {
    nlohmann::json foreign_keys = nlohmann::json::array();
    for (const auto& key : table.foreign_keys) {
        foreign_keys.push_back({{"name", key.name.empty() ? nlohmann::json(nullptr) : nlohmann::json(key.name)},
                                {"columns", key.columns},
                                {"referenced_table", key.referenced_table},
                                {"referenced_columns", key.referenced_columns}});
    }
    nlohmann::json indexes = nlohmann::json::array();
    for (const auto& index : table.indexes) {
        indexes.push_back({{"name", index.name.empty() ? nlohmann::json(nullptr) : nlohmann::json(index.name)},
                           {"unique", index.unique},
                           {"columns", index.columns}});
    }
    nlohmann::json result = {{"name", table.name},
                             {"columns", columns_json(table.columns)},
                             {"primary_key", table.primary_key},
                             {"foreign_keys", std::move(foreign_keys)},
                             {"indexes", std::move(indexes)}};
    if (database.dialect == "mysql") {
        result["engine"] = table.engine;
        result["charset"] = table.charset;
        result["collation"] = table.collation;
    }
    return result;
}

// One block per table: a heading, then one line per column, key and index, each line standing on its own (a
// script can grep for "  column size " or "  index ").
void print_table(const SchemaTable& table, const DatabaseInfo& database) {
    print_line(fmt::format("table {}", table.name));
    if (database.dialect == "mysql") {
        print_line(fmt::format("  engine {}, charset {}, collation {}", table.engine, table.charset, table.collation));
    }
    for (const auto& column : table.columns)
        print_line(fmt::format("  column {} {}", column.name, definition_text(column)));
    if (!table.primary_key.empty()) print_line(fmt::format("  primary key {}", column_list(table.primary_key)));
    for (const auto& key : table.foreign_keys) {
        print_line(fmt::format("  foreign key {} -> {} {}{}", column_list(key.columns), key.referenced_table,
                               column_list(key.referenced_columns), key.name.empty() ? "" : " (" + key.name + ")"));
    }
    for (const auto& index : table.indexes) {
        print_line(fmt::format("  {}index {} {}", index.unique ? "unique " : "",
                               index.name.empty() ? "(unnamed)" : index.name, column_list(index.columns)));
    }
}

// A view's block: its heading and its columns, as a table's.
void print_view(const SchemaView& view) {
    print_line(fmt::format("view {}", view.name));
    for (const auto& column : view.columns)
        print_line(fmt::format("  column {} {}", column.name, definition_text(column)));
}

nlohmann::json database_json(const DatabaseInfo& database) {
    return {{"dialect", database.dialect}, {"name", database.database_name}};
}

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
        if (has_transactional_ddl(scratch.database())) transaction.emplace(scratch.connection());
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

// "12 tables", "1 table and 1 view": views are named only where there are some.
std::string relation_count(const Schema& schema) {
    const auto count = [](std::size_t n, const char* noun) {
        return fmt::format("{} {}{}", n, noun, n == 1 ? "" : "s");
    };
    if (schema.views.empty()) return count(schema.tables.size(), "table");
    return count(schema.tables.size(), "table") + " and " + count(schema.views.size(), "view");
}

std::string applied_list(const std::vector<UpgradeTarget>& targets) {
    std::vector<std::string> labels;
    for (const auto& target : targets) labels.push_back(fmt::format("{}@{}", target.track, target.version.value_or(0)));
    return labels.empty() ? std::string("no applied steps") : fmt::format("{}", fmt::join(labels, ", "));
}

}  // namespace

// A --table that the database does not have is the database's state, not a usage error: exit 5, naming it. A
// --table may name a view.
ExitCode run_inspect(const Invocation& invocation) {
    const auto session = open_session(connection_options(invocation.global), Access::read_only);
    const std::vector<std::string>& wanted = invocation.options.tables;
    if (!wanted.empty()) {
        const Relations existing = list_relations(*session->connection, session->database);
        std::vector<std::string> missing;
        for (const auto& name : wanted) {
            if (!std::binary_search(existing.tables.begin(), existing.tables.end(), name) &&
                !std::binary_search(existing.views.begin(), existing.views.end(), name)) {
                missing.push_back(name);
            }
        }
        if (!missing.empty()) {
            throw HostError(ExitCode::refused, fmt::format("no table {} in the database", fmt::join(missing, ", ")));
        }
    }
    const Schema schema = read_schema(*session->connection, session->database, wanted);
    if (invocation.options.format == OutputFormat::json) {
        nlohmann::json tables = nlohmann::json::array();
        for (const auto& table : schema.tables) tables.push_back(table_json(table, session->database));
        nlohmann::json views = nlohmann::json::array();
        for (const auto& view : schema.views)
            views.push_back({{"name", view.name}, {"columns", columns_json(view.columns)}});
        print_json({{"database", database_json(session->database)},
                    {"tables", std::move(tables)},
                    {"views", std::move(views)}});
        return ExitCode::success;
    }
    if (schema.tables.empty() && schema.views.empty()) {
        print_line("No tables (other than the host's own).");
        return ExitCode::success;
    }
    bool first = true;
    const auto separate = [&first] {
        if (!first) print_line("");
        first = false;
    };
    for (const auto& table : schema.tables) {
        separate();
        print_table(table, session->database);
    }
    for (const auto& view : schema.views) {
        separate();
        print_view(view);
    }
    return ExitCode::success;
}

// Read-only on the database: the expected schema is built elsewhere (ScratchDatabase), and no lock is taken, so a
// run in progress is only reported.
ExitCode run_verify(const Invocation& invocation) {
    const LoadedCatalog loaded = load_catalog(plugin_options(invocation.global));
    const auto session = open_session(connection_options(invocation.global), Access::read_only);
    const DatabaseState state = read_state(*session, loaded.catalog);
    const bool busy = run_in_progress(*session);
    if (!busy && !state.dirty.empty()) {
        const auto& [track, dirty] = *state.dirty.begin();
        throw HostError(
            ExitCode::refused,
            fmt::format("track {} is dirty ({}): the schema it should have is unknown until 'migration-host "
                        "repair'",
                        track, dirty.describe()));
    }
    const auto targets = applied_targets(loaded.catalog, state);
    // No targets means "every track to its latest" to the planner; here it means nothing is applied.
    const std::vector<Step> steps = targets.empty() ? std::vector<Step>{} : plan_upgrade(loaded.catalog, {}, targets);

    Schema expected;
    std::string built_in = "nothing to build: no step is applied";
    if (!steps.empty()) {
        ScratchSettings settings;
        settings.live_connection_string = connection_options(invocation.global).effective_target().connection_string();
        if (invocation.global.scratch_dsn) {
            settings.named_connection_string =
                ConnectionTarget::parse(*invocation.global.scratch_dsn, "--scratch-dsn").connection_string();
        }
        settings.login_timeout_seconds = invocation.global.connect_timeout_seconds;
        settings.statement_timeout = session->connection->statement_timeout();
        settings.lock_timeout_seconds = invocation.global.lock_timeout_seconds;
        // From before the scratch exists until it is removed, an interrupt removes it first (one that comes while it
        // is being created leaves it to the next verify, which removes scratches whose creator is gone).
        InterruptCleanup interrupt("verify");
        std::unique_ptr<ScratchDatabase> scratch;
        const auto remove_scratch = [&] { interrupt.exclusively([&] { scratch.reset(); }); };
        try {
            scratch = ScratchDatabase::create(session->environment, *session->connection, session->database, settings);
            interrupt.set_cleanup([&] { return scratch ? scratch->remove_from_elsewhere() : std::string(); });
            build_expected(*scratch, steps);
            expected = read_schema(scratch->connection(), scratch->database());
            built_in = scratch->description();
        } catch (...) {
            remove_scratch();
            throw;
        }
        remove_scratch();
    }
    const Schema live = read_schema(*session->connection, session->database);
    const auto differences = compare_schemas(expected, live);
    const std::string applied = applied_list(targets);

    if (invocation.options.format == OutputFormat::json) {
        nlohmann::json listed = nlohmann::json::array();
        for (const auto& difference : differences) {
            listed.push_back({{"table", difference.table},
                              {"kind", difference.kind},
                              {"object", difference.object},
                              {"attribute", difference.attribute},
                              {"expected", difference.expected},
                              {"found", difference.found},
                              {"message", difference.describe()}});
        }
        nlohmann::json tracks = nlohmann::json::object();
        for (const auto& target : targets) tracks[target.track] = target.version.value_or(0);
        print_json({{"database", database_json(session->database)},
                    {"applied", std::move(tracks)},
                    {"expected_tables", expected.tables.size()},
                    {"expected_views", expected.views.size()},
                    {"run_in_progress", busy},
                    {"clean", differences.empty()},
                    {"differences", std::move(listed)}});
    } else {
        if (busy) {
            print_line(
                "note: another migration-host is running against this database; its steps may be changing "
                "the schema being compared");
        }
        print_line(fmt::format("Expected: what {} leave{} ({})", applied, targets.size() == 1 ? "s" : "", built_in));
        for (const auto& difference : differences) print_line(difference.describe());
        if (differences.empty()) {
            print_line(fmt::format("No drift: the database has exactly the {} the applied steps create.",
                                   relation_count(expected)));
        }
    }
    if (!differences.empty()) {
        throw HostError(ExitCode::refused,
                        fmt::format("schema drift: {} difference{} from what {} should have left (listed {})",
                                    differences.size(), differences.size() == 1 ? "" : "s", applied,
                                    invocation.options.format == OutputFormat::json ? "in the JSON" : "above"));
    }
    return ExitCode::success;
}

}  // namespace migration_host
