// Fleet runs: one command on every database a targets file lists, each in a forked child process, N at a time.
// SPDX-License-Identifier: Apache-2.0
#include "command_line/fleet.hpp"


#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <optional>
#include <system_error>

#include "command_line/config.hpp"
#include "command_line/logging.hpp"
#include "command_line/output.hpp"
#include "engine/fleet_runner.hpp"
#include "engine/fleet_shard.hpp"
#include "engine/session.hpp"
#include "command_line/terminal_text.hpp"
#include "database/redact.hpp"
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

// Every database's own log lines, prefixed with its label so that they stay attributable, then one progress line.
void report_progress(const FleetTarget& target, const FleetOutcome& outcome, std::size_t done, std::size_t total) {
    std::string text;
    for (const auto& line : lines_of(outcome.log)) text += fmt::format("[{}] {}\n", target.label, clean(line));
    text += fmt::format("migration-host: [{}/{}] {}: exit {} ({}) in {:.2f} s{}\n", done, total, target.label,
                        outcome.exit_code, exit_code_name(outcome.exit_code), outcome.seconds,
                        outcome.exit_code == 0 ? "" : ": " + clean(outcome.cause));
    write_stream(stderr, text);
}

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
        text += fmt::format("=== {} ===\n", targets[i].label);
        // Already redacted and escaped by the child's own output layer; redacted again for good measure.
        for (const auto& line : lines_of(outcomes[i].output)) text += redact_secrets(line) + "\n";
    }
    std::size_t label_width = std::string("TARGET").size();
    std::size_t result_width = std::string("RESULT").size();
    for (std::size_t i = 0; i < targets.size(); ++i) {
        label_width = std::max(label_width, targets[i].label.size());
        result_width = std::max(result_width, std::string(exit_code_name(outcomes[i].exit_code)).size());
    }
    const std::string share = shard ? fmt::format(" (shard {}/{}: {} of {})", shard->index, shard->count,
                                                  targets.size(), targets_counted(listed))
                                    : std::string();
    text += fmt::format("\nFleet summary: {} on {} database{}{}, {} at a time, in {:.2f} s: {}\n", invocation.command,
                        targets.size(), targets.size() == 1 ? "" : "s", share, invocation.options.jobs, seconds,
                        worst == 0 ? "all ok" : fmt::format("exit {} ({})", worst, exit_code_name(worst)));
    text += fmt::format("{:<{}}  {:<{}}  {:>4}  {:>8}  {}\n", "TARGET", label_width, "RESULT", result_width, "EXIT",
                        "SECONDS", "CAUSE");
    for (std::size_t i = 0; i < targets.size(); ++i) {
        const auto& outcome = outcomes[i];
        text += fmt::format("{:<{}}  {:<{}}  {:>4}  {:>8.2f}  {}\n", targets[i].label, label_width,
                            exit_code_name(outcome.exit_code), result_width, outcome.exit_code, outcome.seconds,
                            outcome.exit_code == 0 ? "" : clean(outcome.cause));
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
        target.global = invocation.global;
        if (line.find('=') != std::string::npos) {
            if (const auto problem = connection_string_problem(line)) {
                throw usage(fmt::format("{}: invalid connection string: {}", where, *problem));
            }
            target.label = escape_nonprintable(redact_connection_string(line));
            target.global.dsn = line;
            target.dsn = line;
        } else {
            const bool prefixed = line.rfind("target:", 0) == 0;
            const std::string name = prefixed ? trimmed(line.substr(7)) : line;
            const bool is_configured = std::find(configured.begin(), configured.end(), name) != configured.end();
            target.label = escape_nonprintable(line);
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
    command.environment.emplace_back(fleet_log_target_variable, target.label);
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
        set_log_target(targets[index].label);  // in the forked child: its JSON log lines name its database
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
    const auto started = std::chrono::steady_clock::now();
    const auto outcomes = run_in_children(
        targets.size(), invocation.options.jobs, launcher,
        [&](std::size_t index, const FleetOutcome& outcome, std::size_t done) {
            report_progress(targets[index], outcome, done, targets.size());
        });
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
