// The one output layer: renders command results on stdout as text lines or as one JSON document.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <nlohmann/json.hpp>

#include <string_view>

namespace migration_host {

// Writes one line to stdout, secrets redacted and escaped (escape_nonprintable) so that a stored text can neither
// drive the terminal nor forge another line, then flushes, so results interleave sanely with stderr logs.
void print_line(std::string_view line);

// print_line, except that tab characters are written as they are: a script's statements (sql) are indented with
// them, and an escaped tab would change the SQL. A tab only moves the cursor.
void print_line_keeping_tabs(std::string_view line);

// Writes `document` to stdout as indented JSON and a newline, every string in it (keys and values) redacted first:
// results carry plugin and driver texts. Non-ASCII is written as \u escapes, so no byte of it can drive a terminal.
// Text that is not valid UTF-8 is replaced by U+FFFD.
void print_json(const nlohmann::json& document);

}  // namespace migration_host
