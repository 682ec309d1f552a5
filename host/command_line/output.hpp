// The one output layer: renders command results on stdout as text lines or as one JSON document.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>
#include <vector>

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

// Writes "migration-host: error: " and `text` to stderr, after what stdout holds (flush_output), redacted, escaped
// and cut where a value of megabytes would make it unreadable (bounded_line): the one form of an error line.
void print_error_line(std::string_view text);

// Writes `text` and a newline to stdout exactly as it is: neither escaped nor redacted. Only for text that a
// program runs (a script's SQL statements, sql), which either would change; never for text meant to be read.
void print_verbatim(std::string_view text);

// Writes `document` to stdout as indented JSON and a newline, every string in it (keys and values) redacted first:
// results carry plugin and driver texts. Non-ASCII is written as \u escapes, so no byte of it can drive a terminal.
// Text that is not valid UTF-8 is replaced by U+FFFD.
void print_json(const nlohmann::json& document);

// print_json, except that the values of the members named in `verbatim_members` (at any depth: strings, or arrays
// of them) are not redacted: a script's SQL statements (sql), which redaction would change. JSON's \u escapes keep
// their bytes off the terminal all the same.
void print_json_keeping(const nlohmann::json& document, const std::vector<std::string>& verbatim_members);

}  // namespace migration_host
