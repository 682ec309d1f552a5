// The C ABI as compiled, and as the real cinder_initial library exposes it (loaded with Boost.DLL, not through the host).
// SPDX-License-Identifier: Apache-2.0
#include <catch2/catch.hpp>
#include <migration_host/plugin.h>

#include <boost/dll/shared_library.hpp>

#include <sstream>
#include <string>

#include "host_process.hpp"

#ifndef CINDER_PLUGIN_FILE
#error "CINDER_PLUGIN_FILE must be defined by the build"
#endif

extern "C" std::size_t mh_test_c_sizes(std::size_t* migration_size, std::size_t* host_api_size);

TEST_CASE("the ABI structs have the same layout compiled as C and as C++", "[abi]") {
    std::size_t migration_size = 0, host_api_size = 0;
    const std::size_t descriptor_size = mh_test_c_sizes(&migration_size, &host_api_size);
    CHECK(descriptor_size == sizeof(mh_plugin_descriptor));
    CHECK(migration_size == sizeof(mh_migration));
    CHECK(host_api_size == sizeof(mh_host_api));
}

TEST_CASE("cinder_initial's entry returns a valid descriptor to a 1.x host and NULL to others", "[abi]") {
    boost::dll::shared_library library(std::string(CINDER_PLUGIN_FILE), boost::dll::load_mode::rtld_now);
    REQUIRE(library.has(MH_PLUGIN_ENTRY_SYMBOL));
    auto& entry = library.get<const mh_plugin_descriptor*(std::uint32_t, std::uint32_t)>(MH_PLUGIN_ENTRY_SYMBOL);

    CHECK(entry(MH_ABI_VERSION_MAJOR + 1, 0) == nullptr);
    CHECK(entry(0, 9) == nullptr);
    // A newer minor version of the same major is served.
    CHECK(entry(MH_ABI_VERSION_MAJOR, MH_ABI_VERSION_MINOR + 3) != nullptr);

    const mh_plugin_descriptor* descriptor = entry(MH_ABI_VERSION_MAJOR, MH_ABI_VERSION_MINOR);
    REQUIRE(descriptor != nullptr);
    CHECK(descriptor->magic == MH_PLUGIN_MAGIC);
    CHECK(descriptor->struct_size == sizeof(mh_plugin_descriptor));
    CHECK(descriptor->abi_major == MH_ABI_VERSION_MAJOR);
    CHECK(std::string(descriptor->id) == "cinder_initial");
    REQUIRE(descriptor->migration_count == 1);
    const mh_migration* migration = descriptor->migrations[0];
    REQUIRE(MH_STRUCT_HAS(migration, mh_migration, downgrade_refusal));
    CHECK(std::string(migration->track) == "cinder");
    CHECK(migration->version == 1);
    CHECK(std::string(migration->name) == "001_cinder_init");
    CHECK(migration->upgrade != nullptr);
    CHECK(migration->downgrade == nullptr);
    CHECK((migration->flags & MH_MIGRATION_IRREVERSIBLE) != 0);
    CHECK(std::string(migration->downgrade_refusal) == "Downgrade from initial Cinder install is unsupported.");
    CHECK(migration->requirement_count == 0);
}

TEST_CASE("a plugin library exports the entry function and nothing else", "[abi]") {
    const auto symbols = test_support::run_process({"nm", "-D", "--defined-only", CINDER_PLUGIN_FILE});
    REQUIRE(symbols.exit_code == 0);
    std::istringstream lines(symbols.out);
    std::string line, exported;
    while (std::getline(lines, line)) {
        // "<address> <type> <name>"; version-script nodes show up as absolute 'A' symbols.
        std::istringstream fields(line);
        std::string address, type, name;
        fields >> address >> type >> name;
        if (type == "A" || name.empty()) continue;
        exported += name + " ";
    }
    CHECK(exported == std::string(MH_PLUGIN_ENTRY_SYMBOL) + " ");
}

TEST_CASE("each earlier layout of mh_host_api ends before what a later minor version appended", "[abi]") {
    CHECK(MH_ABI_VERSION_MINOR == 4u);
    mh_host_api table{};
    // What a 1.3 (or 1.2) host passes: bound parameters, no progress reports.
    table.struct_size = MH_HOST_API_SIZE_1_3;
    CHECK(MH_STRUCT_HAS(&table, mh_host_api, query_run_params));
    CHECK_FALSE(MH_STRUCT_HAS(&table, mh_host_api, progress_report));
    // What a 1.1 (or 1.0) host passes: neither.
    table.struct_size = MH_HOST_API_SIZE_1_1;
    CHECK(MH_STRUCT_HAS(&table, mh_host_api, odbc_connection));
    CHECK_FALSE(MH_STRUCT_HAS(&table, mh_host_api, sql_exec_params));
    // This header's own.
    table.struct_size = sizeof(mh_host_api);
    CHECK(MH_STRUCT_HAS(&table, mh_host_api, progress_report));
    const mh_host_api* none = nullptr;
    CHECK_FALSE(MH_STRUCT_HAS(none, mh_host_api, progress_report));
}
