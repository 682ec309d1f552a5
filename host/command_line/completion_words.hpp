// What completion offers, read from the command table and the options --help describes; each shell's script renders it.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <fmt/format.h>

#include <string>
#include <string_view>
#include <vector>

#include "command_line/cli.hpp"
#include "command_line/command_table.hpp"

namespace migration_host::completion {

// What a command's argument, or an option's value, completes to.
struct Completion {
    enum class Kind {
        none,   // free text (a DSN, a table name, a number)
        words,  // one of `words`
        files,
        directories,
        targets,        // the configuration file's [target.NAME] sections
        tracks,         // TRACK
        track_version,  // TRACK or TRACK@VERSION
        track_at,       // TRACK@VERSION
    };
    Kind kind = Kind::none;
    std::vector<std::string> words;
};

// The options whose values the completion knows, by name; then by what --help calls the value (FILE, DIR).
Completion value_completion(const OptionSummary& option);

// A command's arguments, from its usage ("upgrade|downgrade [TRACK[@VERSION]...]"): one completion per position,
// the last one repeating when the usage ends with "...".
struct Arguments {
    std::vector<Completion> positions;
    bool last_repeats = false;
};

Arguments arguments_of(const CommandSpec& spec);

// The options a command's --help shows (cli.cpp's options_used_by): --help, --config, --target and its own.
std::vector<OptionSummary> options_of(const CommandSpec& spec, const std::vector<OptionSummary>& all);
// The global options, then every command's.
std::vector<OptionSummary> every_option();

std::string joined_words(const std::vector<std::string>& words);
// "--name --other ..."
std::string option_words(const std::vector<OptionSummary>& options);
// Text inside single quotes, for either shell.
std::string single_quoted(std::string_view text);
// The options that take a value (their value is the next word unless given as --name=value), "|"-separated.
std::string options_taking_values(const std::vector<OptionSummary>& all);

// What the completion scripts pass on to `__complete` from the line: the options that choose the configuration
// file, its target and the plugins.
constexpr const char* passed_value_options = "--config|--target|--plugin-path";
constexpr const char* passed_switches = "--no-default-plugins|--allow-insecure-plugins";

// Replaces every `placeholder` in a script's template.
void fill_placeholder(std::string& text, std::string_view placeholder, const std::string& value);

// `case $positional in` for a command's arguments.
template <typename Render>
std::string positional_cases(const Arguments& arguments, const Render& render, std::string_view indent,
                             std::string_view open) {
    std::string cases;
    for (std::size_t i = 0; i < arguments.positions.size(); ++i) {
        const bool last = i + 1 == arguments.positions.size();
        const std::string pattern = last && arguments.last_repeats ? "*" : std::to_string(i);
        cases += fmt::format("{}    {}{}) {} ;;\n", indent, open, pattern, render(arguments.positions[i]));
    }
    return cases;
}

}  // namespace migration_host::completion
