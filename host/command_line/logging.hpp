// Sets up the host's spdlog logger: stderr, chosen level, every line passed through secret redaction.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <optional>
#include <string_view>

#include <spdlog/common.h>

namespace migration_host {

// "trace", "debug", "info", "warn", "error", "off"; nullopt for anything else.
std::optional<spdlog::level::level_enum> parse_log_level(std::string_view name);

void setup_logging(spdlog::level::level_enum level);

}  // namespace migration_host
