// What completion offers, read from the command table and the options --help describes; each shell's script renders it.
// SPDX-License-Identifier: Apache-2.0
#include "command_line/completion_words.hpp"

#include <migration_host/dialect.hpp>

#include <algorithm>
#include <sstream>

#include "command_line/logging.hpp"

namespace migration_host::completion {

// The options whose values the completion knows, by name; then by what --help calls the value (FILE, DIR).
Completion value_completion(const OptionSummary& option) {
    if (option.name == "format") return {Completion::Kind::words, output_format_names()};
    if (option.name == "log-level") return {Completion::Kind::words, log_level_names()};
    if (option.name == "log-format") return {Completion::Kind::words, log_format_names()};
    if (option.name == "dialect") {
        // The SDK's dialects, by the names sql --dialect reads (Dialect::named, schema::dialect_from_name).
        std::vector<std::string> names;
        for (const auto dialect : {schema::Dialect::sqlite, schema::Dialect::mysql, schema::Dialect::postgresql}) {
            names.emplace_back(schema::dialect_name(dialect));
        }
        return {Completion::Kind::words, names};
    }
    if (option.name == "target") return {Completion::Kind::targets, {}};
    if (option.value_name == "FILE") return {Completion::Kind::files, {}};
    if (option.value_name == "DIR") return {Completion::Kind::directories, {}};
    return {};
}

Arguments arguments_of(const CommandSpec& spec) {
    Arguments arguments;
    std::istringstream tokens(spec.arguments);
    for (std::string token; tokens >> token;) {
        arguments.last_repeats = token.find("...") != std::string::npos;
        std::string bare;
        for (const char c : token) {
            if (c != '[' && c != ']' && c != '.') bare += c;
        }
        // The relative forms (TRACK[@VERSION|@+N], TRACK@VERSION|TRACK@-N) complete as the absolute one: a version
        // from the track's list is what can be offered.
        if (bare.rfind("TRACK@VERSION|", 0) == 0) bare = "TRACK@VERSION";
        Completion completion;
        if (token.rfind("TRACK@VERSION", 0) == 0) {
            completion.kind = Completion::Kind::track_at;
        } else if (bare == "TRACK@VERSION") {
            completion.kind = Completion::Kind::track_version;
        } else if (bare == "TRACK") {
            completion.kind = Completion::Kind::tracks;
        } else if (bare.find('|') != std::string::npos) {
            completion.kind = Completion::Kind::words;
            std::istringstream words(bare);
            for (std::string word; std::getline(words, word, '|');) completion.words.push_back(word);
        }
        arguments.positions.push_back(completion);
    }
    return arguments;
}

// The options a command's --help shows (cli.cpp's options_used_by): --help, --config, --target and its own.
std::vector<OptionSummary> options_of(const CommandSpec& spec, const std::vector<OptionSummary>& all) {
    std::vector<OptionSummary> used;
    for (const auto& option : all) {
        if (option.name == "help" || option.name == "config" || option.name == "target" ||
            std::find(spec.options.begin(), spec.options.end(), option.name) != spec.options.end()) {
            used.push_back(option);
        }
    }
    return used;
}

std::vector<OptionSummary> every_option() {
    auto all = global_option_summaries();
    const auto command_options = command_option_summaries();
    all.insert(all.end(), command_options.begin(), command_options.end());
    return all;
}

std::string joined_words(const std::vector<std::string>& words) {
    return fmt::format("{}", fmt::join(words, " "));
}

std::string option_words(const std::vector<OptionSummary>& options) {
    std::vector<std::string> words;
    for (const auto& option : options) words.push_back("--" + option.name);
    return joined_words(words);
}

// Text inside single quotes, for either shell.
std::string single_quoted(std::string_view text) {
    std::string quoted = "'";
    for (const char c : text) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return quoted + "'";
}

// The options that take a value (their value is the next word unless given as --name=value).
std::string options_taking_values(const std::vector<OptionSummary>& all) {
    std::vector<std::string> names;
    for (const auto& option : all) {
        if (!option.value_name.empty()) names.push_back("--" + option.name);
    }
    return fmt::format("{}", fmt::join(names, "|"));
}

void fill_placeholder(std::string& text, std::string_view placeholder, const std::string& value) {
    for (auto at = text.find(placeholder); at != std::string::npos; at = text.find(placeholder, at + value.size())) {
        text.replace(at, placeholder.size(), value);
    }
}

}  // namespace migration_host::completion
