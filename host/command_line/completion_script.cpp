// The bash and zsh completion scripts, rendered from the command table and the options --help describes.
// SPDX-License-Identifier: Apache-2.0
#include "command_line/completion_script.hpp"

#include <migration_host/dialect.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <sstream>
#include <string_view>
#include <vector>

#include "command_line/cli.hpp"
#include "command_line/command_table.hpp"
#include "command_line/logging.hpp"

namespace migration_host {
namespace {

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

// A command's arguments, from its usage ("upgrade|downgrade [TRACK[@VERSION]...]"): one completion per position,
// the last one repeating when the usage ends with "...".
struct Arguments {
    std::vector<Completion> positions;
    bool last_repeats = false;
};

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

// What the completion scripts pass on to `__complete` from the line: the options that choose the configuration
// file, its target and the plugins.
constexpr const char* passed_value_options = "--config|--target|--plugin-path";
constexpr const char* passed_switches = "--no-default-plugins|--allow-insecure-plugins";

// --- bash ----------------------------------------------------------------------------------------------------------

std::string bash_completing(const Completion& completion) {
    switch (completion.kind) {
        case Completion::Kind::none:
            return ":";
        case Completion::Kind::words:
            return fmt::format("_migration_host_reply \"{}\"", joined_words(completion.words));
        case Completion::Kind::files:
            return "_migration_host_files -f";
        case Completion::Kind::directories:
            return "_migration_host_files -d";
        case Completion::Kind::targets:
            return "_migration_host_reply \"$(_migration_host_ask targets)\"";
        case Completion::Kind::tracks:
            return "_migration_host_reply \"$(_migration_host_ask tracks)\"";
        case Completion::Kind::track_version:
            return "_migration_host_track_version";
        case Completion::Kind::track_at:
            return "_migration_host_track_at";
    }
    return ":";
}

const char* const bash_prologue =
    R"bash(# bash completion for migration-host: commands, options and their values, the configuration file's targets and the
# loaded plugins' tracks. Generated by `migration-host completion bash` from the host's command table. Plain bash is
# enough: it does not need the bash-completion package.

# _migration_host_ask WHAT: the targets, tracks or versions only the host knows, asked with the options on the line
# that choose the configuration file and the plugins (the caller's `given`); nothing when it cannot tell.
_migration_host_ask() {
    local host=${COMP_WORDS[0]}
    [[ $host == "~/"* ]] && host=$HOME/${host#"~/"}
    "$host" "${given[@]}" __complete "$1" 2>/dev/null </dev/null
}

# _migration_host_takes_value OPTION: whether OPTION takes a value (the next word, unless given as --name=value).
_migration_host_takes_value() {
    case $1 in
    @TAKING_VALUES@) return 0 ;;
    esac
    return 1
}

# _migration_host_reply WORDS: those of WORDS that start with the word being completed (the caller's `cur`).
_migration_host_reply() {
    local IFS=$' \t\n'
    mapfile -t COMPREPLY < <(compgen -W "$1" -- "$cur")
}

# _migration_host_files -f|-d: file or directory names.
_migration_host_files() {
    compopt -o filenames 2>/dev/null
    mapfile -t COMPREPLY < <(compgen "$1" -- "$cur")
}

# TRACK or TRACK@VERSION.
_migration_host_track_version() {
    if [[ $cur == *@* ]]; then
        _migration_host_reply "$(_migration_host_ask versions)"
    else
        _migration_host_reply "$(_migration_host_ask tracks)"
    fi
}

# TRACK@VERSION: a track is completed with its '@'.
_migration_host_track_at() {
    if [[ $cur == *@* ]]; then
        _migration_host_reply "$(_migration_host_ask versions)"
    else
        _migration_host_reply "$(_migration_host_ask tracks)"
        ((${#COMPREPLY[@]})) && COMPREPLY=("${COMPREPLY[@]/%/@}") && compopt -o nospace 2>/dev/null
    fi
}

_migration_host() {
    local cur=${COMP_WORDS[COMP_CWORD]} prev=
    ((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}
    local command= word name value option= prefix= positional=0 options_end= i=1
    local -a given=()
    COMPREPLY=()
    # The command, how many arguments it has so far, and the options to pass on to the host when asking it.
    while ((i < COMP_CWORD)); do
        word=${COMP_WORDS[i]}
        if [[ -z $options_end && $word == --?* ]]; then
            name=${word%%=*} value=
            if [[ $word == *=* ]]; then
                value=${word#*=}
            elif [[ ${COMP_WORDS[i + 1]} == = ]]; then # bash splits --name=value at the '='
                value=${COMP_WORDS[i + 2]}
                ((i += 2))
            elif _migration_host_takes_value "$name"; then
                value=${COMP_WORDS[i + 1]}
                ((i += 1))
            fi
            # A value still being typed is not passed on.
            ((i >= COMP_CWORD)) && break
            [[ $value == "~/"* ]] && value=$HOME/${value#"~/"}
            case $name in
            @PASSED_VALUE_OPTIONS@) given+=("$name=$value") ;;
            @PASSED_SWITCHES@) given+=("$name") ;;
            esac
        elif [[ -z $options_end && $word == -- ]]; then
            options_end=1
        elif [[ -z $options_end && $word == -* ]]; then
            :
        elif [[ -z $command ]]; then
            command=$word
        else
            ((positional += 1))
        fi
        ((i += 1))
    done

    # An option's value: after it, or after its '=' (a word of its own, or one word with the option).
    if [[ -z $options_end ]]; then
        if [[ $cur == --*=* ]]; then
            option=${cur%%=*} prefix=${cur%%=*}= cur=${cur#*=}
        elif [[ $cur == = && $prev == --* ]]; then
            option=$prev cur=
        elif [[ $prev == = ]] && ((COMP_CWORD > 1)); then
            option=${COMP_WORDS[COMP_CWORD - 2]}
        elif _migration_host_takes_value "$prev"; then
            option=$prev
        fi
    fi
    if [[ -n $option ]]; then
        case $option in
@OPTION_VALUES@        esac
        [[ -n $prefix ]] && ((${#COMPREPLY[@]})) && COMPREPLY=("${COMPREPLY[@]/#/$prefix}")
        return 0
    fi

    if [[ -z $options_end && $cur == -* ]]; then
        case $command in
@COMMAND_OPTIONS@        esac
        return 0
    fi

    if [[ -z $command ]]; then
        _migration_host_reply "@COMMANDS@"
        return 0
    fi
    case $command in
@COMMAND_ARGUMENTS@    esac
    return 0
}

complete -F _migration_host migration-host
)bash";

// --- zsh -----------------------------------------------------------------------------------------------------------

std::string zsh_completing(const Completion& completion) {
    switch (completion.kind) {
        case Completion::Kind::none:
            return ":";
        case Completion::Kind::words:
            return fmt::format("compadd -- {}", joined_words(completion.words));
        case Completion::Kind::files:
            return "_files";
        case Completion::Kind::directories:
            return "_files -/";
        case Completion::Kind::targets:
            return "_migration_host_add targets";
        case Completion::Kind::tracks:
            return "_migration_host_add tracks";
        case Completion::Kind::track_version:
            return "_migration_host_track_version";
        case Completion::Kind::track_at:
            return "_migration_host_track_at";
    }
    return ":";
}

// "name:description" entries for _describe, each single-quoted.
std::string described(const std::vector<std::pair<std::string, std::string>>& entries) {
    std::vector<std::string> quoted;
    for (const auto& [name, description] : entries) quoted.push_back(single_quoted(name + ":" + description));
    return fmt::format("{}", fmt::join(quoted, " "));
}

std::string described_options(const std::vector<OptionSummary>& options) {
    std::vector<std::pair<std::string, std::string>> entries;
    for (const auto& option : options) entries.emplace_back("--" + option.name, option.description);
    return described(entries);
}

const char* const zsh_prologue = R"zsh(#compdef migration-host
# zsh completion for migration-host: commands, options and their values, the configuration file's targets and the
# loaded plugins' tracks. Generated by `migration-host completion zsh` from the host's command table. Autoloaded from
# a directory in $fpath (the packages install it in /usr/share/zsh/vendor-completions), or sourced after compinit.

# _migration_host_add WHAT: the targets, tracks or versions only the host knows, asked with the options on the line
# that choose the configuration file and the plugins (the caller's `given`); nothing when it cannot tell.
_migration_host_add() {
    local host=${words[1]/#\~/$HOME}
    local -a found
    found=(${(f)"$($host "${given[@]}" __complete $1 2>/dev/null </dev/null)"})
    compadd "${@[2,-1]}" -- $found
}

_migration_host_takes_value() {
    case $1 in
    (@TAKING_VALUES@) return 0 ;;
    esac
    return 1
}

_migration_host_track_version() {
    if [[ $PREFIX == *@* ]]; then
        _migration_host_add versions
    else
        _migration_host_add tracks
    fi
}

_migration_host_track_at() {
    if [[ $PREFIX == *@* ]]; then
        _migration_host_add versions
    else
        _migration_host_add tracks -S @
    fi
}

_migration_host() {
    local command= word name value option=
    local -i i=2 positional=0 options_end=0
    local -a given
    while (( i < CURRENT )); do
        word=${words[i]}
        if (( ! options_end )) && [[ $word == --?* ]]; then
            name=${word%%=*} value=
            if [[ $word == *=* ]]; then
                value=${word#*=}
            elif _migration_host_takes_value $name; then
                value=${words[i + 1]}
                (( i += 1 ))
            fi
            # A value still being typed is not passed on.
            (( i >= CURRENT )) && break
            case $name in
            (@PASSED_VALUE_OPTIONS@) given+=("$name=${value/#\~/$HOME}") ;;
            (@PASSED_SWITCHES@) given+=($name) ;;
            esac
        elif (( ! options_end )) && [[ $word == -- ]]; then
            options_end=1
        elif (( ! options_end )) && [[ $word == -* ]]; then
            :
        elif [[ -z $command ]]; then
            command=$word
        else
            (( positional += 1 ))
        fi
        (( i += 1 ))
    done

    if (( ! options_end )); then
        if [[ $PREFIX == --*=* ]]; then
            option=${PREFIX%%=*}
            compset -P '*='
        elif _migration_host_takes_value "${words[CURRENT - 1]}"; then
            option=${words[CURRENT - 1]}
        fi
    fi
    if [[ -n $option ]]; then
        case $option in
@OPTION_VALUES@        esac
        return
    fi

    local -a described
    if (( ! options_end )) && [[ $PREFIX == -* ]]; then
        case $command in
@COMMAND_OPTIONS@        esac
        _describe -t options option described
        return
    fi

    if [[ -z $command ]]; then
        described=(@COMMANDS@)
        _describe -t commands command described
        return
    fi
    case $command in
@COMMAND_ARGUMENTS@    esac
}

if [[ $funcstack[1] == _migration-host ]]; then
    _migration_host "$@"
else
    compdef _migration_host migration-host
fi
)zsh";

void replace(std::string& text, std::string_view placeholder, const std::string& value) {
    for (auto at = text.find(placeholder); at != std::string::npos; at = text.find(placeholder, at + value.size())) {
        text.replace(at, placeholder.size(), value);
    }
}

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

}  // namespace

std::string bash_completion_script() {
    const auto all = every_option();
    std::string option_values;
    for (const auto& option : all) {
        const auto completion = value_completion(option);
        if (completion.kind == Completion::Kind::none) continue;
        option_values += fmt::format("        --{}) {} ;;\n", option.name, bash_completing(completion));
    }

    std::vector<std::string> commands;
    std::string command_options;
    std::string command_arguments;
    auto global = global_option_summaries();
    command_options += fmt::format("        \"\") _migration_host_reply \"{}\" ;;\n", option_words(global));
    for (const auto& spec : command_table()) {
        if (!spec.listed) continue;
        commands.emplace_back(spec.name);
        command_options += fmt::format("        {}) _migration_host_reply \"{}\" ;;\n", spec.name,
                                       option_words(options_of(spec, all)));
        const auto arguments = arguments_of(spec);
        if (arguments.positions.empty()) continue;
        command_arguments += fmt::format("    {})\n        case $positional in\n{}        esac\n        ;;\n",
                                         spec.name, positional_cases(arguments, bash_completing, "        ", ""));
    }

    std::string script = bash_prologue;
    replace(script, "@TAKING_VALUES@", options_taking_values(all));
    replace(script, "@PASSED_VALUE_OPTIONS@", passed_value_options);
    replace(script, "@PASSED_SWITCHES@", passed_switches);
    replace(script, "@OPTION_VALUES@", option_values);
    replace(script, "@COMMAND_OPTIONS@", command_options);
    replace(script, "@COMMANDS@", joined_words(commands));
    replace(script, "@COMMAND_ARGUMENTS@", command_arguments);
    return script;
}

std::string zsh_completion_script() {
    const auto all = every_option();
    std::string option_values;
    for (const auto& option : all) {
        const auto completion = value_completion(option);
        if (completion.kind == Completion::Kind::none) continue;
        option_values += fmt::format("        (--{}) {} ;;\n", option.name, zsh_completing(completion));
    }

    std::vector<std::pair<std::string, std::string>> commands;
    std::string command_options =
        fmt::format("        ('') described=({}) ;;\n", described_options(global_option_summaries()));
    std::string command_arguments;
    for (const auto& spec : command_table()) {
        if (!spec.listed) continue;
        commands.emplace_back(spec.name, spec.summary);
        command_options +=
            fmt::format("        ({}) described=({}) ;;\n", spec.name, described_options(options_of(spec, all)));
        const auto arguments = arguments_of(spec);
        if (arguments.positions.empty()) continue;
        command_arguments += fmt::format("    ({})\n        case $positional in\n{}        esac\n        ;;\n",
                                         spec.name, positional_cases(arguments, zsh_completing, "        ", "("));
    }

    std::string script = zsh_prologue;
    replace(script, "@TAKING_VALUES@", options_taking_values(all));
    replace(script, "@PASSED_VALUE_OPTIONS@", passed_value_options);
    replace(script, "@PASSED_SWITCHES@", passed_switches);
    replace(script, "@OPTION_VALUES@", option_values);
    replace(script, "@COMMAND_OPTIONS@", command_options);
    replace(script, "@COMMANDS@", described(commands));
    replace(script, "@COMMAND_ARGUMENTS@", command_arguments);
    return script;
}

}  // namespace migration_host
