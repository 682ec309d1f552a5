// Fleets split between machines (--shard INDEX/COUNT): rendezvous hashing of target names, and the real executable.
// SPDX-License-Identifier: Apache-2.0
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "database/redact.hpp"
#include "end_state.hpp"
#include "engine/fleet_shard.hpp"
#include "help_text.hpp"
#include "host_process.hpp"
#include "json_schema.hpp"
#include "test_database.hpp"

#ifndef KUBERNETES_DOCS_DIR
#error "KUBERNETES_DOCS_DIR must be defined by the build"
#endif

using namespace test_support;
using migration_host::FleetShard;
using migration_host::owning_shard;
using nlohmann::json;

namespace {

std::vector<std::string> cinder_plugins() {
    return {"--no-default-plugins", "--plugin-path", CINDER_PLUGIN_DIR, "--plugin-path", GRIZZLY_PLUGIN_DIR};
}

HostRun fleet_run(const std::vector<std::string>& arguments, std::map<std::string, std::string> environment = {},
                  const std::vector<std::string>& plugins = cinder_plugins()) {
    HostRun run;
    run.arguments = plugins;
    run.arguments.insert(run.arguments.end(), arguments.begin(), arguments.end());
    run.environment = std::move(environment);
    return run;
}

// The name a fleet run gives a database listed by its connection string.
std::string label_of(const TestDatabase& db) {
    return migration_host::redact_connection_string(db.connection_string());
}

std::vector<std::string> numbered_names(std::size_t count) {
    std::vector<std::string> names;
    for (std::size_t i = 0; i < count; ++i) names.push_back(fmt::format("tenant-{:05}", i));
    return names;
}

// The targets a fleet run's JSON document lists, by label.
std::vector<std::string> targets_of(const json& document) {
    std::vector<std::string> labels;
    for (const auto& target : document["targets"]) labels.push_back(target["target"]);
    return labels;
}

struct TargetsFile {
    std::string directory = make_temp_dir("mh-shard");
    std::string path = directory + "/targets";
    explicit TargetsFile(const std::string& text) { std::ofstream(path) << text; }
    ~TargetsFile() { std::filesystem::remove_all(directory); }
};

std::string listing_of(const std::vector<std::unique_ptr<TestDatabase>>& databases) {
    std::string listing = "# the fleet, one line each\n";
    for (const auto& db : databases) listing += db->connection_string() + "\n";
    return listing;
}

// `count` fresh databases on `backend`; none when the server cannot be had (outside CI: already warned).
std::vector<std::unique_ptr<TestDatabase>> fresh_databases(Backend backend, std::size_t count) {
    std::vector<std::unique_ptr<TestDatabase>> databases;
    for (std::size_t i = 0; i < count; ++i) {
        auto db = TestDatabase::create(backend);
        if (!db) return {};
        databases.push_back(std::move(db));
    }
    return databases;
}

// The plugins a sharded run over `backend` loads: both Cinder plugins on SQLite; on the servers, where 64 Cinder
// upgrades take minutes (3 s each on MariaDB), the two small steps of the test plugin `reversible`, which keep the
// test about sharding rather than about Cinder.
struct ShardedPlugins {
    std::vector<std::string> directories;
    std::vector<std::string> versions;  // what a run leaves
};
ShardedPlugins sharded_plugins(Backend backend) {
    if (backend == Backend::sqlite) return {{CINDER_PLUGIN_DIR, GRIZZLY_PLUGIN_DIR}, {"cinder@9"}};
    return {{TEST_PLUGIN_ROOT "/reversible"}, {"crabs@2"}};
}

// 8 processes of the real host, all at once, each `upgrade --shard I/8` over one targets file of `databases`: each
// database is upgraded by exactly one of them, the one whose shard the engine's rendezvous hashing gives its label,
// and ends as a run of its own leaves a database; `status --targets` over the whole file then finds all up to date.
void check_eight_shards_upgrade_every_database_once(Backend backend, std::size_t count) {
    const auto databases = fresh_databases(backend, count);
    if (databases.empty()) return;
    const auto reference = TestDatabase::create(backend);
    REQUIRE(reference);
    const ShardedPlugins plugins = sharded_plugins(backend);
    std::vector<std::string> plugin_arguments{"--no-default-plugins"};
    for (const auto& directory : plugins.directories) {
        plugin_arguments.insert(plugin_arguments.end(), {"--plugin-path", directory});
    }
    const auto single = run_host(host_run_on(reference->connection_string(), plugins.directories, {"upgrade"}));
    INFO(single.all());
    REQUIRE(single.exit_code == 0);
    const EndState single_run = end_state(*reference);
    REQUIRE(single_run.versions == plugins.versions);

    const TargetsFile targets(listing_of(databases));
    constexpr std::uint32_t shards = 8;
    std::vector<BackgroundHost> hosts;
    for (std::uint32_t shard = 0; shard < shards; ++shard) {
        hosts.emplace_back(fleet_run({"upgrade", "--targets", targets.path, "--shard",
                                      fmt::format("{}/{}", shard, shards), "--jobs", "2", "--format", "json"},
                                     {}, plugin_arguments));
    }
    std::map<std::string, std::vector<std::uint32_t>> ran_by;  // label -> the shards whose run listed it
    std::size_t total = 0;
    for (std::uint32_t shard = 0; shard < shards; ++shard) {
        const auto result = hosts[shard].wait();
        INFO("shard " << shard << "\n" << result.out.substr(0, 20000) << result.err.substr(0, 20000));
        REQUIRE(result.exit_code == 0);
        const auto document = parse_fleet_against_schemas(result.out);
        const auto labels = targets_of(document);
        CHECK(document["shard"]["index"] == shard);
        CHECK(document["shard"]["count"] == shards);
        CHECK(document["shard"]["targets_listed"] == count);
        for (const auto& target : document["targets"]) CHECK(target["exit_code"] == 0);
        for (const auto& label : labels) ran_by[label].push_back(shard);
        total += labels.size();
    }
    CHECK(total == count);
    for (const auto& db : databases) {
        const auto label = label_of(*db);
        INFO(label);
        CHECK(ran_by[label] == std::vector<std::uint32_t>{owning_shard(label, shards)});
        CHECK(end_state(*db) == single_run);
    }

    // One process over every shard's databases confirms the outcome.
    const auto status =
        run_host(fleet_run({"status", "--check", "--targets", targets.path, "--jobs", "4", "--format", "json"}, {},
                           plugin_arguments));
    INFO(status.all().substr(0, 20000));
    CHECK(status.exit_code == 0);
    const auto document = parse_fleet_against_schemas(status.out);
    CHECK(document["shard"].is_null());
    REQUIRE(document["targets"].size() == count);
    for (const auto& target : document["targets"]) CHECK(target["output"]["state"] == "up_to_date");
}

}  // namespace

TEST_CASE("fleet shard: a name's weights are SplitMix64's outputs seeded with its FNV-1a hash", "[fleet][shard]") {
    // Computed with the few lines of Python in docs/kubernetes/README.md, which match the published test vectors of
    // both functions (FNV-1a 64 of "" and "a"; SplitMix64's first output from seed 0): every machine, whatever
    // build of the host it runs, must give the same weights, or two shards would both take a target.
    CHECK(migration_host::shard_weight("", 0) == 0xc3817c016ba4ff30ULL);
    CHECK(migration_host::shard_weight("", 7) == 0x65b20ffba289d397ULL);
    CHECK(migration_host::shard_weight("tenant-001", 0) == 0x3f2f650edf5fe06fULL);
    CHECK(migration_host::shard_weight("tenant-001", 7) == 0x531f8f84b509867cULL);
    CHECK(migration_host::shard_weight("caf\xc3\xa9", 7) == 0x978d0717513fdae6ULL);
    const std::vector<std::uint32_t> owners_of_first_16 = {1, 5, 6, 1, 6, 3, 7, 6, 4, 1, 6, 5, 1, 7, 1, 7};
    for (std::uint32_t i = 0; i < owners_of_first_16.size(); ++i) {
        CHECK(owning_shard(fmt::format("tenant-{:03}", i), 8) == owners_of_first_16[i]);
    }
}

TEST_CASE("fleet shard: each name has one shard, and from 8 to 9 shards only the new one takes about 1/9 of them",
          "[fleet][shard]") {
    for (const std::size_t count : {64, 10000}) {
        INFO(count << " names");
        const auto names = numbered_names(count);
        std::vector<std::size_t> owned_count(8, 0);
        std::set<std::size_t> seen;
        for (std::uint32_t shard = 0; shard < 8; ++shard) {
            const auto owned = migration_host::owned_by_shard(names, FleetShard{shard, 8});
            owned_count[shard] = owned.size();
            for (const auto i : owned) CHECK(seen.insert(i).second);  // in no other shard
        }
        CHECK(seen.size() == count);
        std::size_t moved = 0;
        for (const auto& name : names) {
            const auto before = owning_shard(name, 8);
            const auto after = owning_shard(name, 9);
            if (after != before) {
                ++moved;
                CHECK(after == 8);
            }
        }
        CHECK(moved > 0);
        CHECK(moved * 9 <= 2 * count);
        if (count == 10000) {
            // Shares even within a few percent: 10000/8 = 1250 each, 10000/9 = 1111 moved.
            for (const auto owned : owned_count) CHECK((owned > 1150 && owned < 1350));
            CHECK((moved > 1011 && moved < 1211));
        }
    }
    CHECK(owning_shard("anything", 1) == 0);
}

TEST_CASE("fleet shard: 8 shard processes upgrade 64 SQLite databases, each once, as one run would",
          "[sqlite][fleet][shard]") {
    check_eight_shards_upgrade_every_database_once(Backend::sqlite, 64);
}

TEST_CASE("fleet shard: 8 shard processes upgrade 64 MariaDB databases, each once, as one run would",
          "[mysql][fleet][shard]") {
    check_eight_shards_upgrade_every_database_once(Backend::mysql, 64);
}

TEST_CASE("fleet shard: 8 shard processes upgrade 64 PostgreSQL databases, each once, as one run would",
          "[postgresql][fleet][shard]") {
    check_eight_shards_upgrade_every_database_once(Backend::postgresql, 64);
}

TEST_CASE("fleet shard: from 8 to 9 shard processes, at most 2/9 of 64 targets change hands, all to the new one",
          "[sqlite][fleet][shard]") {
    const auto databases = fresh_databases(Backend::sqlite, 64);
    REQUIRE(databases.size() == 64);
    const TargetsFile targets(listing_of(databases));
    std::map<std::uint32_t, std::map<std::string, std::uint32_t>> owner;  // shard count -> label -> shard
    for (const std::uint32_t count : {8u, 9u}) {
        for (std::uint32_t shard = 0; shard < count; ++shard) {
            const auto result = run_host(fleet_run({"plan", "--targets", targets.path, "--shard",
                                                    fmt::format("{}/{}", shard, count), "--format", "json"}));
            INFO(result.all().substr(0, 20000));
            REQUIRE(result.exit_code == 0);
            for (const auto& label : targets_of(parse_fleet_against_schemas(result.out)))
                CHECK(owner[count].emplace(label, shard).second);
        }
        CHECK(owner[count].size() == 64);
    }
    std::size_t moved = 0;
    for (const auto& [label, shard] : owner[8]) {
        if (owner[9][label] == shard) continue;
        ++moved;
        CHECK(owner[9][label] == 8);
    }
    CHECK(moved > 0);
    CHECK(moved * 9 <= 2 * 64);
}

TEST_CASE("fleet shard: the summary names the shard, and a shard that owns no target succeeds and says so",
          "[sqlite][fleet][shard]") {
    const auto db = TestDatabase::create(Backend::sqlite);
    REQUIRE(db);
    const TargetsFile targets(db->connection_string() + "\n");
    const auto owner = owning_shard(label_of(*db), 2);
    const auto other = 1 - owner;

    const auto owning =
        run_host(fleet_run({"upgrade", "--targets", targets.path, "--shard", fmt::format("{}/2", owner)}));
    INFO(owning.all());
    CHECK(owning.exit_code == 0);
    CHECK(
        contains(owning.out, fmt::format("Fleet summary: upgrade on 1 database (shard {}/2: 1 of 1 target), ", owner)));
    CHECK(db->version_of("cinder") == 9);

    const auto idle = run_host(fleet_run({"status", "--targets", targets.path, "--shard", fmt::format("{}/2", other)}));
    INFO(idle.all());
    CHECK(idle.exit_code == 0);
    CHECK(contains(idle.out,
                   fmt::format("shard {}/2 owns none of the 1 target {} lists: nothing to do", other, targets.path)));
    const auto idle_json = run_host(
        fleet_run({"status", "--targets", targets.path, "--shard", fmt::format("{}/2", other), "--format", "json"}));
    INFO(idle_json.all());
    CHECK(idle_json.exit_code == 0);
    const auto document = parse_fleet_against_schemas(idle_json.out);
    CHECK(document["targets"].empty());
    CHECK(document["exit_code"] == 0);
    CHECK(document["shard"] == json{{"index", other}, {"count", 2}, {"targets_listed", 1}});
}

TEST_CASE("fleet shard: MIGRATION_HOST_SHARD and the configuration file's shard choose as --shard does, which wins",
          "[sqlite][fleet][shard]") {
    const auto databases = fresh_databases(Backend::sqlite, 8);
    REQUIRE(databases.size() == 8);
    const TargetsFile targets(listing_of(databases));
    const auto shard_of = [&](const HostRun& run) {
        const auto result = run_host(run);
        INFO(result.all());
        REQUIRE(result.exit_code == 0);
        const auto document = parse_fleet_against_schemas(result.out);
        return document["shard"].is_null()
                   ? std::string("none")
                   : fmt::format("{}/{}", document["shard"]["index"].get<int>(), document["shard"]["count"].get<int>());
    };
    const std::vector<std::string> plan = {"plan", "--targets", targets.path, "--format", "json"};
    CHECK(shard_of(fleet_run(plan, {{"MIGRATION_HOST_SHARD", "2/3"}})) == "2/3");
    auto with_option = plan;
    with_option.insert(with_option.end(), {"--shard", "1/3"});
    CHECK(shard_of(fleet_run(with_option, {{"MIGRATION_HOST_SHARD", "2/3"}})) == "1/3");

    const auto config = targets.directory + "/migration-host.ini";
    std::ofstream(config) << "shard = 0/4\n";
    CHECK(shard_of(fleet_run(plan, {{"MIGRATION_HOST_CONFIG", config}})) == "0/4");
    CHECK(shard_of(fleet_run(plan, {{"MIGRATION_HOST_CONFIG", config}, {"MIGRATION_HOST_SHARD", "3/5"}})) == "3/5");
    const auto shown = run_host(fleet_run({"config"}, {{"MIGRATION_HOST_CONFIG", config}}));
    INFO(shown.all());
    CHECK(contains(shown.out, fmt::format("shard = 0/4  [shard in {} line 1]", config)));

    // A single-database run in a pod whose environment sets the shard: the shard splits fleets only.
    const auto single = run_host(host_run_on(databases[0]->connection_string(), {CINDER_PLUGIN_DIR}, {"plan"},
                                             {{"MIGRATION_HOST_SHARD", "1/3"}}));
    INFO(single.all());
    CHECK(single.exit_code == 0);

    // A shard in a target section would split nothing: the fleet's targets are chosen before any section is.
    std::ofstream(config) << "[target.one]\ndsn = " << databases[0]->connection_string() << "\nshard = 0/2\n";
    const auto refused = run_host(fleet_run(plan, {{"MIGRATION_HOST_CONFIG", config}}));
    check_one_line_error(refused, "shard");
    CHECK(refused.exit_code == 2);
}

TEST_CASE("fleet shard: a malformed shard, or one without --targets, is exit 2 naming the cause", "[cli][shard]") {
    const auto db = TestDatabase::create(Backend::sqlite);
    REQUIRE(db);
    const TargetsFile targets(db->connection_string() + "\n");
    const std::vector<std::string> status = {"status", "--targets", targets.path};
    struct Case {
        std::vector<std::string> arguments;
        std::map<std::string, std::string> environment;
        std::string cause;
    };
    const std::vector<Case> cases = {
        {{"status", "--shard", "0/2"}, {}, "--shard needs --targets FILE"},
        {{"upgrade", "--shard", "1/2"}, {}, "--shard needs --targets FILE"},
        {{"history", "--shard", "0/2"}, {}, "history does not take --shard"},
        {{"status", "--targets", targets.path, "--shard", "8/8"},
         {},
         "invalid --shard '8/8': INDEX 8 is not below COUNT 8"},
        {{"status", "--targets", targets.path, "--shard", "x"}, {}, "invalid --shard 'x': expected INDEX/COUNT"},
        {{"status", "--targets", targets.path, "--shard", "3"}, {}, "invalid --shard '3': expected INDEX/COUNT"},
        {{"status", "--targets", targets.path, "--shard", "-1/8"}, {}, "invalid --shard '-1/8': expected INDEX/COUNT"},
        {{"status", "--targets", targets.path, "--shard", "0/0"},
         {},
         "invalid --shard '0/0': COUNT must be from 1 to 100000"},
        {{"status", "--targets", targets.path, "--shard", "0/100001"}, {}, "COUNT must be from 1 to 100000"},
        {{"status", "--targets", targets.path, "--shard", "1/8/9"}, {}, "expected INDEX/COUNT"},
        {status, {{"MIGRATION_HOST_SHARD", "x/8"}}, "invalid MIGRATION_HOST_SHARD 'x/8': expected INDEX/COUNT"},
        {status, {{"MIGRATION_HOST_SHARD", "9/9"}}, "invalid MIGRATION_HOST_SHARD '9/9': INDEX 9 is not below COUNT 9"},
    };
    for (const auto& [arguments, environment, cause] : cases) {
        const auto result = run_host(fleet_run(arguments, environment));
        INFO(fmt::format("{}", fmt::join(arguments, " ")));
        CHECK(result.exit_code == 2);
        check_one_line_error(result, cause);
    }
    const auto help = run_host({"upgrade", "--help"});
    CHECK(help_shows(help.out, "--shard"));
    CHECK(contains(help.out, "MIGRATION_HOST_SHARD"));
}

TEST_CASE("docs/kubernetes: the manifests parse as YAML and give the host only options and variables it has",
          "[cli][kubernetes]") {
    // Each container of each manifest, as one line per container: its args, tab-separated, then its environment
    // variables' names after a tab and "|".
    const std::string script = R"(
import glob, sys, yaml
for path in sorted(glob.glob(sys.argv[1] + '/*.yaml')):
    for document in yaml.safe_load_all(open(path)):
        if not document or document.get('kind') != 'Job':
            continue
        spec = document['spec']['template']['spec']
        for container in spec['containers']:
            args = [str(a) for a in container.get('args', [])]
            env = [e['name'] for e in container.get('env', [])]
            print('\t'.join([path] + args + ['|'] + env))
)";
    const auto parsed = run_process({"python3", "-c", script, KUBERNETES_DOCS_DIR});
    INFO(parsed.all());
    REQUIRE(parsed.exit_code == 0);
    std::vector<std::vector<std::string>> containers;
    std::size_t start = 0;
    while (start < parsed.out.size()) {
        const auto end = std::min(parsed.out.find('\n', start), parsed.out.size());
        std::vector<std::string> fields;
        std::size_t field = start;
        while (field <= end) {
            const auto tab = std::min(parsed.out.find('\t', field), end);
            fields.push_back(parsed.out.substr(field, tab - field));
            field = tab + 1;
        }
        containers.push_back(fields);
        start = end + 1;
    }
    CHECK(containers.size() >= 2);  // the Indexed Job's and the Helm hook's
    const auto general = run_host({"--help"});
    bool sharded = false;
    for (const auto& fields : containers) {
        INFO(fmt::format("{}", fmt::join(fields, " ")));
        const auto bar = std::find(fields.begin(), fields.end(), "|");
        REQUIRE(bar != fields.end());
        // The command: the first argument that is not an option or an option's value with a help of its own.
        std::string command_help;
        for (auto it = fields.begin() + 1; it != bar && command_help.empty(); ++it) {
            if (it->rfind("-", 0) == 0) continue;
            const auto help = run_host({*it, "--help"});
            if (help.exit_code == 0 && contains(help.out, "Usage: migration-host [global options] " + *it)) {
                command_help = help.out;
            }
        }
        CHECK_FALSE(command_help.empty());
        for (auto it = fields.begin() + 1; it != bar; ++it) {
            if (it->rfind("--", 0) != 0) continue;
            const auto option = it->substr(0, it->find('='));
            INFO(option);
            CHECK(help_shows(command_help, option));
            if (option == "--shard") sharded = true;
        }
        for (auto it = bar + 1; it != fields.end(); ++it) {
            if (it->rfind("MIGRATION_HOST_", 0) != 0) continue;
            INFO(*it);
            CHECK((contains(general.out, "env " + *it + "\n") || contains(command_help, "env " + *it + "\n")));
        }
    }
    CHECK(sharded);
}

TEST_CASE("docs/kubernetes: the README's Python gives every name the shard the host gives it", "[cli][kubernetes]") {
    // Operators use it to find which pod ran a database; it must stay the host's function.
    const std::string script = R"(
import re, sys
text = open(sys.argv[1] + '/README.md').read()
blocks = re.findall(r'```python\n(.*?)```', text, re.S)
assert len(blocks) == 1, blocks
exec(blocks[0])
for count in (1, 8, 9, 100):
    for i in range(200):
        name = 'target:tenant-%03d' % i
        print(count, name, owning_shard(name, count))
print(1000, 'caf\u00e9', owning_shard('caf\u00e9', 1000))
)";
    const auto computed = run_process({"python3", "-c", script, KUBERNETES_DOCS_DIR});
    INFO(computed.all());
    REQUIRE(computed.exit_code == 0);
    std::istringstream lines(computed.out);
    std::size_t checked = 0;
    for (std::uint32_t count = 0, owner = 0; lines >> count;) {
        std::string name;
        lines >> name >> owner;
        INFO(name << " of " << count);
        CHECK(owning_shard(name, count) == owner);
        ++checked;
    }
    CHECK(checked == 4 * 200 + 1);
}
