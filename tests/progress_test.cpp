// A long data step's progress reports reach the operator: a log line every 5 s without a terminal, a bar on one.
// SPDX-License-Identifier: Apache-2.0
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "command_line/progress_display.hpp"
#include "host_process.hpp"
#include "terminal_host.hpp"
#include "test_database.hpp"

using namespace test_support;

namespace {

const std::vector<std::string> progress_plugin{TEST_PLUGIN_ROOT "/progress"};
// The first line comes 5 s into the step; the limit only ends a test whose host never shows it.
constexpr std::chrono::seconds limit{120};

// A carriage return that does not end a line: what redraws a line in place.
bool redraws_in_place(const std::string& text) {
    for (std::size_t at = text.find('\r'); at != std::string::npos; at = text.find('\r', at + 1)) {
        if (at + 1 >= text.size() || text[at + 1] != '\n') return true;
    }
    return false;
}

struct Released {
    std::string directory = make_temp_dir("progress");
    std::string file = directory + "/release";
    ~Released() { std::filesystem::remove_all(directory); }
    void release() const { std::ofstream(file) << "go\n"; }
};

// The step reports 12000 of 50000 rows until released: without a terminal the host logs that, as a plain line.
void check_plain_line(Backend backend, const std::map<std::string, std::string>& unit, const std::string& line) {
    const auto database = TestDatabase::create(backend);
    if (!database) return;
    const Released released;
    std::map<std::string, std::string> environment{{"MIGRATION_HOST_TEST_RELEASE_FILE", released.file}};
    environment.insert(unit.begin(), unit.end());
    BackgroundHost host(host_run_on(database->connection_string(), progress_plugin, {"upgrade"}, environment));
    const bool shown = wait_for_err_text(line, host, limit);
    released.release();
    const ProcessResult result = host.wait();
    INFO(result.all());
    CHECK(shown);
    CHECK(result.exit_code == 0);
    CHECK(database->version_of("progress") == 1);
    CHECK(database->scalar("SELECT COUNT(*) FROM progress_rows") == std::optional<std::string>("200"));
    CHECK(contains(result.err, " info " + line + "\n"));
    CHECK_FALSE(contains(result.all(), "\x1b"));
    CHECK_FALSE(contains(result.all(), "\r"));
}

// On a pseudo-terminal where the host must not draw (NO_COLOR, TERM=dumb): the plain line, no escape sequence, no
// line redrawn.
void check_plain_on_terminal(const std::map<std::string, std::string>& terminal) {
    const auto database = TestDatabase::create(Backend::sqlite);
    const Released released;
    std::map<std::string, std::string> environment{{"MIGRATION_HOST_TEST_RELEASE_FILE", released.file}};
    environment.insert(terminal.begin(), terminal.end());
    TerminalHost host(host_run_on(database->connection_string(), progress_plugin, {"upgrade"}, environment));
    const bool shown = host.wait_for_output("progress@1: 12000 of 50000 rows (24%)\r\n", limit);
    released.release();
    const ProcessResult result = host.wait();
    INFO(result.out);
    CHECK(shown);
    CHECK(result.exit_code == 0);
    CHECK(contains(result.out, "Upgraded progress 0 -> 1: 001_progress_rows"));
    CHECK_FALSE(contains(result.out, "\x1b"));
    CHECK_FALSE(redraws_in_place(result.out));
}

}  // namespace

TEST_CASE("progress: without a terminal, a long step's reports are a log line with its numbers, no escapes",
          "[sqlite][progress]") {
    check_plain_line(Backend::sqlite, {}, "progress@1: 12000 of 50000 rows (24%)");
}

TEST_CASE("progress: a report with no unit and no total is logged as a count of items", "[sqlite][progress]") {
    check_plain_line(Backend::sqlite, {{"MIGRATION_HOST_TEST_PROGRESS_UNIT", "-"}}, "progress@1: 12000 items");
}

TEST_CASE("progress: a long MariaDB step's reports are logged with its numbers", "[mysql][progress]") {
    check_plain_line(Backend::mysql, {}, "progress@1: 12000 of 50000 rows (24%)");
}

TEST_CASE("progress: a long PostgreSQL step's reports are logged with its numbers", "[postgresql][progress]") {
    check_plain_line(Backend::postgresql, {}, "progress@1: 12000 of 50000 rows (24%)");
}

TEST_CASE("progress: on a terminal with NO_COLOR, or TERM=dumb, the plain line and no escape sequence",
          "[sqlite][progress]") {
    SECTION("NO_COLOR") {
        check_plain_on_terminal({{"TERM", "xterm"}, {"NO_COLOR", "1"}});
    }
    SECTION("TERM=dumb") {
        check_plain_on_terminal({{"TERM", "dumb"}, {"NO_COLOR", ""}});
    }
}

TEST_CASE("progress: on a terminal, a bar redrawn in place, cleared before the step's result", "[sqlite][progress]") {
    const auto database = TestDatabase::create(Backend::sqlite);
    const Released released;
    TerminalHost host(
        host_run_on(database->connection_string(), progress_plugin, {"upgrade"},
                    {{"MIGRATION_HOST_TEST_RELEASE_FILE", released.file}, {"TERM", "xterm"}, {"NO_COLOR", ""}}));
    const bool drawn = host.wait_for_output("]  24% 12000/50000 rows", limit);
    released.release();
    const ProcessResult result = host.wait();
    INFO(result.out);
    CHECK(drawn);
    CHECK(result.exit_code == 0);
    CHECK(contains(result.out, "\r\x1b[Kprogress@1 [#"));
    CHECK(redraws_in_place(result.out));
    // Cleared at the step's end, before the result line; never a plain progress line on a terminal.
    CHECK(contains(result.out, "rows\r\x1b[KUpgraded progress 0 -> 1: 001_progress_rows"));
    CHECK_FALSE(contains(result.out, "progress@1: 12000 of 50000 rows"));
}

namespace {

migration_host::run_event::StepProgress cinder_4(std::uint64_t done, std::uint64_t total, std::string unit) {
    migration_host::StepDescription step;
    step.track = "cinder";
    step.version = 4;
    return {step, done, total, std::move(unit)};
}

}  // namespace

TEST_CASE("progress: the log line and the bar say the numbers as reported, and fit the terminal", "[progress]") {
    using migration_host::ProgressDisplay;
    CHECK(ProgressDisplay::log_line(cinder_4(12000, 50000, "rows")) == "cinder@4: 12000 of 50000 rows (24%)");
    CHECK(ProgressDisplay::log_line(cinder_4(7, 0, "items")) == "cinder@4: 7 items");
    CHECK(ProgressDisplay::log_line(cinder_4(60, 50, "rows")) == "cinder@4: 60 of 50 rows (120%)");
    auto downgrade = cinder_4(1, 2, "rows");
    downgrade.step.direction = migration_host::Direction::downgrade;
    CHECK(ProgressDisplay::log_line(downgrade) == "cinder@4 downgrade: 1 of 2 rows (50%)");

    CHECK(ProgressDisplay::bar_line(cinder_4(12000, 50000, "rows"), 100) ==
          "cinder@4 [#########...............................]  24% 12000/50000 rows");
    // Past the total the bar is full and the figures say what was reported.
    CHECK(ProgressDisplay::bar_line(cinder_4(60, 50, "rows"), 100) ==
          "cinder@4 [########################################] 120% 60/50 rows");
    CHECK(ProgressDisplay::bar_line(cinder_4(7, 0, "items"), 100) == "cinder@4 7 items");
    // Narrower: a shorter bar, then none, then the text cut; never as wide as the terminal (it would wrap).
    CHECK(ProgressDisplay::bar_line(cinder_4(12000, 50000, "rows"), 50) ==
          "cinder@4 [###.............]  24% 12000/50000 rows");
    CHECK(ProgressDisplay::bar_line(cinder_4(12000, 50000, "rows"), 40) == "cinder@4  24% 12000/50000 rows");
    CHECK(ProgressDisplay::bar_line(cinder_4(12000, 50000, "rows"), 20) == "cinder@4  24% 12000");
    // A plugin's unit cannot drive the terminal.
    CHECK(ProgressDisplay::bar_line(cinder_4(1, 0, "rows\x1b[2J"), 100) == "cinder@4 1 rows\\x1b[2J");
}
