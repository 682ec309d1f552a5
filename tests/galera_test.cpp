// Hosts on different nodes of a real 3-node MariaDB Galera cluster: each step applied exactly once, and a dead node's lock passes on.
// SPDX-License-Identifier: Apache-2.0
#include <fmt/format.h>
#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "cinder_schema_check.hpp"
#include "host_process.hpp"
#include "json_schema.hpp"
#include "test_database.hpp"

#ifndef CINDER_PLUGIN_DIR
#error "CINDER_PLUGIN_DIR must be defined by the build"
#endif
#ifndef TEST_PLUGIN_ROOT
#error "TEST_PLUGIN_ROOT must be defined by the build"
#endif

using namespace test_support;

namespace {

using Clock = std::chrono::steady_clock;

const std::vector<std::string> chained_plugins{CINDER_PLUGIN_DIR, TEST_PLUGIN_ROOT "/cinder_more",
                                               TEST_PLUGIN_ROOT "/manila"};
const std::vector<std::string> slow_plugin{TEST_PLUGIN_ROOT "/slow"};
const std::vector<std::string> chained_steps{"Upgraded cinder 0 -> 1", "Upgraded cinder 1 -> 2",
                                             "Upgraded cinder 2 -> 3", "Upgraded manila 0 -> 1",
                                             "Upgraded manila 1 -> 2"};


std::size_t occurrences(const std::string& text, const std::string& part) {
    std::size_t count = 0;
    for (auto at = text.find(part); at != std::string::npos; at = text.find(part, at + part.size())) ++count;
    return count;
}

double seconds_since(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

// Every history row as "track@version direction outcome", sorted: on Galera AUTO_INCREMENT steps by the cluster
// size, so the ids say nothing about order beyond what the rows themselves say.
std::vector<std::string> sorted_history(const TestDatabase& database) {
    std::vector<std::string> rows;
    for (const auto& row : database.query("SELECT track, version, direction, outcome FROM migration_host_history")) {
        rows.push_back(fmt::format("{}@{} {} {}", row.at(0).value_or("NULL"), row.at(1).value_or("NULL"),
                                   row.at(2).value_or("NULL"), row.at(3).value_or("NULL")));
    }
    std::sort(rows.begin(), rows.end());
    return rows;
}

// The schema the chained plugins give on one standalone MariaDB server, read once per process.
const std::vector<std::string>& single_server_schema() {
    static const std::vector<std::string> schema = [] {
        const auto database = TestDatabase::create(Backend::mysql);
        REQUIRE(database);
        const auto upgrade = run_host(host_run_on(database->connection_string(), chained_plugins, {"upgrade"}));
        INFO(upgrade.all());
        REQUIRE(upgrade.exit_code == 0);
        return describe_tables(read_tables(*database));
    }();
    return schema;
}

struct RaceCount {
    std::size_t hosts = 0, applied_all = 0, nothing_to_do = 0;
    std::map<std::string, std::size_t> per_step;  // how many hosts applied each step (must be 1)
};

// `nodes[i]` is the node (1-3) host i connects to; the hosts start in that order, all before any is waited for.
RaceCount race(const TestDatabase& database, const std::vector<int>& nodes) {
    std::vector<std::unique_ptr<TestDatabase>> views;
    for (int node = 1; node <= 3; ++node) views.push_back(database.through_galera_node(node));
    std::vector<BackgroundHost> hosts(nodes.size());
    for (std::size_t i = 0; i < nodes.size(); ++i) {
        hosts[i].start(host_run_on(views[static_cast<std::size_t>(nodes[i] - 1)]->connection_string(),
                                   chained_plugins, {"upgrade"}));
    }
    std::vector<ProcessResult> results;
    for (auto& host : hosts) results.push_back(host.wait());

    RaceCount count;
    count.hosts = nodes.size();
    std::string all_out;
    for (std::size_t i = 0; i < results.size(); ++i) {
        const ProcessResult& result = results[i];
        INFO("host " << i << " on node " << nodes[i] << " exit " << result.exit_code << "\nstdout:\n"
                     << result.out << "stderr (last 4000):\n"
                     << result.err.substr(result.err.size() > 4000 ? result.err.size() - 4000 : 0));
        CHECK(result.exit_code == 0);
        CHECK_FALSE(contains(result.err, " warning "));
        CHECK_FALSE(contains(result.err, " error "));
        if (contains(result.out, "Applied 5 steps")) ++count.applied_all;
        if (contains(result.out, "Nothing to do")) {
            ++count.nothing_to_do;
            // Read under the lock, after the winner's commits reached this node (wsrep_sync_wait).
            CHECK(contains(result.out, "cinder at 3, manila at 2"));
        }
        all_out += result.out;
    }
    for (const auto& step : chained_steps) {
        count.per_step[step] = occurrences(all_out, step);
        INFO("all stdout:\n" << all_out);
        CHECK(count.per_step[step] == 1);
    }
    CHECK(count.applied_all == 1);
    CHECK(count.nothing_to_do == nodes.size() - 1);

    const std::vector<std::string> expected_history{"cinder@1 upgrade succeeded", "cinder@2 upgrade succeeded",
                                                    "cinder@3 upgrade succeeded", "manila@1 upgrade succeeded",
                                                    "manila@2 upgrade succeeded"};
    // Every node holds the same history, versions and schema, equal to one server's.
    for (int node = 1; node <= 3; ++node) {
        const TestDatabase& view = *views[static_cast<std::size_t>(node - 1)];
        INFO("node " << node);
        CHECK(sorted_history(view) == expected_history);
        CHECK(view.version_of("cinder") == 3);
        CHECK(view.version_of("manila") == 2);
        CHECK(describe_tables(read_tables(view)) == single_server_schema());
    }
    return count;
}

std::string describe_counts(const std::vector<RaceCount>& counts) {
    std::size_t hosts = 0, applied = 0, idle = 0;
    std::map<std::string, std::size_t> per_step;
    for (const auto& count : counts) {
        hosts += count.hosts;
        applied += count.applied_all;
        idle += count.nothing_to_do;
        for (const auto& [step, times] : count.per_step) per_step[step] += times;
    }
    std::string steps;
    for (const auto& [step, times] : per_step) {
        steps += fmt::format("{}'{}' {} times", steps.empty() ? "" : ", ", step, times);
    }
    return fmt::format("{} runs, {} hosts in all: {} applied the 5 steps, {} found nothing to do; {}", counts.size(),
                       hosts, applied, idle, steps);
}

}  // namespace

TEST_CASE("galera: 3 hosts, one per node, started at once, apply each step exactly once (10 start orders)",
          "[galera][mysql]") {
    const std::array<std::vector<int>, 6> orders{{{1, 2, 3}, {3, 2, 1}, {2, 3, 1}, {1, 3, 2}, {2, 1, 3}, {3, 1, 2}}};
    std::vector<RaceCount> counts;
    const auto start = Clock::now();
    for (int round = 0; round < 10; ++round) {
        const auto database = TestDatabase::create_on_galera();
        if (!database) return;
        const auto& order = orders[static_cast<std::size_t>(round) % orders.size()];
        INFO("round " << round << ", start order " << order[0] << order[1] << order[2] << ", database "
                      << database->name());
        counts.push_back(race(*database, order));
    }
    WARN(fmt::format("galera, 3 hosts one per node: {} ({:.1f} s)", describe_counts(counts), seconds_since(start)));
}

TEST_CASE("galera: 6 hosts, two per node, started at once, apply each step exactly once", "[galera][mysql]") {
    std::vector<RaceCount> counts;
    const auto start = Clock::now();
    for (const auto& order : {std::vector<int>{1, 2, 3, 1, 2, 3}, std::vector<int>{3, 3, 2, 2, 1, 1}}) {
        const auto database = TestDatabase::create_on_galera();
        if (!database) return;
        INFO("database " << database->name());
        counts.push_back(race(*database, order));
    }
    WARN(fmt::format("galera, 6 hosts two per node: {} ({:.1f} s)", describe_counts(counts), seconds_since(start)));
}

TEST_CASE("galera: killing the lock holder's node mid-step passes the lock to a host on another node, which finds "
          "the track dirty and applies nothing twice",
          "[galera][mysql]") {
    const auto database = TestDatabase::create_on_galera();
    if (!database) return;
    const auto on_node1 = database->through_galera_node(1);
    const auto on_node3 = database->through_galera_node(3);
    const std::string temp = make_temp_dir("mh-galera");
    const std::string ready = temp + "/ready", release = temp + "/release";

    // The holder runs on node 3, inside slow's step (its CREATE TABLE done and replicated, its INSERT not yet).
    BackgroundHost holder(host_run_on(on_node3->connection_string(), slow_plugin, {"upgrade"},
                                      {{"MIGRATION_HOST_TEST_SLEEP_MS", "120000"},
                                       {"MIGRATION_HOST_TEST_READY_FILE", ready},
                                       {"MIGRATION_HOST_TEST_RELEASE_FILE", release}}));
    if (!wait_for_file(ready, holder, std::chrono::seconds(30))) {
        holder.kill(SIGKILL);
        const auto result = holder.wait();
        FAIL("the slow step never signalled it was running; host exit " << result.exit_code << ":\n" << result.all());
    }
    // A contender on node 1 waits for the lock while the holder runs.
    const int lock_timeout = 60;
    BackgroundHost contender(host_run_on(on_node1->connection_string(), slow_plugin,
                                         {"--lock-timeout", std::to_string(lock_timeout), "upgrade"},
                                         {{"MIGRATION_HOST_TEST_SLEEP_MS", "0"}}));
    std::this_thread::sleep_for(std::chrono::seconds(2));
    REQUIRE(contender.running());

    const auto killed_at = Clock::now();
    kill_galera_node(3);
    {
        std::ofstream(release).close();  // the holder's step goes on, on a connection that is gone
    }
    const ProcessResult contended = contender.wait();
    const double contender_seconds = seconds_since(killed_at);
    const ProcessResult held = holder.wait();
    INFO("holder (node 3), exit " << held.exit_code << ":\n" << held.all());
    INFO("contender (node 1) ended " << contender_seconds << " s after the kill, exit " << contended.exit_code << ":\n"
                                     << contended.all());
    CHECK(held.exit_code != 0);
    CHECK_FALSE(contains(held.out, "Upgraded slow"));
    // The cluster dropped the dead node's lock row claim, and the contender took the lock well within its timeout:
    // it finds the track dirty (the killed step's DDL committed, its INSERT did not) and, as on one server, resumes
    // the step after what the killed attempt recorded.
    CHECK(contender_seconds < lock_timeout);
    CHECK_FALSE(contains(contended.err, "timed out"));
    CHECK(contended.exit_code == 0);
    CHECK(contains(contended.err, "resuming slow@1 after statement 0 of 2"));
    CHECK(sorted_history(*on_node1) == std::vector<std::string>{"slow@1 upgrade started", "slow@1 upgrade succeeded"});
    CHECK(on_node1->query("SELECT id FROM slow_marker").size() == 1);
    CHECK(on_node1->version_of("slow") == 1);

    // Node 3 rejoins (later tests see 3 nodes), with the same state.
    start_galera_node(3);
    const auto rejoined = database->through_galera_node(3);
    CHECK(sorted_history(*rejoined) == std::vector<std::string>{"slow@1 upgrade started", "slow@1 upgrade succeeded"});
    CHECK(table_names(*rejoined) == std::vector<std::string>{"slow_marker"});

    std::error_code ignored;
    std::filesystem::remove_all(temp, ignored);
    WARN(fmt::format("galera: node 3 killed under the lock holder; the contender on node 1 had the lock and ended "
                     "(exit {}) {:.1f} s after the kill",
                     contended.exit_code, contender_seconds));
}

TEST_CASE("galera: a host on another node waits for the lock row, then times out naming it", "[galera][mysql]") {
    const auto database = TestDatabase::create_on_galera();
    if (!database) return;
    const auto on_node1 = database->through_galera_node(1);
    const auto on_node2 = database->through_galera_node(2);
    const std::string temp = make_temp_dir("mh-galera");
    const std::string ready = temp + "/ready", release = temp + "/release";
    BackgroundHost holder(host_run_on(on_node1->connection_string(), slow_plugin, {"upgrade"},
                                      {{"MIGRATION_HOST_TEST_SLEEP_MS", "120000"},
                                       {"MIGRATION_HOST_TEST_READY_FILE", ready},
                                       {"MIGRATION_HOST_TEST_RELEASE_FILE", release}}));
    if (!wait_for_file(ready, holder, std::chrono::seconds(30))) {
        holder.kill(SIGKILL);
        const auto result = holder.wait();
        FAIL("the slow step never signalled it was running; host exit " << result.exit_code << ":\n" << result.all());
    }
    // GET_LOCK would be granted here: node 2 knows nothing of node 1's session locks.
    const auto waiter = run_host(
        host_run_on(on_node2->connection_string(), slow_plugin, {"--lock-timeout", "3", "upgrade"}));
    INFO("waiter on node 2, exit " << waiter.exit_code << ":\n" << waiter.all());
    CHECK(waiter.exit_code == 11);
    CHECK(contains(waiter.err, "timed out after 3 s waiting for the lock Galera lock row " + database->name() +
                                   ".migration_host_galera_lock (id 1)"));
    // While the step runs, status on a third node sees the cluster and the unfinished step as running, not dead.
    const auto status = run_host(host_run_on(database->through_galera_node(3)->connection_string(), slow_plugin,
                                             {"status", "--format", "json"}));
    INFO("status on node 3:\n" << status.all());
    REQUIRE(status.exit_code == 0);
    const auto document = parse_against_schema(status.out, "status");
    CHECK(document.at("database").at("galera") == nlohmann::json{{"node", "node3"}, {"cluster_size", 3}});
    CHECK(document.at("run_in_progress") == true);

    std::ofstream(release).close();
    const auto held = holder.wait();
    INFO("holder on node 1:\n" << held.all());
    CHECK(held.exit_code == 0);
    CHECK(contains(held.out, "Upgraded slow 0 -> 1"));
    const auto text_status = run_host(host_run_on(on_node2->connection_string(), slow_plugin, {"status"}));
    INFO(text_status.all());
    CHECK(contains(text_status.out, " Galera cluster (node node2 of 3) at 127.0.0.1:"));
    CHECK(sorted_history(*on_node2) == std::vector<std::string>{"slow@1 upgrade succeeded"});
    std::error_code ignored;
    std::filesystem::remove_all(temp, ignored);
}

TEST_CASE("galera: a lock holder killed with SIGKILL frees the lock row on every node at once", "[galera][mysql]") {
    const auto database = TestDatabase::create_on_galera();
    if (!database) return;
    const auto on_node2 = database->through_galera_node(2);
    const std::string temp = make_temp_dir("mh-galera");
    const std::string ready = temp + "/ready";
    BackgroundHost holder(host_run_on(database->through_galera_node(1)->connection_string(), slow_plugin, {"upgrade"},
                                      {{"MIGRATION_HOST_TEST_SLEEP_MS", "120000"},
                                       {"MIGRATION_HOST_TEST_READY_FILE", ready}}));
    if (!wait_for_file(ready, holder, std::chrono::seconds(30))) {
        holder.kill(SIGKILL);
        const auto result = holder.wait();
        FAIL("the slow step never signalled it was running; host exit " << result.exit_code << ":\n" << result.all());
    }
    holder.kill(SIGKILL);
    const auto killed = holder.wait();
    CHECK(killed.exit_code == 128 + SIGKILL);
    // Node 1 saw the connection close and rolled back the lock row's claim, on every node: a host on node 2 gets
    // the lock without waiting it out, and finds the killed step's track dirty (its DDL committed, as on MySQL), which
    // it finishes by resuming the step.
    const auto after = run_host(host_run_on(on_node2->connection_string(), slow_plugin,
                                            {"--lock-timeout", "30", "upgrade"}, {{"MIGRATION_HOST_TEST_SLEEP_MS", "0"}}));
    INFO("upgrade on node 2 after the kill, exit " << after.exit_code << ":\n" << after.all());
    CHECK(after.exit_code == 0);
    CHECK_FALSE(contains(after.err, "timed out"));
    CHECK(contains(after.err, "resuming slow@1 after statement 0 of 2"));
    CHECK(sorted_history(*on_node2) == std::vector<std::string>{"slow@1 upgrade started", "slow@1 upgrade succeeded"});
    std::error_code ignored;
    std::filesystem::remove_all(temp, ignored);
}
