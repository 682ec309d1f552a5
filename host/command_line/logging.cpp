// Sets up the host's spdlog logger: stderr, chosen level and format (text or JSON lines), every message redacted.
// SPDX-License-Identifier: Apache-2.0
#include "command_line/logging.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <utility>

#include "bounded_list.hpp"
#include "command_line/output.hpp"
#include "command_line/status_line.hpp"
#include "command_line/terminal_text.hpp"
#include "database/redact.hpp"

namespace migration_host {
namespace {

std::atomic<LogFormat> current_format{LogFormat::text};

// What the JSON lines say besides the message: the fleet child's target and the step being run. Set from the run's
// thread, read from any thread that logs (a step's watch thread too).
struct LogContext {
    std::mutex mutex;
    std::optional<std::string> target;
    std::optional<std::pair<std::string, std::int64_t>> step;
};

LogContext& log_context() {
    static LogContext context;
    return context;
}

// RFC 3339, UTC, milliseconds: the clock of the text lines and of the history's started_at/finished_at.
std::string utc_timestamp(std::chrono::system_clock::time_point time) {
    const auto since_epoch = time.time_since_epoch();
    const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(since_epoch);
    const auto milliseconds = std::chrono::duration_cast<std::chrono::milliseconds>(since_epoch - seconds).count();
    const std::time_t whole = static_cast<std::time_t>(seconds.count());
    std::tm parts{};
    gmtime_r(&whole, &parts);
    char text[32];
    const std::size_t length = std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &parts);
    return std::string(text, length) + fmt::format(".{:03}Z", milliseconds);
}

// One JSON log line: time, level and message, then what the context knows. Redacted here, as the text lines are;
// JSON's escapes (non-ASCII as \u escapes too) keep every byte of a plugin's or driver's text off the terminal.
// `target`: the fleet target the line is about, when not this process's own (log_context's).
std::string json_log_line(std::chrono::system_clock::time_point time, std::string_view level, std::string_view message,
                          std::optional<int> exit_code, std::optional<std::string_view> target = std::nullopt) {
    nlohmann::ordered_json line;
    line["time"] = utc_timestamp(time);
    line["level"] = std::string(level);
    line["message"] = redact_secrets(message);
    {
        LogContext& context = log_context();
        const std::lock_guard<std::mutex> lock(context.mutex);
        if (target) {
            line["target"] = redact_secrets(*target);
        } else if (context.target) {
            line["target"] = redact_secrets(*context.target);
        }
        if (context.step) {
            line["track"] = context.step->first;
            line["version"] = context.step->second;
        }
    }
    if (exit_code) line["exit_code"] = *exit_code;
    return line.dump(-1, ' ', true, nlohmann::json::error_handler_t::replace) + "\n";
}

// Redacts at the sink, so that no log call anywhere can leak a password,
// whatever it formats. Only the message is redacted, before the pattern adds
// the time, level and line end: a secret value runs to the end of the text it
// is in, and must not take the newline with it.
class RedactingStderrSink final : public spdlog::sinks::base_sink<std::mutex> {
protected:
    void sink_it_(const spdlog::details::log_msg& message) override {
        if (current_format.load() == LogFormat::json) {
            const auto level = spdlog::level::to_string_view(message.level);
            const std::string line =
                json_log_line(message.time, std::string_view(level.data(), level.size()),
                              std::string_view(message.payload.data(), message.payload.size()), std::nullopt);
            flush_output();
            std::fwrite(line.data(), 1, line.size(), stderr);
            return;
        }
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

constexpr std::array<std::pair<std::string_view, LogFormat>, 2> log_formats = {{
    {"text", LogFormat::text},
    {"json", LogFormat::json},
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

std::optional<LogFormat> parse_log_format(std::string_view name) {
    const auto known =
        std::find_if(log_formats.begin(), log_formats.end(), [&](const auto& entry) { return entry.first == name; });
    if (known == log_formats.end()) return std::nullopt;
    return known->second;
}

std::vector<std::string> log_format_names() {
    std::vector<std::string> names;
    for (const auto& [name, format] : log_formats) names.emplace_back(name);
    return names;
}

void set_log_format(LogFormat format) {
    current_format.store(format);
}

bool log_format_is_json() {
    return current_format.load() == LogFormat::json;
}

void set_log_target(std::string target) {
    LogContext& context = log_context();
    const std::lock_guard<std::mutex> lock(context.mutex);
    context.target = std::move(target);
}

void set_log_step(const std::string& track, std::int64_t version) {
    LogContext& context = log_context();
    const std::lock_guard<std::mutex> lock(context.mutex);
    context.step.emplace(track, version);
}

void clear_log_step() {
    LogContext& context = log_context();
    const std::lock_guard<std::mutex> lock(context.mutex);
    context.step.reset();
}

std::string json_log_line_about(std::string_view target, bool failed, std::string_view message,
                                std::optional<int> exit_code) {
    return json_log_line(std::chrono::system_clock::now(), failed ? "error" : "info",
                         bounded_line(std::string(message)), failed ? exit_code : std::nullopt, target);
}

void report_error_line(std::string_view text, std::optional<int> exit_code) {
    if (!log_format_is_json()) {
        print_error_line(text);
        return;
    }
    flush_output();
    const std::string line =
        json_log_line(std::chrono::system_clock::now(), "error", bounded_line(redact_secrets(text)), exit_code);
    std::fwrite(line.data(), 1, line.size(), stderr);
    std::fflush(stderr);
}

}  // namespace migration_host
