// Parses the host's JSON output after checking it against its published schema (docs/schemas/NAME.schema.json).
// SPDX-License-Identifier: Apache-2.0
#include "json_schema.hpp"

#include <unistd.h>

#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "host_process.hpp"

namespace test_support {

namespace {

// Debian's python3-jsonschema serves the check; the interpreter is Debian's own, not whatever python3 comes first
// on PATH (a virtual environment may lack the module).
constexpr const char* python = "/usr/bin/python3";

// The document in a file of its own, removed when the check ends.
class DocumentFile {
public:
    explicit DocumentFile(const std::string& text) {
        const char* tmp = std::getenv("TMPDIR");
        std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/migration-host-json-XXXXXX";
        const int fd = ::mkstemp(pattern.data());
        REQUIRE(fd >= 0);
        ::close(fd);
        path_ = pattern;
        std::ofstream(path_, std::ios::binary) << text;
    }
    ~DocumentFile() { std::remove(path_.c_str()); }
    DocumentFile(const DocumentFile&) = delete;
    DocumentFile& operator=(const DocumentFile&) = delete;
    const std::string& path() const { return path_; }

private:
    std::string path_;
};

void require_valid(const std::string& text, const std::string& schema, bool lines) {
    const DocumentFile document(text);
    std::vector<std::string> argv = {python, SCHEMA_CHECKER};
    if (lines) argv.emplace_back("--lines");
    argv.push_back(schema_path(schema));
    argv.push_back(document.path());
    const ProcessResult result = run_process(argv);
    INFO("schema " << schema << ".schema.json, document:\n" << text);
    INFO("violations:\n" << result.out << result.err);
    REQUIRE(result.exit_code == 0);
}

}  // namespace

std::string schema_path(const std::string& schema) { return std::string(SCHEMA_DIR) + "/" + schema + ".schema.json"; }

nlohmann::json parse_against_schema(const std::string& text, const std::string& schema) {
    require_valid(text, schema, false);
    return nlohmann::json::parse(text);
}

std::vector<nlohmann::json> parse_lines_against_schema(const std::string& text, const std::string& schema) {
    require_valid(text, schema, true);
    std::vector<nlohmann::json> documents;
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);) {
        if (line.find_first_not_of(" \t\r") != std::string::npos) documents.push_back(nlohmann::json::parse(line));
    }
    return documents;
}

}  // namespace test_support
