// Parses the host's JSON output after checking it against its published schema (docs/schemas/NAME.schema.json).
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace test_support {

// The path of docs/schemas/`schema`.schema.json in the source tree.
std::string schema_path(const std::string& schema);

// The name of every schema in docs/schemas ("status" for status.schema.json), sorted.
std::vector<std::string> published_schemas();

// REQUIREs that each schema (by name) declares JSON Schema Draft 2020-12, is valid against its metaschema, and
// resolves every "$ref" within itself (a check must not need the network).
void require_valid_schemas(const std::vector<std::string>& schemas);

// REQUIREs that `text` is one JSON document valid against the schema `schema` ("status" for status.schema.json),
// showing every violation when it is not; returns it parsed. Every test that reads the host's JSON reads it
// through here, so that the schemas the package installs stay true.
nlohmann::json parse_against_schema(const std::string& text, const std::string& schema);

// The same for output with one JSON document per non-empty line (--log-format json); returns them in order.
std::vector<nlohmann::json> parse_lines_against_schema(const std::string& text, const std::string& schema);

// A fleet summary (COMMAND --targets FILE --format json): REQUIREs that it is valid against fleet.schema.json and that
// each database's own document (`output`, which upgrade has not) is valid against its command's schema; returns it
// parsed.
nlohmann::json parse_fleet_against_schemas(const std::string& text);

}  // namespace test_support
