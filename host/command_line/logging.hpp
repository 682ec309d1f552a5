// Sets up the host's spdlog logger: stderr, chosen level, every line passed through secret redaction.
// SPDX-License-Identifier: Apache-2.0
#pragma once

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

}  // namespace migration_host
