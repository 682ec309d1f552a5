// The one output layer: renders command results on stdout as text lines or as one JSON document.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <nlohmann/json.hpp>

#include <string_view>

namespace migration_host {

// Output is buffered (a listing of 20,000 steps is a few writes, not 20,000) until flush_output, a log line (the
// logger flushes it first, so that results and logs stay in order on a shared terminal or log file), or the end
// of the process.
void flush_output();
// From now on each line is flushed as it is printed: for commands whose lines report progress (upgrade,
// downgrade), which a pipeline's log must show as the steps happen.
void flush_every_line();

// Writes one line to stdout, secrets redacted and escaped (escape_nonprintable) so that a stored text can neither
// drive the terminal nor forge another line.
void print_line(std::string_view line);

// print_line, except that tab characters are written as they are: a script's statements (sql) are indented with
// them, and an escaped tab would change the SQL. A tab only moves the cursor.
void print_line_keeping_tabs(std::string_view line);

// Writes `document` to stdout as indented JSON and a newline, every string in it (keys and values) redacted first:
// results carry plugin and driver texts. Non-ASCII is written as \u escapes, so no byte of it can drive a terminal.
// Text that is not valid UTF-8 is replaced by U+FFFD.
void print_json(const nlohmann::json& document);

}  // namespace migration_host
