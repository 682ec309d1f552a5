// The published JSON Schemas (docs/schemas/): valid, every member typed and described, and linked from the docs.
// SPDX-License-Identifier: Apache-2.0
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "json_schema.hpp"

using namespace test_support;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

json schema_named(const std::string& name) {
    std::ifstream in(schema_path(name));
    REQUIRE(in);
    return json::parse(in);
}

bool is_typed(const json& member) {
    for (const char* key : {"type", "enum", "const", "$ref", "oneOf", "anyOf"}) {
        if (member.contains(key)) return true;
    }
    return false;
}

// Every object schema reachable as a value (the root, $defs, properties, items, alternatives, open maps' values),
// with where it is: what the documents may hold, not the conditions (allOf's if/then/else) that narrow it.
void collect_value_schemas(const json& node, const std::string& where,
                           std::vector<std::pair<std::string, const json*>>& found) {
    if (!node.is_object()) return;
    found.emplace_back(where, &node);
    for (const char* key : {"$defs", "properties"}) {
        if (!node.contains(key)) continue;
        for (const auto& [name, child] : node.at(key).items()) {
            collect_value_schemas(child, where + "/" + key + "/" + name, found);
        }
    }
    for (const char* key : {"items", "additionalProperties"}) {
        if (node.contains(key)) collect_value_schemas(node.at(key), where + "/" + key, found);
    }
    for (const char* key : {"oneOf", "anyOf"}) {
        if (!node.contains(key)) continue;
        for (std::size_t i = 0; i < node.at(key).size(); ++i) {
            collect_value_schemas(node.at(key).at(i), where + "/" + key + "/" + std::to_string(i), found);
        }
    }
}

std::string page_text(const fs::path& page) {
    std::ifstream in(page);
    REQUIRE(in);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

}  // namespace

TEST_CASE("every schema in docs/schemas is a valid Draft 2020-12 schema whose every $ref resolves within it",
          "[json_schema]") {
    const auto schemas = published_schemas();
    // One for each document the host prints with --format json (fleet: the summary of a --targets run; run: a
    // writing command's), and for a line of --log-format json.
    for (const char* document :
         {"plugins", "status", "plan", "history", "validate", "inspect", "verify", "sql", "fleet", "run", "unlock",
          "log-line"}) {
        INFO(document);
        CHECK(std::find(schemas.begin(), schemas.end(), document) != schemas.end());
    }
    require_valid_schemas(schemas);
}

TEST_CASE("every member of every published schema is typed and described, and every object lists its members",
          "[json_schema]") {
    for (const auto& name : published_schemas()) {
        const json schema = schema_named(name);
        CHECK(schema.contains("title"));
        CHECK(schema.contains("description"));
        std::vector<std::pair<std::string, const json*>> found;
        collect_value_schemas(schema, name + ".schema.json#", found);
        for (const auto& [where, node] : found) {
            INFO(where);
            if (node->contains("properties")) {
                // Closed: a member the schema does not describe is an error, not something a script may miss.
                CHECK(node->value("additionalProperties", json(true)) == json(false));
                CHECK(node->contains("required"));
                for (const auto& [member, member_schema] : node->at("properties").items()) {
                    INFO(member);
                    CHECK(is_typed(member_schema));
                    CHECK_FALSE(member_schema.value("description", std::string()).empty());
                }
            }
        }
    }
}

TEST_CASE("docs/output-formats.md links every published schema", "[json_schema][readme]") {
    const fs::path docs = fs::path(schema_path("status")).parent_path().parent_path();
    const std::string page = page_text(docs / "output-formats.md");
    for (const auto& name : published_schemas()) {
        INFO(name);
        CHECK(page.find("(schemas/" + name + ".schema.json)") != std::string::npos);
    }
}
