// Sets up the host's spdlog logger: stderr, chosen level, every message redacted and escaped.
// SPDX-License-Identifier: Apache-2.0
#include "command_line/logging.hpp"

#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <mutex>
#include <utility>

#include "command_line/output.hpp"
#include "command_line/status_line.hpp"
#include "command_line/terminal_text.hpp"
#include "database/redact.hpp"

namespace migration_host {
namespace {

// Redacts at the sink, so that no log call anywhere can leak a password,
// whatever it formats. Only the message is redacted, before the pattern adds
// the time, level and line end: a secret value runs to the end of the text it
// is in, and must not take the newline with it.
class RedactingStderrSink final : public spdlog::sinks::base_sink<std::mutex> {
protected:
    void sink_it_(const spdlog::details::log_msg& message) override {
        // Plugins and drivers write into log messages too: a logged text must not drive the terminal either.
        const std::string text =
            escape_nonprintable(redact_secrets(std::string_view(message.payload.data(), message.payload.size())));
        spdlog::details::log_msg redacted = message;
        redacted.payload = spdlog::string_view_t(text.data(), text.size());
        spdlog::memory_buf_t formatted;
        formatter_->format(redacted, formatted);
        flush_output();  // what the command printed before this line comes before it
        status_line::clear();  // and a progress bar drawn in place goes first
        std::fwrite(formatted.data(), 1, formatted.size(), stderr);
    }
    void flush_() override { std::fflush(stderr); }
};

// --log-level's values: what parse_log_level reads, and what the completion scripts offer.
constexpr std::array<std::pair<std::string_view, spdlog::level::level_enum>, 6> log_levels = {{
    {"trace", spdlog::level::trace},
    {"debug", spdlog::level::debug},
    {"info", spdlog::level::info},
    {"warn", spdlog::level::warn},
    {"error", spdlog::level::err},
    {"off", spdlog::level::off},
}};

}  // namespace

std::optional<spdlog::level::level_enum> parse_log_level(std::string_view name) {
    if (name == "warning") return spdlog::level::warn;
    const auto known =
        std::find_if(log_levels.begin(), log_levels.end(), [&](const auto& entry) { return entry.first == name; });
    if (known == log_levels.end()) return std::nullopt;
    return known->second;
}

std::vector<std::string> log_level_names() {
    std::vector<std::string> names;
    for (const auto& [name, level] : log_levels) names.emplace_back(name);
    return names;
}

void setup_logging(spdlog::level::level_enum level) {
    auto logger = std::make_shared<spdlog::logger>("migration-host", std::make_shared<RedactingStderrSink>());
    // UTC with a Z, the clock of the history's started_at/finished_at: one clock for everything the host writes.
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %^%l%$ %v", spdlog::pattern_time_type::utc);
    logger->set_level(level);
    logger->flush_on(spdlog::level::trace);
    spdlog::set_default_logger(std::move(logger));
}

}  // namespace migration_host
