// The one output layer: renders command results on stdout as text lines or as one JSON document.
// SPDX-License-Identifier: Apache-2.0
#include "command_line/output.hpp"

#include <cstdio>
#include <string>

#include "command_line/terminal_text.hpp"
#include "database/redact.hpp"

namespace migration_host {
namespace {

nlohmann::json redacted(const nlohmann::json& value) {
    if (value.is_string()) return redact_secrets(value.get_ref<const std::string&>());
    if (value.is_array()) {
        nlohmann::json copy = nlohmann::json::array();
        for (const auto& element : value) copy.push_back(redacted(element));
        return copy;
    }
    if (value.is_object()) {
        nlohmann::json copy = nlohmann::json::object();
        for (const auto& [key, element] : value.items()) copy[redact_secrets(key)] = redacted(element);
        return copy;
    }
    return value;
}

bool flushing_every_line = false;

void write_stdout(const std::string& text) {
    std::fwrite(text.data(), 1, text.size(), stdout);
    if (flushing_every_line) std::fflush(stdout);
}

}  // namespace

void flush_every_line() {
    flushing_every_line = true;
    std::fflush(stdout);
}

void flush_output() { std::fflush(stdout); }

void print_line(std::string_view line) {
    write_stdout(escape_nonprintable(redact_secrets(line)) + "\n");
}

void print_line_keeping_tabs(std::string_view line) {
    const std::string redacted_line = redact_secrets(line);
    std::string text;
    std::size_t start = 0;
    while (true) {
        const auto tab = redacted_line.find('\t', start);
        text += escape_nonprintable(std::string_view(redacted_line).substr(start, tab - start));
        if (tab == std::string::npos) break;
        text += '\t';
        start = tab + 1;
    }
    write_stdout(text + "\n");
}

void print_json(const nlohmann::json& document) {
    write_stdout(redacted(document).dump(2, ' ', true, nlohmann::json::error_handler_t::replace) + "\n");
}

}  // namespace migration_host
