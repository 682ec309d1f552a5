// The one output layer: renders command results on stdout as text lines or as one JSON document.
// SPDX-License-Identifier: Apache-2.0
#include "command_line/output.hpp"

#include <algorithm>
#include <cstdio>
#include <string>

#include "bounded_list.hpp"
#include "command_line/status_line.hpp"
#include "command_line/terminal_text.hpp"
#include "database/redact.hpp"

namespace migration_host {
namespace {

nlohmann::json redacted(const nlohmann::json& value, const std::vector<std::string>& verbatim_members = {}) {
    if (value.is_string()) return redact_secrets(value.get_ref<const std::string&>());
    if (value.is_array()) {
        nlohmann::json copy = nlohmann::json::array();
        for (const auto& element : value) copy.push_back(redacted(element, verbatim_members));
        return copy;
    }
    if (value.is_object()) {
        nlohmann::json copy = nlohmann::json::object();
        for (const auto& [key, element] : value.items()) {
            const bool verbatim =
                std::find(verbatim_members.begin(), verbatim_members.end(), key) != verbatim_members.end();
            copy[redact_secrets(key)] = verbatim ? element : redacted(element, verbatim_members);
        }
        return copy;
    }
    return value;
}

bool flushing_every_line = false;

void write_stdout(const std::string& text) {
    status_line::clear();  // stdout may be the terminal a bar is drawn on
    std::fwrite(text.data(), 1, text.size(), stdout);
    if (flushing_every_line) std::fflush(stdout);
}

void write_json(const nlohmann::json& document) {
    write_stdout(document.dump(2, ' ', true, nlohmann::json::error_handler_t::replace) + "\n");
}

}  // namespace

void flush_every_line() {
    flushing_every_line = true;
    std::fflush(stdout);
}

void flush_output() { std::fflush(stdout); }

void print_error_line(std::string_view text) {
    flush_output();
    status_line::clear();
    const std::string line = bounded_line(escape_nonprintable(redact_secrets(text)));
    std::fprintf(stderr, "migration-host: error: %s\n", line.c_str());
}

void print_line(std::string_view line) {
    write_stdout(escape_nonprintable(redact_secrets(line)) + "\n");
}

void print_verbatim(std::string_view text) {
    std::string line(text);
    line += '\n';
    write_stdout(line);
}

void print_json(const nlohmann::json& document) {
    write_json(redacted(document));
}

void print_json_keeping(const nlohmann::json& document, const std::vector<std::string>& verbatim_members) {
    write_json(redacted(document, verbatim_members));
}

}  // namespace migration_host
