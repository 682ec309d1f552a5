// The C++ SDK's Host on every backend: a statement or bound value the C API cannot carry whole (a NUL byte inside) is refused, never cut short.
// SPDX-License-Identifier: Apache-2.0
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "host_process.hpp"
#include "test_database.hpp"

#ifndef TEST_PLUGIN_ROOT
#error "TEST_PLUGIN_ROOT must be defined by the build"
#endif

using namespace test_support;

namespace {

const std::string embedded_nul = TEST_PLUGIN_ROOT "/embedded_nul";

struct NulCase {
    std::string mode;        // MIGRATION_HOST_TEST_NUL
    std::string error_says;  // after "nul@2 (002_nul) failed: "
};

// The C API takes NUL-terminated text: only the SDK, holding the string's real length, can tell that text would be
// cut short, so it refuses before the host sees any of it. Where the NUL is, never what the text or value is (a
// value may be a secret).
const std::vector<NulCase> nul_cases{
    {"statement", "sql_exec: the statement holds a NUL byte at offset 53 of 78"},
    {"value", "sql_exec_params: bound value 2 of 2 holds a NUL byte at offset 2 of 9"},
    {"query", "query_run: the statement holds a NUL byte at offset 31 of 44"},
    {"query_value", "query_run_params: bound value 2 of 2 holds a NUL byte at offset 2 of 9"},
};

void check_embedded_nul(Backend backend) {
    for (const auto& nul_case : nul_cases) {
        INFO("MIGRATION_HOST_TEST_NUL=" << nul_case.mode);
        const auto db = TestDatabase::create(backend);
        if (!db) return;
        const auto result = run_host(host_run_on(db->connection_string(), {embedded_nul}, {"upgrade"},
                                                 {{"MIGRATION_HOST_TEST_NUL", nul_case.mode}}));
        INFO("exit code " << result.exit_code << "\n" << result.all());
        CHECK(result.exit_code == 1);
        const auto errors = error_lines(result.err);
        CHECK(errors.size() == 1);
        const std::string error = errors.empty() ? "" : errors.front();
        const std::string expected = "nul@2 (002_nul) failed: " + nul_case.error_says +
                                     " (the C API would end it there): refused, the statement was not run";
        CHECK(error.find(expected) != std::string::npos);
        CHECK(result.all().find("hidden") == std::string::npos);  // what follows the NUL in a value
        // A log message is no reason to fail a step: its NUL is written as "\0", and nothing after it is lost.
        CHECK(result.err.find("[nul@1 (001_nul_table)] a log line with a NUL\\0 inside, kept whole") !=
              std::string::npos);
        // Only nul@1 applied, and no row: neither a prefix cut at the NUL nor what the step does after a query.
        CHECK(db->version_of("nul") == 1);
        CHECK(db->query("SELECT id, payload FROM nul_values").empty());
    }
}

}  // namespace

TEST_CASE("sqlite: a statement or bound value with a NUL byte inside fails its step and stores nothing",
          "[sqlite][sdk]") {
    check_embedded_nul(Backend::sqlite);
}

TEST_CASE("mysql: a statement or bound value with a NUL byte inside fails its step and stores nothing",
          "[mysql][sdk]") {
    check_embedded_nul(Backend::mysql);
}

TEST_CASE("postgresql: a statement or bound value with a NUL byte inside fails its step and stores nothing",
          "[postgresql][sdk]") {
    check_embedded_nul(Backend::postgresql);
}
