// The verify command: every difference between the live schema and what the applied steps should have left.
// SPDX-License-Identifier: Apache-2.0
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "command_line/cli.hpp"
#include "command_line/output.hpp"
#include "engine/verification.hpp"

namespace migration_host {
namespace {

nlohmann::json database_json(const DatabaseInfo& database) {
    return {{"dialect", database.dialect.name()}, {"name", database.database_name}};
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

ExitCode run_verify(const Invocation& invocation) {
    VerifyRequest request;
    request.plugins = plugin_options(invocation.global);
    request.connection = connection_options(invocation.global);
    if (invocation.global.scratch_dsn)
        request.scratch = ConnectionTarget::parse(*invocation.global.scratch_dsn, "--scratch-dsn");
    request.lock_timeout_seconds = invocation.global.lock_timeout_seconds;
    request.interrupted = [](const std::string& line) { print_error_line(line); };
    const VerifyResult result = verify_schema(request);
    const std::string applied = applied_list(result.applied);

    if (invocation.options.format == OutputFormat::json) {
        nlohmann::json listed = nlohmann::json::array();
        for (const auto& difference : result.differences) {
            listed.push_back({{"table", difference.table},
                              {"kind", difference.kind},
                              {"object", difference.object},
                              {"attribute", difference.attribute},
                              {"expected", difference.expected},
                              {"found", difference.found},
                              {"message", difference.describe()}});
        }
        nlohmann::json tracks = nlohmann::json::object();
        for (const auto& target : result.applied) tracks[target.track] = target.version.value_or(0);
        print_json({{"database", database_json(result.database)},
                    {"applied", std::move(tracks)},
                    {"expected_tables", result.expected.tables.size()},
                    {"expected_views", result.expected.views.size()},
                    {"run_in_progress", result.run_in_progress},
                    {"clean", result.differences.empty()},
                    {"differences", std::move(listed)}});
    } else {
        if (result.run_in_progress) {
            print_line(
                "note: another migration-host is running against this database; its steps may be changing "
                "the schema being compared");
        }
        print_line(fmt::format("Expected: what {} leave{} ({})", applied, result.applied.size() == 1 ? "s" : "",
                               result.built_in));
        for (const auto& difference : result.differences) print_line(difference.describe());
        if (result.differences.empty()) {
            print_line(fmt::format("No drift: the database has exactly the {} the applied steps create.",
                                   relation_count(result.expected)));
        }
    }
    if (!result.differences.empty()) {
        throw HostError(ExitCode::refused,
                        fmt::format("schema drift: {} difference{} from what {} should have left (listed {})",
                                    result.differences.size(), result.differences.size() == 1 ? "" : "s", applied,
                                    invocation.options.format == OutputFormat::json ? "in the JSON" : "above"));
    }
    return ExitCode::success;
}

}  // namespace migration_host
