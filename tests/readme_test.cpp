// README.md and docs/*.md against the real executable: every command and option they mention exists, the log levels
// hold, every relative link leads to a file (and heading) that exists, and the README stays short.
// SPDX-License-Identifier: Apache-2.0
#include <catch2/catch.hpp>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "help_text.hpp"
#include "host_process.hpp"
#include "test_database.hpp"

#ifndef README_FILE
#error "README_FILE must be defined by the build"
#endif
#ifndef DOCS_DIR
#error "DOCS_DIR must be defined by the build"
#endif

using namespace test_support;
namespace fs = std::filesystem;

namespace {

std::vector<std::string> lines_of(const fs::path& page) {
    std::ifstream in(page);
    REQUIRE(in);
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}

std::vector<std::string> readme_lines() {
    return lines_of(README_FILE);
}

// README.md, then every page of docs/ (not its subfolders), by name.
std::vector<fs::path> documentation_pages() {
    std::vector<fs::path> pages;
    for (const auto& entry : fs::directory_iterator(DOCS_DIR)) {
        if (entry.is_regular_file() && entry.path().extension() == ".md") pages.push_back(entry.path());
    }
    std::sort(pages.begin(), pages.end());
    pages.insert(pages.begin(), fs::path(README_FILE));
    return pages;
}

// A page's name as its reader knows it: README.md, docs/commands.md.
std::string page_name(const fs::path& page) {
    return page == fs::path(README_FILE) ? "README.md" : "docs/" + page.filename().string();
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

// Every `--option` a page gives migration-host: in inline code outside code blocks, and on the lines of code blocks
// that run migration-host (not cmake's or ctest's options).
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

// GitHub's anchor for a heading's text: lower case; letters, digits, '-' and '_' kept (and the bytes of non-ASCII
// characters), each space made '-', other punctuation (backquotes, colons, parentheses...) dropped.
std::string heading_anchor(const std::string& text) {
    std::string anchor;
    for (const unsigned char c : text) {
        if (std::isalnum(c) || c == '-' || c == '_' || c >= 0x80) {
            anchor += static_cast<char>(std::tolower(c));
        } else if (c == ' ') {
            anchor += '-';
        }
    }
    return anchor;
}

// The anchors a page's headings (outside code blocks) give, a repeated one with -1, -2, ... as GitHub numbers them.
std::set<std::string> heading_anchors(const std::vector<std::string>& lines) {
    std::set<std::string> anchors;
    std::map<std::string, int> seen;
    const std::regex heading(R"(^#{1,6} +(.*)$)");
    const std::regex link(R"(\[([^\]]*)\]\([^)]*\))");
    bool in_block = false;
    for (const auto& line : lines) {
        if (line.rfind("```", 0) == 0) {
            in_block = !in_block;
            continue;
        }
        std::smatch match;
        if (in_block || !std::regex_match(line, match, heading)) continue;
        const std::string anchor = heading_anchor(std::regex_replace(match[1].str(), link, "$1"));
        const int repeated = seen[anchor]++;
        anchors.insert(repeated == 0 ? anchor : anchor + "-" + std::to_string(repeated));
    }
    return anchors;
}

struct BrokenLink {
    std::size_t line_number;
    std::string target;
    std::string reason;
};

struct LinkCheck {
    std::size_t links = 0;  // relative links followed
    std::vector<BrokenLink> broken;
};

// Follows every relative link of a page (`](target)` outside code blocks and code spans): its file must exist,
// relative to the page's folder, and a #fragment into a Markdown page must name one of its headings. Links with a
// scheme (https:, mailto:) are not followed.
LinkCheck check_links(const fs::path& page) {
    const auto lines = lines_of(page);
    LinkCheck check;
    const std::regex code_span("`[^`]*`");
    const std::regex link(R"(\]\(([^)\s]+)(\s+"[^"]*")?\))");
    const std::regex scheme("^[A-Za-z][A-Za-z0-9+.-]*:");
    bool in_block = false;
    for (std::size_t i = 0; i < lines.size(); ++i) {
        if (lines[i].rfind("```", 0) == 0) {
            in_block = !in_block;
            continue;
        }
        if (in_block) continue;
        const std::string text = std::regex_replace(lines[i], code_span, "");
        for (std::sregex_iterator it(text.begin(), text.end(), link), end; it != end; ++it) {
            const std::string target = (*it)[1];
            if (std::regex_search(target, scheme)) continue;
            ++check.links;
            const auto hash = target.find('#');
            const std::string file = target.substr(0, hash);
            const fs::path resolved = file.empty() ? page : page.parent_path() / file;
            if (!fs::exists(resolved)) {
                check.broken.push_back({i + 1, target, "no such file"});
            } else if (hash != std::string::npos && resolved.extension() == ".md" &&
                       !heading_anchors(lines_of(resolved)).count(target.substr(hash + 1))) {
                check.broken.push_back({i + 1, target, "no such heading"});
            }
        }
    }
    return check;
}

}  // namespace

TEST_CASE("every command and option README.md and docs/*.md mention exists, in that command's --help",
          "[readme][cli]") {
    const auto commands = documented_commands(readme_lines());
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
    const auto pages = documentation_pages();
    CHECK(pages.size() >= 10);
    std::size_t mentioned = 0;
    for (const auto& page : pages) {
        const auto mentions = documented_options(lines_of(page), command_set);
        mentioned += mentions.size();
        for (const auto& mention : mentions) {
            INFO(page_name(page) << " line " << mention.line_number << ": " << mention.option
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
    CHECK(mentioned >= 100);
}

TEST_CASE("docs/commands.md has a section for each command of the README's table, and no other", "[readme]") {
    const auto commands = documented_commands(readme_lines());
    const std::set<std::string> tabled(commands.begin(), commands.end());
    std::set<std::string> sections;
    const std::regex section(R"(^## `([a-z]+)`$)");
    for (const auto& line : lines_of(fs::path(DOCS_DIR) / "commands.md")) {
        std::smatch match;
        if (std::regex_match(line, match, section)) sections.insert(match[1]);
    }
    CHECK(tabled.size() >= 9);
    CHECK(sections == tabled);
}

TEST_CASE("README.md stays short: at most 250 lines, the rest in docs/", "[readme]") {
    CHECK(readme_lines().size() <= 250);
}

TEST_CASE("every relative link in README.md and docs/*.md leads to a file, and to a heading where it names one",
          "[readme]") {
    SECTION("the check finds a missing file and a missing heading, and follows only links outside code") {
        const std::string directory = make_temp_dir("mh-doc-links");
        std::ofstream(directory + "/page.md")
            << "# Page\n\n## A `code` heading: (here)\n\n## Page\n\n[ok](#a-code-heading-here) [self](page.md#page-1)\n"
               "[gone](missing.md) [no heading](page.md#nowhere) `[code](missing.md)` [web](https://example.org/x)\n"
               "```\n[in a block](missing.md)\n```\n";
        const auto check = check_links(directory + "/page.md");
        fs::remove_all(directory);
        CHECK(check.links == 4);
        REQUIRE(check.broken.size() == 2);
        CHECK(check.broken[0].target == "missing.md");
        CHECK(check.broken[0].reason == "no such file");
        CHECK(check.broken[1].target == "page.md#nowhere");
        CHECK(check.broken[1].reason == "no such heading");
    }
    SECTION("README.md and every page of docs/") {
        std::size_t links = 0;
        for (const auto& page : documentation_pages()) {
            const auto check = check_links(page);
            links += check.links;
            for (const auto& broken : check.broken) {
                FAIL_CHECK(page_name(page)
                           << " line " << broken.line_number << ": " << broken.target << ": " << broken.reason);
            }
        }
        CHECK(links >= 50);
    }
}

// docs/commands.md, --log-level: "debug shows every statement a plugin step sends (trace also those of offline
// renders)".
TEST_CASE("the log levels docs/commands.md documents: steps' statements at debug, offline renders at trace only",
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

// docs/configuration.md's PostgreSQL examples: psqlODBC's own keys in a connection string, and a DSN in a private
// odbc.ini that ODBCINI names.
TEST_CASE("postgresql: docs/configuration.md's psqlODBC keys and private odbc.ini connect",
          "[readme][cli][postgresql]") {
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
