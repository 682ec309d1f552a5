// Fleet runs stream: each database's log reaches the parent's stderr as it is written, under the target's name.
// SPDX-License-Identifier: Apache-2.0
#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "command_line/fleet.hpp"
#include "database/redact.hpp"
#include "host_process.hpp"
#include "json_schema.hpp"
#include "lock_scenarios.hpp"
#include "test_database.hpp"

#ifndef TEST_PLUGIN_ROOT
#error "TEST_PLUGIN_ROOT must be defined by the build"
#endif

using namespace test_support;
using nlohmann::json;

namespace {

std::string write_file(const std::string& path, const std::string& text) {
    std::ofstream(path) << text;
    return path;
}

// A local TCP port nobody listens on (bound, then released).
int unused_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd >= 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    socklen_t length = sizeof address;
    REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0);
    ::close(fd);
    return ntohs(address.sin_port);
}

const std::string secret = "fleet-live-secret-3b9e";
const std::string long_name = "a_database_whose_name_alone_is_longer_than_any_summary_column_could_ever_hold_whole";

// A connection string far wider than a terminal, with a password, to a database of `backend` that cannot be
// reached: its row in the summary carries a long label and a long cause.
std::string unreachable_connection_string(Backend backend) {
    switch (backend) {
        case Backend::sqlite:
            return fmt::format("DRIVER=SQLite3;DATABASE=/nonexistent/directory/of/the/fleet/{}.sqlite;PWD={}",
                               long_name, secret);
        case Backend::mysql:
            return fmt::format("DRIVER={{MariaDB Unicode}};SERVER=127.0.0.1;PORT={};UID=nobody;PWD={};DATABASE={}",
                               unused_port(), secret, long_name);
        case Backend::postgresql:
            return fmt::format(
                "DRIVER={{PostgreSQL Unicode}};Servername=127.0.0.1;Port={};Username=nobody;Password={};Database={}",
                unused_port(), secret, long_name);
    }
    return {};
}

// Columns, counting one per UTF-8 code point (the ellipsis the host cuts with is one).
std::size_t columns_of(const std::string& line) {
    std::size_t columns = 0;
    for (const char byte : line) {
        if ((static_cast<unsigned char>(byte) & 0xc0U) != 0x80U) ++columns;
    }
    return columns;
}

// The first line of `text` that starts with `start` and holds `part`; "" for none.
std::string line_with(const std::string& text, const std::string& start, const std::string& part) {
    for (const auto& line : lines_of(text)) {
        if (line.rfind(start, 0) == 0 && contains(line, part)) return line;
    }
    return "";
}

std::vector<std::string> slow_plugin_options() {
    return {"--no-default-plugins", "--plugin-path", TEST_PLUGIN_ROOT "/slow"};
}

// A fleet of three: east-1, a configured target whose database another host holds the run lock of (inside slow's
// step); a free database given by its connection string; and one that cannot be reached. While east-1 waits, its
// waiting line is already on the fleet's stderr under its name; the summary fits 100 columns, and only the JSON
// summary carries the (redacted) connection strings.
void check_lock_wait_streams(Backend backend) {
    const auto locked = TestDatabase::create(backend);
    const auto free = TestDatabase::create(backend);
    if (!locked || !free) return;  // no server (outside CI): already warned
    TempDir directory;
    const std::string ready = directory.path + "/ready";
    const std::string release = directory.path + "/release";
    const auto unreachable = unreachable_connection_string(backend);
    const auto config =
        write_file(directory.path + "/mh.ini", fmt::format("[target.east-1]\ndsn = {}\n", locked->connection_string()));
    std::filesystem::permissions(config, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    const auto targets = write_file(directory.path + "/targets",
                                    fmt::format("east-1\n{}\n{}\n", free->connection_string(), unreachable));
    auto holder = start_lock_holder(*locked, ready, release);

    std::vector<std::string> arguments = slow_plugin_options();
    for (const std::string& argument : std::vector<std::string>{"--config", config, "--lock-timeout", "120", "upgrade",
                                                                "--targets", targets, "--jobs", "3"}) {
        arguments.push_back(argument);
    }
    BackgroundHost fleet(HostRun{arguments, {{"NO_COLOR", ""}}, std::nullopt});
    const bool waiting_shown = wait_for_err_text("waiting up to 120 s for the lock", fleet, std::chrono::seconds(60));
    const bool still_running = fleet.running();
    const std::string err_while_waiting = fleet.err_so_far();
    touch(release);
    const auto held = holder.wait();
    const auto result = fleet.wait();
    INFO("while waiting:\n" << err_while_waiting << "\nat the end:\n" << result.all() << "\nholder:\n" << held.all());
    CHECK(waiting_shown);
    CHECK(still_running);
    CHECK(line_with(err_while_waiting, "[east-1] ", "waiting up to 120 s for the lock") != "");

    CHECK(result.exit_code == 3);  // the unreachable one
    CHECK(contains(result.err, "] east-1: exit 0 (ok) in "));
    // The summary (each database's own output above it is the database's, as a single run prints it).
    const auto summary = result.out.find("\nFleet summary: ");
    REQUIRE(summary != std::string::npos);
    CHECK(lines_of(result.out.substr(summary + 1)).size() == 5);  // the headline, the header row, three rows
    for (const auto& line : lines_of(result.out.substr(summary + 1))) {
        INFO(line);
        CHECK(columns_of(line) <= 100);
    }
    CHECK(line_with(result.out, "east-1 ", " ok ") != "");
    // Nothing on a pipe is a terminal: no escape sequence, no live status line.
    CHECK_FALSE(contains(result.all(), "\x1b"));
    CHECK_FALSE(contains(result.all(), secret));
    for (const auto& db : {&locked, &free}) CHECK_FALSE(contains(result.all(), (*db)->connection_string()));

    // The JSON summary names each target as the text did ("label"), and as the file writes it, password hidden
    // ("target").
    std::vector<std::string> json_arguments = slow_plugin_options();
    for (const std::string& argument :
         std::vector<std::string>{"--config", config, "status", "--targets", targets, "--format", "json"}) {
        json_arguments.push_back(argument);
    }
    const auto status = run_host(HostRun{json_arguments, {}, std::nullopt});
    INFO(status.all());
    REQUIRE(status.exit_code == 3);
    CHECK_FALSE(contains(status.all(), secret));
    const json document = parse_fleet_against_schemas(status.out);
    REQUIRE(document["targets"].size() == 3);
    CHECK(document["targets"][0]["target"] == "east-1");
    CHECK(document["targets"][0]["label"] == "east-1");
    CHECK(document["targets"][1]["target"] == migration_host::redact_connection_string(free->connection_string()));
    CHECK(document["targets"][2]["target"] == migration_host::redact_connection_string(unreachable));
    for (std::size_t i = 1; i < 3; ++i) {
        const std::string label = document["targets"][i]["label"];
        INFO(label);
        CHECK(columns_of(label) <= 40);
        CHECK_FALSE(contains(label, "PWD"));
        CHECK_FALSE(contains(label, "Password"));
        // The name the text run used: its progress line, and the summary row.
        CHECK(contains(result.err, fmt::format("] {}: exit ", label)));
        CHECK(line_with(result.out, label + " ", "") != "");
    }
    CHECK(contains(result.err, fmt::format("[{}] ", document["targets"][1]["label"].get<std::string>())));
}

}  // namespace

TEST_CASE("fleet live: a SQLite database waiting on the run lock shows its waiting line while the fleet runs",
          "[sqlite][fleet]") {
    check_lock_wait_streams(Backend::sqlite);
}

TEST_CASE("fleet live: a MariaDB database waiting on the run lock shows its waiting line while the fleet runs",
          "[mysql][fleet]") {
    check_lock_wait_streams(Backend::mysql);
}

TEST_CASE("fleet live: a PostgreSQL database waiting on the run lock shows its waiting line while the fleet runs",
          "[postgresql][fleet]") {
    check_lock_wait_streams(Backend::postgresql);
}

TEST_CASE("fleet live: on a terminal a status line is redrawn around the relayed lines, and NO_COLOR turns it off",
          "[sqlite][fleet]") {
    std::vector<std::unique_ptr<TestDatabase>> databases;
    std::string sections;
    for (int i = 1; i <= 4; ++i) {
        databases.push_back(TestDatabase::create(Backend::sqlite));
        sections += fmt::format("[target.west-{}]\ndsn = {}\n\n", i, databases.back()->connection_string());
    }
    TempDir directory;
    const auto config = write_file(directory.path + "/mh.ini", sections);
    // Fresh databases for each run, so that each logs its upgrade.
    const auto first_two = write_file(directory.path + "/first-two", "west-1\nwest-2\n");
    const auto last_two = write_file(directory.path + "/last-two", "west-3\nwest-4\n");
    const auto fleet_under_terminal = [&](const std::string& targets, const std::string& no_color) {
        std::string command = "exec '" + host_executable() + "'";
        for (const auto& argument : slow_plugin_options()) command += " '" + argument + "'";
        command += " --config '" + config + "' upgrade --targets '" + targets + "' --jobs 2";
        // util-linux script(1) runs the host on a pseudo-terminal and copies what the terminal got to its stdout.
        return run_process({"script", "-qec", command, "/dev/null"},
                           {{"TERM", "xterm"}, {"NO_COLOR", no_color}, {"MIGRATION_HOST_DSN", ""}});
    };

    const auto live = fleet_under_terminal(first_two, "");
    INFO(live.all());
    REQUIRE(live.exit_code == 0);
    CHECK(contains(live.out, "/2, running: west-"));
    // Each relayed line starts where the erased status line was.
    CHECK(contains(live.out, "\r\x1b[K[west-1] "));
    CHECK(contains(live.out, "\r\x1b[K[west-2] "));
    CHECK(contains(live.out, "Fleet summary: upgrade on 2 databases"));

    const auto plain = fleet_under_terminal(last_two, "1");
    INFO(plain.all());
    REQUIRE(plain.exit_code == 0);
    CHECK(contains(plain.out, "[west-3] "));
    CHECK_FALSE(contains(plain.out, "\x1b"));
    CHECK_FALSE(contains(plain.out, "running: "));
}

TEST_CASE("fleet live: a connection string's short label says where it connects, in 40 columns, without a password",
          "[fleet]") {
    using migration_host::connection_string_label;
    CHECK(connection_string_label("DRIVER={MariaDB Unicode};SERVER=db3;UID=cinder;PWD=hunter2;DATABASE=cinder") ==
          "mariadb:cinder@db3");
    CHECK(connection_string_label(
              "DRIVER={PostgreSQL Unicode};Servername=10.0.0.7;Port=5432;Database=cinder;Username=c;Password=x") ==
          "postgresql:cinder@10.0.0.7");
    CHECK(connection_string_label("DRIVER=SQLite3;DATABASE=/srv/cells/a.sqlite;Timeout=5000") ==
          "sqlite:/srv/cells/a.sqlite");
    // Too long: a path keeps its end, a database name both its ends, a host its start.
    const auto path =
        connection_string_label("DRIVER=SQLite3;DATABASE=/srv/tenants/eu-west/cinder-production/volumes.sqlite");
    CHECK(path == "sqlite:\u2026cinder-production/volumes.sqlite");
    const auto server = connection_string_label(
        "DRIVER={MariaDB Unicode};SERVER=db-eu-west-3.internal.example.com;PWD=s3cret;"
        "DATABASE=cinder_volumes_production_cell_12");
    INFO(server);
    CHECK(columns_of(server) == 40);
    CHECK(server.rfind("mariadb:cinder_", 0) == 0);
    CHECK(contains(server, "_12@db-eu-west-3"));
    CHECK_FALSE(contains(server, "s3cret"));
}
