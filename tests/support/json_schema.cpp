// Parses the host's JSON output after checking it against its published schema (docs/schemas/NAME.schema.json).
// SPDX-License-Identifier: Apache-2.0
#include "json_schema.hpp"

#include <unistd.h>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
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

// One run of the checker for every document: a fleet of 64 databases is one process, not 64.
void require_all_valid(const std::vector<std::string>& texts, const std::string& schema, bool lines) {
    std::vector<std::unique_ptr<DocumentFile>> documents;
    std::vector<std::string> argv = {python, SCHEMA_CHECKER};
    if (lines) argv.emplace_back("--lines");
    argv.push_back(schema_path(schema));
    std::string shown;
    for (const auto& text : texts) {
        documents.push_back(std::make_unique<DocumentFile>(text));
        argv.push_back(documents.back()->path());
        shown += documents.back()->path() + ":\n" + text + "\n";
    }
    const ProcessResult result = run_process(argv);
    INFO("schema " << schema << ".schema.json, documents:\n" << shown);
    INFO("violations:\n" << result.out << result.err);
    REQUIRE(result.exit_code == 0);
}

void require_valid(const std::string& text, const std::string& schema, bool lines) {
    require_all_valid({text}, schema, lines);
}

}  // namespace

std::string schema_path(const std::string& schema) { return std::string(SCHEMA_DIR) + "/" + schema + ".schema.json"; }

std::vector<std::string> published_schemas() {
    const std::string suffix = ".schema.json";
    std::vector<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(SCHEMA_DIR)) {
        const std::string file = entry.path().filename().string();
        if (file.size() > suffix.size() && file.compare(file.size() - suffix.size(), suffix.size(), suffix) == 0) {
            names.push_back(file.substr(0, file.size() - suffix.size()));
        }
    }
    std::sort(names.begin(), names.end());
    return names;
}

void require_valid_schemas(const std::vector<std::string>& schemas) {
    std::vector<std::string> argv = {python, SCHEMA_CHECKER, "--schemas"};
    for (const auto& schema : schemas) argv.push_back(schema_path(schema));
    const ProcessResult result = run_process(argv);
    INFO("problems:\n" << result.out << result.err);
    REQUIRE(result.exit_code == 0);
}

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

nlohmann::json parse_fleet_against_schemas(const std::string& text) {
    const nlohmann::json summary = parse_against_schema(text, "fleet");
    std::vector<std::string> outputs;
    for (const auto& target : summary.at("targets")) {
        const auto output = target.find("output");
        if (output != target.end() && !output->is_null()) outputs.push_back(output->dump(2));
    }
    if (!outputs.empty()) require_all_valid(outputs, summary.at("command").get<std::string>(), false);
    return summary;
}

}  // namespace test_support
