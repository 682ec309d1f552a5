// Prints the SQL an upgrade or downgrade would run, rendered offline, for a DBA to review or run (the sql command).
// SPDX-License-Identifier: Apache-2.0
#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "command_line/cli.hpp"
#include "command_line/output.hpp"
#include "engine/offline.hpp"
#include "engine/sql_preview.hpp"
#include "engine/utf8.hpp"
#include "exit_codes.hpp"

namespace migration_host {
namespace {

HostError sql_usage(const std::string& message) {
    return HostError(ExitCode::usage, message + " (see 'migration-host sql --help')");
}

// What the command was asked for, checked before anything is loaded or connected.
SqlPreviewRequest parse_request(const Invocation& invocation) {
    SqlPreviewRequest request;
    const auto& arguments = invocation.arguments;
    const std::string& action = arguments.at(0);
    const std::vector<std::string> targets(arguments.begin() + 1, arguments.end());
    if (action == "upgrade") {
        request.upgrade_targets = parse_upgrade_targets(targets);
    } else if (action == "downgrade") {
        request.direction = Direction::downgrade;
        if (targets.size() != 1) throw sql_usage("sql downgrade needs one TRACK@VERSION or TRACK@-N");
        request.downgrade_target = parse_downgrade_target_argument(targets.front());
    } else {
        throw sql_usage(fmt::format("sql needs upgrade or downgrade first, not '{}'", action));
    }
    if (invocation.options.dialect) {
        // The default connection (MIGRATION_HOST_DSN, the SQLite file) gives way to --dialect; a --dsn given as
        // well would be ignored silently, so it is refused.
        if (invocation.global.dsn) throw sql_usage("give --dialect or --dsn, not both");
        request.dialect = Dialect::named(*invocation.options.dialect);
        if (!request.dialect) {
            throw sql_usage(fmt::format("invalid --dialect '{}': expected sqlite, mysql or postgresql",
                                        *invocation.options.dialect));
        }
    }
    request.database_name = invocation.options.database_name.value_or("");
    request.plugins = plugin_options(invocation.global);
    request.connection = connection_options(invocation.global);
    return request;
}

// Where the plan starts from, in words and in JSON.
std::string describe_origin(ScriptOrigin origin, const SqlScript& script) {
    std::string versions;
    for (const auto& [track, version] : script.from) {
        versions += fmt::format("{}{} at {}", versions.empty() ? "" : ", ", track, version);
    }
    if (versions.empty()) versions = "no tracks";
    switch (origin) {
        case ScriptOrigin::empty:
            return versions + " (no connection: an empty database is assumed)";
        case ScriptOrigin::latest:
            return versions +
                   " (no connection: every track is assumed at its latest version; give --dsn to plan "
                   "from a database's real versions)";
        case ScriptOrigin::database:
            break;
    }
    return versions + " (read from the database)";
}

const char* origin_name(ScriptOrigin origin) {
    switch (origin) {
        case ScriptOrigin::empty:
            return "empty";
        case ScriptOrigin::latest:
            return "latest";
        case ScriptOrigin::database:
            break;
    }
    return "database";
}

std::string step_heading(const ScriptStep& entry) {
    const Migration& migration = *entry.step.migration;
    return fmt::format("{} {} -> {}: {} (plugin {} {})", migration.ref.track, entry.step.from_version(),
                       entry.step.to_version(), migration.name, migration.plugin->id(), migration.plugin->version());
}

// The live command that runs what the script cannot.
std::string live_command(const SqlScript& script, const ScriptStep& entry) {
    const Migration& migration = *entry.step.migration;
    return fmt::format("migration-host {} {}@{}", script.direction == Direction::upgrade ? "upgrade" : "downgrade",
                       migration.ref.track, entry.step.to_version());
}

const ScriptStep* first_unrendered(const SqlScript& script) {
    for (const auto& entry : script.steps) {
        if (!entry.rendered) return &entry;
    }
    return nullptr;
}

// A statement as the script prints it: byte for byte as the step issued it, terminated for the dialect's client.
// Neither escaped nor redacted, which would change what runs: only the script's comments are for reading.
void print_statement(const SqlScript& script, const std::string& statement) {
    print_verbatim(script_statement(statement, script.dialect));
}

bool has_guards(const SqlScript& script) {
    return std::any_of(script.steps.begin(), script.steps.end(), [](const ScriptStep& entry) {
        return std::any_of(entry.statements.begin(), entry.statements.end(),
                           [](const std::string& statement) { return is_offline_guard(statement); });
    });
}

void print_text(const SqlScript& script, ScriptOrigin origin) {
    const char* action = script.direction == Direction::upgrade ? "upgrade" : "downgrade";
    print_line(
        fmt::format("-- migration-host sql {} for {}, rendered offline: nothing was run.", action, script.dialect));
    print_line("-- From: " + describe_origin(origin, script));
    if (script.database_name.empty()) {
        print_line(
            "-- Statements about the current database do not name it: they apply to whichever database this runs "
            "on.");
    } else {
        print_line(fmt::format("-- Statements about the current database name it as {}.", script.database_name));
    }
    if (script.rows_name) {
        print_line(fmt::format("-- Its history rows name {}@{}, who rendered it: SQLite has no user of its own.",
                               script.rows_name->os_user, script.rows_name->host_name));
    } else {
        print_line("-- Its history rows name the database user who runs it, and the client's host.");
    }
    print_line(fmt::format("-- Bound values are written as literals quoted for {}.", script.dialect));
    if (has_guards(script)) {
        print_line(
            "-- Statements marked /* migration-host guard */ make the checks the run makes before a table rebuild: "
            "the script stops where the run would refuse.");
    }
    print_line(
        "-- Run it with a client that stops at the first error: sqlite3 -bail, psql -v ON_ERROR_STOP=1, mariadb "
        "(stops by default).");
    if (const ScriptStep* missing = first_unrendered(script)) {
        print_line(
            fmt::format("-- INCOMPLETE: this script stops before {}, which needs a live connection; it "
                        "brings the database only up to there.",
                        missing->step.migration->label()));
    }
    if (script.steps.empty()) {
        print_line("-- Nothing to do: no step is planned.");
        return;
    }
    if (!script.session.empty() || !script.preamble.empty()) print_line("");
    for (const auto& statement : script.session) print_statement(script, statement);
    for (const auto& statement : script.preamble) print_statement(script, statement);
    std::size_t number = 0;
    for (const auto& entry : script.steps) {
        ++number;
        print_line("");
        print_line(fmt::format("-- Step {} of {}: {}", number, script.steps.size(), step_heading(entry)));
        if (entry.needs_connection) {
            print_line(
                fmt::format("-- NEEDS A LIVE CONNECTION: it cannot be rendered offline ({}). Run '{}' on the "
                            "database, then render the rest with 'migration-host sql {} --dsn ...'.",
                            entry.reason, live_command(script, entry), action));
        } else if (!entry.rendered) {
            print_line(fmt::format("-- NOT RENDERED: {}.", entry.reason));
        }
        for (const auto& statement : entry.statements) print_statement(script, statement);
    }
}

void print_json_script(const SqlScript& script, ScriptOrigin origin) {
    nlohmann::json steps = nlohmann::json::array();
    for (const auto& entry : script.steps) {
        const Migration& migration = *entry.step.migration;
        steps.push_back({
            {"track", migration.ref.track},
            {"from", entry.step.from_version()},
            {"to", entry.step.to_version()},
            {"name", migration.name},
            {"plugin", migration.plugin->id()},
            {"plugin_version", migration.plugin->version()},
            {"rendered", entry.rendered},
            {"needs_connection", entry.needs_connection},
            {"reason", entry.rendered ? nlohmann::json(nullptr) : nlohmann::json(entry.reason)},
            {"statements", entry.statements},
        });
    }
    nlohmann::json from = nlohmann::json::object();
    for (const auto& [track, version] : script.from) from[track] = version;
    // The statements as they run: redaction would change them.
    print_json_keeping(
        {
            {"direction", script.direction == Direction::upgrade ? "upgrade" : "downgrade"},
            {"dialect", script.dialect.name()},
            {"database", script.database_name.empty() ? nlohmann::json(nullptr) : nlohmann::json(script.database_name)},
            {"from_state", origin_name(origin)},
            {"from", from},
            {"session", script.session},
            {"preamble", script.preamble},
            {"steps", steps},
            {"complete", script.complete()},
        },
        {"session", "preamble", "statements"});
}

// JSON holds only UTF-8 (print_json would put U+FFFD in place of anything else): a statement that is not would not
// be the one the text script runs. Only SQLite takes such statements; MySQL and PostgreSQL refuse them (the step
// fails).
void refuse_json_for_non_utf8(const SqlScript& script) {
    for (const auto& entry : script.steps) {
        for (const auto& statement : entry.statements) {
            if (utf8::is_valid(statement)) continue;
            throw HostError(ExitCode::usage,
                            fmt::format("the script cannot be printed as JSON: {} issues a statement that is not "
                                        "valid UTF-8, which JSON cannot hold; print it as text (without --format json)",
                                        entry.step.migration->label()));
        }
    }
}

}  // namespace

ExitCode run_sql(const Invocation& invocation) {
    const SqlPreview preview = preview_sql(parse_request(invocation));
    const SqlScript& script = preview.script;
    if (invocation.options.format == OutputFormat::json) {
        refuse_json_for_non_utf8(script);
        print_json_script(script, preview.origin);
    } else {
        print_text(script, preview.origin);
    }
    if (const ScriptStep* missing = first_unrendered(script)) {
        throw HostError(ExitCode::sql_incomplete,
                        fmt::format("the script stops before {}, which cannot be rendered offline ({}): run '{}' "
                                    "on the database for it",
                                    missing->step.migration->label(), missing->reason, live_command(script, *missing)));
    }
    return ExitCode::success;
}

}  // namespace migration_host
