// Fleet runs: one command on every database a targets file lists, each in a forked child process, N at a time.
// SPDX-License-Identifier: Apache-2.0
#include "command_line/fleet.hpp"


#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <map>
#include <optional>
#include <system_error>

#include "command_line/config.hpp"
#include "command_line/fleet_console.hpp"
#include "command_line/logging.hpp"
#include "command_line/output.hpp"
#include "command_line/terminal_text.hpp"
#include "database/connection_target.hpp"
#include "database/redact.hpp"
#include "engine/fleet_runner.hpp"
#include "engine/fleet_shard.hpp"
#include "engine/session.hpp"
#include "exit_codes.hpp"

namespace migration_host {
namespace {

HostError usage(const std::string& message) {
    return HostError(ExitCode::usage, message);
}

std::string trimmed(const std::string& text) {
    const auto first = text.find_first_not_of(" \t\r");
    if (first == std::string::npos) return {};
    const auto last = text.find_last_not_of(" \t\r");
    return text.substr(first, last - first + 1);
}

bool same_plugin_options(const GlobalOptions& a, const GlobalOptions& b) {
    return a.plugin_paths == b.plugin_paths && a.no_default_plugins == b.no_default_plugins &&
           a.skip_broken_plugins == b.skip_broken_plugins && a.allow_insecure_plugins == b.allow_insecure_plugins;
}

void write_stream(std::FILE* stream, const std::string& text) {
    std::fwrite(text.data(), 1, text.size(), stream);
    std::fflush(stream);
}

std::string clean(const std::string& text) {
    return escape_nonprintable(redact_secrets(text));
}

// One line as each database ends: its name, how it ended and, when it failed, why.
// In JSON log mode a log line of its own, naming the database as "target", so that the stream stays one JSON object
// per line.
std::string progress_line(const FleetTarget& target, const FleetOutcome& outcome, std::size_t done, std::size_t total) {
    const std::string report = fmt::format("[{}/{}] {}: exit {} ({}) in {:.2f} s{}", done, total, target.name,
                                           outcome.exit_code, exit_code_name(outcome.exit_code), outcome.seconds,
                                           outcome.exit_code == 0 ? "" : ": " + clean(outcome.cause));
    if (log_format_is_json()) return json_log_line_about(target.name, outcome.exit_code != 0, report, outcome.exit_code);
    return "migration-host: " + report + "\n";
}

std::string lowercase(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return text;
}

}  // namespace

std::string connection_string_label(const std::string& connection_string) {
    const auto target = ConnectionTarget::parse(connection_string, "--targets");
    const auto first_setting = [&](std::initializer_list<const char*> keys) -> std::string {
        for (const char* key : keys) {
            if (auto value = target.setting(key); value && !value->empty()) return *value;
        }
        return "";
    };
    std::string kind;
    switch (target.driver()) {
        case DriverKind::sqlite3:
            kind = "sqlite";
            break;
        case DriverKind::mariadb:
            kind = "mariadb";
            break;
        case DriverKind::postgresql:
            kind = "postgresql";
            break;
        case DriverKind::other:
            kind = lowercase(target.driver_name().value_or("odbc"));
            kind.erase(std::remove(kind.begin(), kind.end(), ' '), kind.end());
            break;
    }
    if (const auto file = target.sqlite_database_file()) {
        // The end of the path: the directories of a fleet of files tell them apart more often than their names.
        const std::string prefix = kind + ":";
        return prefix + cut_start_to_width(escape_nonprintable(*file), fleet_name_columns - display_width(prefix));
    }
    const std::string prefix = cut_to_width(kind, fleet_name_columns / 4) + ":";
    const std::string database = escape_nonprintable(first_setting({"Database", "DB"}));
    const std::string host = escape_nonprintable(first_setting({"Server", "Servername", "Host"}));
    if (host.empty()) return cut_to_width(prefix + database, fleet_name_columns);
    // Each part cut to its share, so that a long database name leaves the host visible, and the other way round.
    const std::size_t room = fleet_name_columns - display_width(prefix) - 1;  // less the '@'
    const std::size_t database_room = std::max(room / 2, room - std::min(room, display_width(host)));
    const std::string kept_database = cut_middle_to_width(database, database_room);
    return prefix + kept_database + "@" + cut_to_width(host, room - display_width(kept_database));
}

namespace {

// Targets whose short labels coincide (one database name on two servers' ports) are told apart by their lines.
void make_names_unique(std::vector<FleetTarget>& targets) {
    std::map<std::string, std::size_t> uses;
    for (const auto& target : targets) ++uses[target.name];
    for (auto& target : targets) {
        if (uses[target.name] > 1) target.name += fmt::format("#{}", target.line);
    }
}

// The widest the text summary's lines are.
constexpr std::size_t summary_columns = 100;

std::string targets_counted(std::size_t count) {
    return fmt::format("{} target{}", count, count == 1 ? "" : "s");
}

// The targets of this run's shard (--shard), in the file's order; all of them without one.
std::vector<FleetTarget> shard_of(std::vector<FleetTarget> listed, const std::optional<FleetShard>& shard) {
    if (!shard) return listed;
    std::vector<std::string> names;
    for (const auto& target : listed) names.push_back(target.label);  // the name every machine's summary shows
    std::vector<FleetTarget> owned;
    for (const auto index : owned_by_shard(names, *shard)) owned.push_back(std::move(listed[index]));
    return owned;
}

void print_text_report(const Invocation& invocation, const std::vector<FleetTarget>& targets,
                       const std::vector<FleetOutcome>& outcomes, double seconds, int worst, std::size_t listed) {
    const auto& shard = invocation.global.shard;
    if (targets.empty()) {
        write_stream(stdout, fmt::format("Fleet summary: {} on 0 databases: shard {}/{} owns none of the {} {} lists: "
                                         "nothing to do\n",
                                         invocation.command, shard->index, shard->count, targets_counted(listed),
                                         *invocation.options.targets_file));
        return;
    }
    std::string text;
    for (std::size_t i = 0; i < targets.size(); ++i) {
        text += fmt::format("=== {} ===\n", targets[i].name);
        // Already redacted and escaped by the child's own output layer; redacted again for good measure.
        for (const auto& line : lines_of(outcomes[i].output)) text += redact_secrets(line) + "\n";
    }
    std::size_t name_width = display_width("TARGET");
    std::size_t result_width = display_width("RESULT");
    for (std::size_t i = 0; i < targets.size(); ++i) {
        name_width = std::max(name_width, std::min(display_width(targets[i].name), fleet_name_columns));
        result_width = std::max(result_width, display_width(exit_code_name(outcomes[i].exit_code)));
    }
    const std::string share = shard ? fmt::format(" (shard {}/{}: {} of {})", shard->index, shard->count,
                                                  targets.size(), targets_counted(listed))
                                    : std::string();
    const std::string headline =
        fmt::format("Fleet summary: {} on {} database{}{}, {} at a time, in {:.2f} s:", invocation.command,
                    targets.size(), targets.size() == 1 ? "" : "s", share, invocation.options.jobs, seconds);
    const std::string verdict = worst == 0 ? "all ok" : fmt::format("exit {} ({})", worst, exit_code_name(worst));
    // The verdict on a line of its own when a shard's figures leave it no room.
    const bool verdict_fits = display_width(headline) + 1 + display_width(verdict) <= summary_columns;
    text += fmt::format("\n{}{}{}\n", headline, verdict_fits ? " " : "\n", verdict);
    // Every column but the last is as wide as its widest value; the cause gets what is left of the 100 columns,
    // its whole text being in the progress line and in the JSON summary.
    const std::size_t cause_width = summary_columns - (name_width + 2 + result_width + 2 + 4 + 2 + 8 + 2);
    const auto pad = [](const std::string& value, std::size_t width) {
        return value + std::string(width - std::min(width, display_width(value)), ' ');
    };
    text += fmt::format("{}  {}  {:>4}  {:>8}  {}\n", pad("TARGET", name_width), pad("RESULT", result_width), "EXIT",
                        "SECONDS", "CAUSE");
    for (std::size_t i = 0; i < targets.size(); ++i) {
        const auto& outcome = outcomes[i];
        const std::string cause = outcome.exit_code == 0 ? "" : cut_to_width(clean(outcome.cause), cause_width);
        const std::string row = fmt::format(
            "{}  {}  {:>4}  {:>8.2f}  {}", pad(cut_to_width(targets[i].name, name_width), name_width),
            pad(exit_code_name(outcome.exit_code), result_width), outcome.exit_code, outcome.seconds, cause);
        // A row without a cause ends at its last figure, not in blanks.
        text += row.substr(0, row.find_last_not_of(' ') + 1) + "\n";
    }
    write_stream(stdout, text);
}

void print_json_report(const Invocation& invocation, const std::vector<FleetTarget>& targets,
                       const std::vector<FleetOutcome>& outcomes, double seconds, int worst, std::size_t listed) {
    using nlohmann::json;
    json results = json::array();
    for (std::size_t i = 0; i < targets.size(); ++i) {
        const auto& outcome = outcomes[i];
        json entry = {{"target", targets[i].label},
                      {"label", targets[i].name},
                      {"result", exit_code_name(outcome.exit_code)},
                      {"exit_code", outcome.exit_code},
                      {"seconds", outcome.seconds},
                      {"cause", outcome.exit_code == 0 ? json(nullptr) : json(clean(outcome.cause))}};
        if (invocation.command == "upgrade") {
            entry["output_lines"] = lines_of(outcome.output);
        } else {
            // The command's own JSON document; none when it failed before printing one.
            json document = json::parse(outcome.output, nullptr, false);
            entry["output"] = document.is_discarded() ? json(nullptr) : document;
        }
        results.push_back(std::move(entry));
    }
    const auto& shard = invocation.global.shard;
    print_json({{"command", invocation.command},
                {"jobs", invocation.options.jobs},
                {"shard", shard ? json{{"index", shard->index}, {"count", shard->count}, {"targets_listed", listed}}
                                : json(nullptr)},
                {"seconds", seconds},
                {"exit_code", worst},
                {"result", exit_code_name(worst)},
                {"targets", results}});
}

}  // namespace

std::vector<FleetTarget> read_fleet_targets(const Invocation& invocation) {
    const std::string& path = *invocation.options.targets_file;
    if (const char* dsn = std::getenv(environment_variable_for("dsn").c_str()); dsn != nullptr && *dsn != '\0') {
        throw usage(fmt::format("--targets and {}: a fleet run takes each database from its targets file",
                                environment_variable_for("dsn")));
    }
    std::error_code error;
    if (!std::filesystem::is_regular_file(path, error)) {
        throw usage(fmt::format("targets file {} {}", path,
                                std::filesystem::exists(path, error) ? "is not a regular file" : "does not exist"));
    }
    std::ifstream file(path);
    if (!file) throw usage(fmt::format("cannot read targets file {}: {}", path, std::strerror(errno)));
    const auto configured = configured_target_names(invocation.global);
    std::vector<FleetTarget> targets;
    std::map<std::string, std::size_t> line_of;  // the line each target was first listed on, by its text
    std::string raw;
    std::size_t number = 0;
    while (std::getline(file, raw)) {
        ++number;
        const std::string line = trimmed(raw);
        if (line.empty() || line.front() == '#') continue;
        const std::string where = fmt::format("{} line {}", path, number);
        if (const auto [it, inserted] = line_of.emplace(line, number); !inserted) {
            throw usage(fmt::format("{} lists the target of line {} again", where, it->second));
        }
        FleetTarget target;
        target.line = number;
        target.global = invocation.global;
        if (line.find('=') != std::string::npos) {
            if (const auto problem = connection_string_problem(line)) {
                throw usage(fmt::format("{}: invalid connection string: {}", where, *problem));
            }
            target.label = escape_nonprintable(redact_connection_string(line));
            target.name = connection_string_label(line);
            target.global.dsn = line;
            target.dsn = line;
        } else {
            const bool prefixed = line.rfind("target:", 0) == 0;
            const std::string name = prefixed ? trimmed(line.substr(7)) : line;
            const bool is_configured = std::find(configured.begin(), configured.end(), name) != configured.end();
            target.label = escape_nonprintable(line);
            target.name = target.label;
            if (prefixed && !is_configured) {
                throw usage(fmt::format("{}: no [target.{}] section in {}", where, escape_nonprintable(name),
                                        invocation.global.config_file ? invocation.global.config_file->string()
                                                                      : "any configuration file (there is none)"));
            }
            if (is_configured) {
                target.global = resolve_target_options(invocation, name, where);
                target.configured_name = name;
                if (!same_plugin_options(target.global, invocation.global)) {
                    throw usage(
                        fmt::format("{}: target {} loads other plugins than the run; a fleet run loads its "
                                    "plugins once, for every database",
                                    where, name));
                }
                if (!target.global.dsn) throw usage(fmt::format("{}: target {} sets no dsn", where, name));
            } else {
                target.global.dsn = line;
                target.dsn = line;
            }
        }
        targets.push_back(std::move(target));
    }
    if (file.bad()) throw usage(fmt::format("cannot read targets file {}: {}", path, std::strerror(errno)));
    if (targets.empty()) throw usage(fmt::format("targets file {} lists no target", path));
    make_names_unique(targets);
    return targets;
}

namespace {

// The host's command line for one database in exec mode: the run's own, without the fleet's options (--targets,
// --jobs, --shard; and upgrade's --format, which serves the fleet's summary only), the target named through the
// environment.
ChildCommand command_for(const Invocation& invocation, const FleetTarget& target) {
    ChildCommand command;
    for (const auto& given : invocation.given) {
        if (given.name == "targets" || given.name == "jobs" || given.name == "shard") continue;
        if (given.name == "format" && invocation.command == "upgrade") continue;
        if (given.name == "target" && target.configured_name) continue;
        command.arguments.insert(command.arguments.end(), given.tokens.begin(), given.tokens.end());
    }
    command.environment.emplace_back(fleet_log_target_variable, target.name);
    if (target.configured_name) {
        command.environment.emplace_back(environment_variable_for("target"), *target.configured_name);
    } else {
        command.environment.emplace_back(environment_variable_for("dsn"), target.dsn);
    }
    return command;
}

}  // namespace

int run_fleet(const Invocation& invocation, const std::function<int(const Invocation&)>& run_one) {
    const auto listed = read_fleet_targets(invocation);
    const auto targets = shard_of(listed, invocation.global.shard);
    // Once, before any child exists and before any ODBC environment: a forked child inherits the loaded libraries
    // and the checked catalog.
    preload_catalog(plugin_options(invocation.global));
    ChildLauncher launcher;
    // A plugin may have started threads as it loaded (Go's runtime, a library's constructor): a forked child would
    // have none of them, and may wait forever on a lock one of them held. Then each child executes the host anew.
    const std::size_t threads = thread_count();
    launcher.exec = threads != 1;
    if (launcher.exec) {
        spdlog::debug("fleet: {} threads after loading the plugins: each database's run executes the host anew",
                      threads == 0 ? std::string("unknown") : std::to_string(threads));
    } else {
        spdlog::debug("fleet: one thread after loading the plugins: each database's run is a fork of this process");
    }
    launcher.run_one = [&](std::size_t index) {
        set_log_target(targets[index].name);  // in the forked child: its JSON log lines name its database
        Invocation one = invocation;
        one.global = targets[index].global;
        one.options.targets_file.reset();
        one.options.jobs = 1;
        // upgrade's own output is text; --format serves the fleet summary only.
        if (one.command == "upgrade") {
            one.options.format = OutputFormat::text;
            one.options.format_given = false;  // else each database's upgrade refuses --format
        }
        return run_one(one);
    };
    launcher.command_for = [&](std::size_t index) { return command_for(invocation, targets[index]); };
    std::vector<std::string> names;
    for (const auto& target : targets) names.push_back(target.name);
    FleetConsole console(std::move(names), live_status_wanted());
    FleetEvents events;
    events.on_start = [&](std::size_t index) { console.started(index); };
    events.on_log_line = [&](std::size_t index, std::string_view line) { console.log_line(index, line); };
    events.on_done = [&](std::size_t index, const FleetOutcome& outcome, std::size_t done) {
        console.finished(index, progress_line(targets[index], outcome, done, targets.size()));
    };
    const auto started = std::chrono::steady_clock::now();
    const auto outcomes = run_in_children(targets.size(), invocation.options.jobs, launcher, events);
    console.close();
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    int worst = 0;
    for (const auto& outcome : outcomes) worst = worse_exit_code(worst, outcome.exit_code);
    if (invocation.options.format == OutputFormat::json) {
        print_json_report(invocation, targets, outcomes, seconds, worst, listed.size());
    } else {
        print_text_report(invocation, targets, outcomes, seconds, worst, listed.size());
    }
    return worst;
}

}  // namespace migration_host
