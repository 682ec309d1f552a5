// README.md against the real executable: every command and option it mentions exists, and its log levels hold.
// SPDX-License-Identifier: Apache-2.0
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "help_text.hpp"
#include "host_process.hpp"
#include "test_database.hpp"

#ifndef README_FILE
#error "README_FILE must be defined by the build"
#endif

using namespace test_support;

namespace {

std::vector<std::string> readme_lines() {
    std::ifstream in(README_FILE);
    REQUIRE(in);
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}

// The commands of the README's command table: the first word of each row's first cell.
std::vector<std::string> documented_commands(const std::vector<std::string>& lines) {
    std::vector<std::string> commands;
    bool in_table = false;
    const std::regex row(R"(^\| `([a-z]+)[ `])");
    for (const auto& line : lines) {
        if (line.rfind("| command |", 0) == 0) {
            in_table = true;
            continue;
        }
        if (!in_table) continue;
        if (line.empty() || line[0] != '|') break;
        std::smatch match;
        if (std::regex_search(line, match, row)) commands.push_back(match[1]);
    }
    return commands;
}

struct OptionMention {
    std::string option;   // "--dsn"
    std::string command;  // the command it is given to on the same line, if the line runs one
    std::size_t line_number;
};

// Every `--option` the README gives migration-host: in inline code outside code blocks, and on the lines of code
// blocks that run migration-host (not cmake's or ctest's options).
std::vector<OptionMention> documented_options(const std::vector<std::string>& lines,
                                              const std::set<std::string>& commands) {
    std::vector<OptionMention> mentions;
    const std::regex option(R"((^|[\s`(\[])(--[a-z][a-z0-9-]*))");
    const std::regex code_span("`([^`]*)`");
    bool in_block = false;
    for (std::size_t i = 0; i < lines.size(); ++i) {
        const std::string& line = lines[i];
        if (line.rfind("```", 0) == 0) {
            in_block = !in_block;
            continue;
        }
        std::vector<std::string> texts;
        if (in_block) {
            if (line.find("migration-host ") != std::string::npos) texts.push_back(line);
        } else {
            // Other tools' options are in code that does not run migration-host (`pkg-config --variable=...`).
            for (std::sregex_iterator it(line.begin(), line.end(), code_span), end; it != end; ++it) {
                const std::string code = (*it)[1];
                if (code.rfind("--", 0) == 0 || code.find("migration-host ") != std::string::npos)
                    texts.push_back(code);
            }
        }
        for (const auto& text : texts) {
            // The command, when the text runs migration-host: the first known command word after it.
            std::string command;
            if (const auto at = text.find("migration-host "); at != std::string::npos) {
                std::istringstream words(text.substr(at));
                for (std::string word; words >> word;) {
                    if (commands.count(word)) {
                        command = word;
                        break;
                    }
                }
            }
            for (std::sregex_iterator it(text.begin(), text.end(), option), end; it != end; ++it) {
                mentions.push_back({(*it)[2], command, i + 1});
            }
        }
    }
    return mentions;
}

}  // namespace

TEST_CASE("every command and option README.md mentions exists, in that command's --help", "[readme][cli]") {
    const auto lines = readme_lines();
    const auto commands = documented_commands(lines);
    CHECK(commands.size() >= 9);
    std::map<std::string, std::string> help_of;
    for (const auto& command : commands) {
        INFO("README command " << command);
        const auto help = run_host({command, "--help"});
        CHECK(help.exit_code == 0);
        CHECK(help.out.find("Usage: migration-host [global options] " + command) != std::string::npos);
        help_of[command] = help.out;
    }
    const auto general = run_host({"--help"});
    REQUIRE(general.exit_code == 0);

    const std::set<std::string> command_set(commands.begin(), commands.end());
    const auto mentions = documented_options(lines, command_set);
    CHECK(mentions.size() >= 20);
    for (const auto& mention : mentions) {
        INFO("README.md line " << mention.line_number << ": " << mention.option
                               << (mention.command.empty() ? "" : " given to " + mention.command));
        if (!mention.command.empty()) {
            CHECK(help_shows(help_of[mention.command], mention.option));
            continue;
        }
        bool shown = help_shows(general.out, mention.option);
        for (const auto& [command, help] : help_of) shown = shown || help_shows(help, mention.option);
        CHECK(shown);
    }
}

// The README: "debug shows every statement a plugin step sends (trace also those of offline renders)".
TEST_CASE("the log levels README.md documents: steps' statements at debug, offline renders at trace only",
          "[readme][cli][sqlite]") {
    const auto at_level = [](const std::string& level) {
        const auto db = TestDatabase::create(Backend::sqlite);
        return run_host(host_run_on(db->connection_string(), {CINDER_PLUGIN_DIR}, {"--log-level", level, "upgrade"}));
    };
    const auto debug = at_level("debug");
    INFO(debug.all());
    CHECK(debug.exit_code == 0);
    CHECK(debug.err.find("[cinder@1 (001_cinder_init)] SQL:") != std::string::npos);
    CHECK(debug.err.find("(offline)] SQL:") == std::string::npos);
    const auto trace = at_level("trace");
    INFO(trace.all());
    CHECK(trace.exit_code == 0);
    CHECK(trace.err.find("[cinder@1 (001_cinder_init) (offline)] SQL:") != std::string::npos);
    const auto info = at_level("info");
    CHECK(info.err.find("SQL:") == std::string::npos);
}

// The README's PostgreSQL examples: psqlODBC's own keys in a connection string, and a DSN in a private odbc.ini
// that ODBCINI names.
TEST_CASE("postgresql: the README's psqlODBC keys and private odbc.ini connect", "[readme][cli][postgresql]") {
    const auto db = TestDatabase::create(Backend::postgresql);
    if (!db) return;
    const auto key = [&](const std::string& name) {
        std::smatch match;
        const std::string& text = db->server_connection_string();
        REQUIRE(std::regex_search(text, match, std::regex("(^|;)" + name + "=([^;]*)")));
        return match[2].str();
    };
    const std::string keys = "DRIVER={PostgreSQL Unicode};Servername=" + key("SERVER") + ";Port=" + key("PORT") +
                             ";Database=" + db->name() + ";Username=" + key("UID") + ";Password=" + key("PWD");
    const auto with_keys = run_host({"--dsn", keys, "--no-default-plugins", "status"});
    INFO(with_keys.all());
    CHECK(with_keys.exit_code == 0);
    CHECK(with_keys.out.find("(dialect postgresql)") != std::string::npos);

    const std::string directory = make_temp_dir("mh-odbcini");
    const std::string odbc_ini = directory + "/odbc.ini";
    std::ofstream(odbc_ini) << "[cinder-pg]\nDriver     = PostgreSQL Unicode\nServername = " << key("SERVER")
                            << "\nPort       = " << key("PORT") << "\nDatabase   = " << db->name()
                            << "\nUsername   = " << key("UID") << "\nPassword   = " << key("PWD") << "\n";
    const auto from_dsn =
        run_host(HostRun{{"--dsn", "cinder-pg", "--no-default-plugins", "status"}, {{"ODBCINI", odbc_ini}}, {}});
    const auto without = run_host({"--dsn", "cinder-pg", "--no-default-plugins", "status"});
    std::filesystem::remove_all(directory);
    INFO(from_dsn.all());
    CHECK(from_dsn.exit_code == 0);
    CHECK(from_dsn.out.find("(dialect postgresql)") != std::string::npos);
    CHECK(without.exit_code == 3);
}
