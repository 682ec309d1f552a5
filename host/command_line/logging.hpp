// Sets up the host's spdlog logger: stderr, chosen level and format (text or JSON lines), every line redacted.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <spdlog/common.h>

namespace migration_host {

// "trace", "debug", "info", "warn" (or "warning"), "error", "off"; nullopt for anything else.
std::optional<spdlog::level::level_enum> parse_log_level(std::string_view name);
// The names parse_log_level takes, most verbose first, without the alias "warning": for the completion scripts.
std::vector<std::string> log_level_names();

void setup_logging(spdlog::level::level_enum level);

// --log-format: text lines ("TIME LEVEL MESSAGE"), or one JSON object per line for log shippers
// (docs/schemas/log-line.schema.json).
enum class LogFormat { text, json };
// "text" or "json"; nullopt for anything else.
std::optional<LogFormat> parse_log_format(std::string_view name);
// The names parse_log_format takes: for the completion scripts and the error that lists them.
std::vector<std::string> log_format_names();
// From now on every log line, and the top level's error line (report_error_line), is in `format`.
void set_log_format(LogFormat format);
// Whether log lines are JSON objects: what a fleet parent asks before it rewrites its children's stderr lines.
bool log_format_is_json();

// A fleet child's target (its name in the targets file, else its redacted label), which its JSON log lines carry
// as "target"; set once in the child, before its run.
void set_log_target(std::string target);

// The step a run is in, which the JSON log lines carry as "track" and "version" until clear_log_step: the host's
// own lines about the step and the plugin's, from whichever thread logs them.
void set_log_step(const std::string& track, std::int64_t version);
void clear_log_step();

// A fleet parent's own line about one of its databases, as a JSON log line (with its newline) naming it as
// "target": level info, or error with the database's `exit_code` when it `failed`; redacted and bounded.
std::string json_log_line_about(std::string_view target, bool failed, std::string_view message,
                               std::optional<int> exit_code);

// The top level's error line on stderr: "migration-host: error: TEXT", or in JSON log mode a log line of level
// error with `exit_code` (when known), redacted and bounded alike.
void report_error_line(std::string_view text, std::optional<int> exit_code);

}  // namespace migration_host
