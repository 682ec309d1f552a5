// Plugin discovery with real libraries: the real plugin loads; non-plugins, wrong ABIs and bad files are refused by name.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "exit_codes.hpp"
#include "engine/planner.hpp"
#include "plugins/plugin_loader.hpp"
#include "test_database.hpp"

#ifndef TEST_PLUGIN_ROOT
#error "TEST_PLUGIN_ROOT must be defined by the build"
#endif

using namespace migration_host;
namespace fs = std::filesystem;

TEST_CASE("the cinder_initial library is discovered with its migration", "[loader]") {
    const auto discovery = discover_plugins({CINDER_PLUGIN_DIR});
    CHECK(discovery.problems.empty());
    REQUIRE(discovery.plugins.size() == 1);
    const auto& plugin = *discovery.plugins.front();
    CHECK(plugin.id() == "cinder_initial");
    CHECK(plugin.path() == fs::canonical(CINDER_PLUGIN_FILE));
    REQUIRE(plugin.migrations().size() == 1);
    CHECK(plugin.migrations().front().ref == VersionRef{"cinder", 1});
    CHECK(plugin.migrations().front().irreversible);
    const auto catalog = Catalog::build(discovery.plugins);
    CHECK(catalog.latest("cinder") == 1);
}

TEST_CASE("a library without the entry symbol is reported with its path and not used", "[loader]") {
    const auto discovery = discover_plugins({fs::path(TEST_PLUGIN_ROOT) / "not_a_plugin"});
    CHECK(discovery.plugins.empty());
    REQUIRE(discovery.problems.size() == 1);
    CHECK(discovery.problems.front().path.filename() == "not_a_plugin.so");
    CHECK(discovery.problems.front().reason.find("no exported symbol migration_host_plugin_entry") != std::string::npos);
}

TEST_CASE("a plugin built for another ABI major version is refused", "[loader]") {
    const auto discovery = discover_plugins({fs::path(TEST_PLUGIN_ROOT) / "wrong_abi"});
    CHECK(discovery.plugins.empty());
    REQUIRE(discovery.problems.size() == 1);
    CHECK(discovery.problems.front().reason.find("incompatible ABI: plugin built for 2.0") != std::string::npos);
}

TEST_CASE("a file that is not a shared library, and a missing directory, are problems", "[loader]") {
    const fs::path dir = test_support::make_temp_dir("mh-loader");
    std::ofstream(dir / "garbage.so") << "this is not ELF";
    const auto discovery = discover_plugins({dir, dir / "missing"});
    fs::remove_all(dir);
    CHECK(discovery.plugins.empty());
    REQUIRE(discovery.problems.size() == 2);
    CHECK(discovery.problems[0].reason.find("cannot load") != std::string::npos);
    CHECK(discovery.problems[1].reason == "plugin directory does not exist");
}

TEST_CASE("two libraries with the same plugin id make the catalog fail with both paths", "[loader]") {
    const fs::path first = test_support::make_temp_dir("mh-dup");
    const fs::path second = test_support::make_temp_dir("mh-dup");
    fs::copy_file(CINDER_PLUGIN_FILE, first / "cinder_initial.so");
    fs::copy_file(CINDER_PLUGIN_FILE, second / "cinder_copy.so");
    {
        const auto discovery = discover_plugins({first, second});
        REQUIRE(discovery.plugins.size() == 2);
        try {
            Catalog::build(discovery.plugins);
            FAIL("duplicate plugin ids were accepted");
        } catch (const HostError& error) {
            CHECK(error.code() == ExitCode::plugin_error);
            CHECK(std::string(error.what()).find("cinder_copy.so") != std::string::npos);
        }
    }
    fs::remove_all(first);
    fs::remove_all(second);
}
