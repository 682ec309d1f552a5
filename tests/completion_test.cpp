// The bash completion script the build makes, sourced into plain bash and its function called as bash would call it.
// SPDX-License-Identifier: Apache-2.0
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "host_process.hpp"
#include "json_schema.hpp"
#include "test_database.hpp"

#ifndef BASH_COMPLETION_FILE
#error "BASH_COMPLETION_FILE must be defined by the build"
#endif

using namespace test_support;
namespace fs = std::filesystem;

namespace {

// Sources the script into bash without any start-up file (so without the bash-completion package), sets
// COMP_WORDS, COMP_CWORD, COMP_LINE and COMP_POINT for the cursor at the end of the last word, calls the function
// the script registered for migration-host, and prints COMPREPLY one a line.
const char* const complete_in_bash = R"(
source "$1" || exit 3
shift
spec=$(complete -p migration-host) || exit 4
function=${spec#*-F }
function=${function%% *}
COMP_WORDS=("$@")
COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
COMP_LINE="${COMP_WORDS[*]}"
COMP_POINT=${#COMP_LINE}
"$function" || exit 5
((${#COMPREPLY[@]})) && printf '%s\n' "${COMPREPLY[@]}"
exit 0
)";

struct Line {
    std::vector<std::string> words;  // after the executable, as bash splits them ('=' a word of its own)
    std::map<std::string, std::string> environment = {};
    std::optional<std::string> working_directory = std::nullopt;
};

// What completing the last word of `line` offers, the command being the built host.
std::set<std::string> completions(const Line& line) {
    std::vector<std::string> arguments{
        "--norc", "--noprofile", "-c", complete_in_bash, "bash", BASH_COMPLETION_FILE, host_executable()};
    arguments.insert(arguments.end(), line.words.begin(), line.words.end());
    const auto result = run_host(HostRun{arguments, line.environment, line.working_directory}, "bash");
    INFO(result.all());
    REQUIRE(result.exit_code == 0);
    CHECK(result.err.empty());
    std::set<std::string> offered;
    std::istringstream lines(result.out);
    for (std::string word; std::getline(lines, word);) offered.insert(word);
    return offered;
}

// The commands --help lists, from its "Commands:" section.
std::set<std::string> commands_in_help() {
    const auto help = run_host({"--help"});
    REQUIRE(help.exit_code == 0);
    std::set<std::string> commands;
    std::istringstream lines(help.out);
    bool in_commands = false;
    const std::regex row(R"(^  ([a-z][a-z-]*) )");
    for (std::string line; std::getline(lines, line);) {
        if (line == "Commands:") {
            in_commands = true;
        } else if (in_commands) {
            std::smatch match;
            if (!std::regex_search(line, match, row)) break;
            commands.insert(match[1]);
        }
    }
    return commands;
}

// The tracks, and every TRACK@VERSION, that `plugins --format json` lists for these options.
std::pair<std::set<std::string>, std::set<std::string>> listed_tracks(const std::vector<std::string>& plugin_options) {
    auto arguments = plugin_options;
    arguments.insert(arguments.end(), {"plugins", "--format", "json"});
    const auto listing = run_host(arguments);
    INFO(listing.all());
    REQUIRE(listing.exit_code == 0);
    std::set<std::string> tracks;
    std::set<std::string> versions;
    const auto document = parse_against_schema(listing.out, "plugins");
    for (const auto& plugin : document.at("plugins")) {
        for (const auto& migration : plugin["migrations"]) {
            const auto track = migration["track"].get<std::string>();
            tracks.insert(track);
            versions.insert(track + "@0");
            versions.insert(track + "@" + std::to_string(migration["version"].get<std::int64_t>()));
        }
    }
    return {tracks, versions};
}

std::set<std::string> starting_with(const std::set<std::string>& words, const std::string& prefix) {
    std::set<std::string> matching;
    for (const auto& word : words) {
        if (word.rfind(prefix, 0) == 0) matching.insert(word);
    }
    return matching;
}

}  // namespace

TEST_CASE("bash completion: the commands --help lists, from any prefix", "[cli][completion]") {
    CHECK(completions({{"up"}}) == std::set<std::string>{"upgrade"});
    const auto commands = commands_in_help();
    CHECK(commands.count("completion") == 1);
    CHECK(completions({{""}}) == commands);
    CHECK(completions({{"--log-level", "debug", "st"}}) == starting_with(commands, "st"));
    // Global options before the command take their values with them: the value is not the command.
    CHECK(completions({{"--config", "up", "ver"}}) == std::set<std::string>{"verify"});
}

TEST_CASE("bash completion: each command's options are those its --help shows", "[cli][completion]") {
    for (const auto& command : commands_in_help()) {
        INFO("command " << command);
        const auto help = run_host({command, "--help"});
        REQUIRE(help.exit_code == 0);
        const auto offered = completions({{command, "--"}});
        CHECK(offered.count("--help") == 1);
        CHECK(offered.count("--config") == 1);
        for (const auto& option : offered) {
            INFO("offered " << option);
            CHECK(std::regex_search(help.out, std::regex("(^|\\s)" + option + "(\\s|$)")));
        }
    }
    CHECK(completions({{"upgrade", "--for"}}) == std::set<std::string>{"--format"});
    CHECK(completions({{"downgrade", "--for"}}) == std::set<std::string>{"--format"});
    CHECK(completions({{"config", "--for"}}).empty());  // config refuses --format
    CHECK(completions({{"--vers"}}) == std::set<std::string>{"--version"});
}

TEST_CASE("bash completion: --format, --log-level, --log-format and --dialect offer the values the host accepts",
          "[cli][completion]") {
    const auto formats = completions({{"status", "--format", ""}});
    CHECK(formats == std::set<std::string>{"text", "json"});
    for (const auto& format : formats) {
        INFO("--format " << format);
        CHECK(run_host({"--no-default-plugins", "plugins", "--format", format}).exit_code == 0);
    }
    CHECK(run_host({"--no-default-plugins", "plugins", "--format", "yaml"}).exit_code == 2);
    // --name=value, split at the '=' as bash splits it, and as one word where COMP_WORDBREAKS has no '='.
    CHECK(completions({{"status", "--format", "=", "j"}}) == std::set<std::string>{"json"});
    CHECK(completions({{"status", "--format", "="}}) == formats);
    CHECK(completions({{"status", "--format=t"}}) == std::set<std::string>{"--format=text"});

    const auto levels = completions({{"--log-level", ""}});
    CHECK(levels.count("info") == 1);
    CHECK(levels.count("debug") == 1);
    for (const auto& level : levels) {
        INFO("--log-level " << level);
        CHECK(run_host({"--log-level", level, "--no-default-plugins", "plugins"}).exit_code == 0);
    }
    CHECK(completions({{"--log-level=w"}}) == std::set<std::string>{"--log-level=warn"});

    const auto log_formats = completions({{"--log-format", ""}});
    CHECK(log_formats == std::set<std::string>{"text", "json"});
    for (const auto& format : log_formats) {
        INFO("--log-format " << format);
        CHECK(run_host({"--log-format", format, "--no-default-plugins", "plugins"}).exit_code == 0);
    }

    const auto dialects = completions({{"sql", "upgrade", "--dialect", ""}});
    CHECK(dialects.size() == 3);
    for (const auto& dialect : dialects) {
        INFO("--dialect " << dialect);
        const auto rendered = run_host(
            {"--no-default-plugins", "--plugin-path", CINDER_PLUGIN_DIR, "sql", "upgrade", "--dialect", dialect});
        INFO(rendered.err);
        CHECK(rendered.exit_code == 0);
    }
    CHECK(completions({{"sql", ""}}) == std::set<std::string>{"upgrade", "downgrade"});
    CHECK(completions({{"completion", ""}}) == std::set<std::string>{"bash", "zsh"});
}

TEST_CASE("bash completion: --target offers the [target.NAME] sections of the configuration file in effect",
          "[cli][completion]") {
    const fs::path directory = make_temp_dir("mh-completion");
    const fs::path other = make_temp_dir("mh-completion-other");
    const auto write_config = [](const fs::path& path, const std::string& text) {
        std::ofstream(path) << text;
        fs::permissions(path, fs::perms::owner_read | fs::perms::owner_write);
    };
    write_config(directory / "migration-host.ini",
                 "log-level = warn\n[target.prod]\ndsn = DSN=prod\n[target.staging-eu]  # eu-west\ndsn = DSN=eu\n");
    write_config(other / "fleet.ini", "[target.tenant_1]\ndsn = DSN=t1\n[target.tenant_2]\ndsn = DSN=t2\n");

    // ./migration-host.ini, as every command reads it.
    CHECK(completions({{"--target", ""}, {}, directory.string()}) == std::set<std::string>{"prod", "staging-eu"});
    CHECK(completions({{"status", "--target", "s"}, {}, directory.string()}) == std::set<std::string>{"staging-eu"});
    // --config on the line wins over it, in either spelling, and MIGRATION_HOST_CONFIG too.
    const std::set<std::string> tenants{"tenant_1", "tenant_2"};
    const std::string fleet = (other / "fleet.ini").string();
    CHECK(completions({{"--config", fleet, "status", "--target", ""}, {}, directory.string()}) == tenants);
    CHECK(completions({{"--config", "=", fleet, "--target", "=", "tenant_"}, {}, directory.string()}) == tenants);
    CHECK(completions({{"--target", ""}, {{"MIGRATION_HOST_CONFIG", fleet}}, directory.string()}) == tenants);
    // No configuration file: nothing, and nothing on stderr.
    const fs::path empty = make_temp_dir("mh-completion-empty");
    CHECK(completions({{"--target", ""}, {}, empty.string()}).empty());

    fs::remove_all(directory);
    fs::remove_all(empty);
    fs::remove_all(other);
}

TEST_CASE("bash completion: tracks and TRACK@VERSION from the plugins the line loads", "[cli][completion]") {
    const std::vector<std::string> plugin_options{"--no-default-plugins", "--plugin-path", CINDER_PLUGIN_DIR,
                                                  "--plugin-path", GRIZZLY_PLUGIN_DIR};
    const auto [tracks, versions] = listed_tracks(plugin_options);
    REQUIRE(tracks == std::set<std::string>{"cinder"});
    const auto with = [&](std::vector<std::string> words) {
        words.insert(words.begin(), plugin_options.begin(), plugin_options.end());
        return completions({words});
    };

    CHECK(with({"upgrade", ""}) == tracks);
    CHECK(with({"upgrade", "cinder@", "c"}) == tracks);  // upgrade takes several
    CHECK(with({"plan", "cinder@"}) == versions);
    CHECK(versions.count("cinder@9") == 1);
    CHECK(with({"upgrade", "cinder@1"}) == starting_with(versions, "cinder@1"));
    // TRACK@VERSION arguments: the track comes with its '@'; only one of them.
    CHECK(with({"downgrade", "c"}) == std::set<std::string>{"cinder@"});
    CHECK(with({"stamp", "cinder@"}) == versions);
    CHECK(with({"repair", ""}) == std::set<std::string>{"cinder@"});
    CHECK(with({"downgrade", "cinder@3", ""}).empty());
    CHECK(with({"history", "c"}) == tracks);
    CHECK(with({"sql", "downgrade", "cinder@"}) == versions);

    // Only the cinder_initial plugin: only its version, however the options are spelled.
    const auto initial_only = listed_tracks({"--no-default-plugins", "--plugin-path", CINDER_PLUGIN_DIR}).second;
    CHECK(completions({{"--no-default-plugins", "--plugin-path", "=", CINDER_PLUGIN_DIR, "upgrade", "cinder@"}}) ==
          initial_only);
    CHECK(completions({{"upgrade", "--plugin-path=" + std::string(CINDER_PLUGIN_DIR), "--no-default-plugins",
                        "cinder@"}}) == initial_only);
    // No plugins: nothing to offer, and nothing on stderr.
    CHECK(completions({{"--no-default-plugins", "upgrade", ""}}).empty());
    // The default plugin directory beside the executable, as the command would load it.
    CHECK(completions({{"upgrade", "cinder@"}}) == listed_tracks({}).second);
}
