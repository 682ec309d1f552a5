// Reads the configuration sources (environment, INI file) and resolves where to connect and where to find plugins.
// SPDX-License-Identifier: Apache-2.0
#include "command_line/config.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <boost/dll/runtime_symbol_info.hpp>
#include <boost/program_options.hpp>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <utility>

#include "exit_codes.hpp"
#include "plugins/plugin_trust.hpp"

#ifndef MIGRATION_HOST_PLUGIN_SUBDIR
#error "MIGRATION_HOST_PLUGIN_SUBDIR must be defined by the build"
#endif

namespace po = boost::program_options;

namespace migration_host {
namespace {

constexpr const char* environment_prefix = "MIGRATION_HOST_";
constexpr std::string_view target_section_prefix = "target.";

HostError usage(const std::string& message) {
    return HostError(ExitCode::usage, message);
}

std::string trimmed(std::string_view text) {
    const auto first = text.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos) return {};
    const auto last = text.find_last_not_of(" \t\r\n");
    return std::string(text.substr(first, last - first + 1));
}

bool valid_target_name(std::string_view name) {
    return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    });
}

// One "key = value" line as Boost's INI parser sees it (comments from '#' to the end of the line, blanks around
// names and values, [section] prefixes): the key with its section, and the line number Boost does not report.
struct KeyLine {
    std::string section;  // "" or the section's text, e.g. "target.prod"
    std::string key;
    std::size_t line = 0;
};

// The file's key lines in order, the same lines Boost's parser returns options for, and every target section's
// name (one may be empty); throws naming the line for one Boost would refuse, and for a section this file format
// does not have.
std::vector<KeyLine> scan_key_lines(const std::string& text, const std::filesystem::path& path,
                                    std::set<std::string>& target_names) {
    std::vector<KeyLine> lines;
    std::istringstream in(text);
    std::string raw;
    std::string section;
    std::size_t number = 0;
    while (std::getline(in, raw)) {
        ++number;
        const auto comment = raw.find('#');
        const std::string line = trimmed(comment == std::string::npos ? raw : raw.substr(0, comment));
        if (line.empty()) continue;
        if (line.front() == '[' && line.back() == ']') {
            section = trimmed(line.substr(1, line.size() - 2));
            const std::string_view name =
                std::string_view(section).substr(std::min(section.size(), target_section_prefix.size()));
            if (section.rfind(target_section_prefix, 0) != 0 || !valid_target_name(name)) {
                throw usage(
                    fmt::format("{} line {}: unknown section [{}]: expected [target.NAME], NAME made of "
                                "letters, digits, '_' and '-'",
                                path.string(), number, section));
            }
            target_names.emplace(name);
            continue;
        }
        const auto equals = line.find('=');
        if (equals == std::string::npos) {
            throw usage(fmt::format("{} line {}: expected 'name = value', '[target.NAME]' or a '#' comment",
                                    path.string(), number));
        }
        lines.push_back({section, trimmed(line.substr(0, equals)), number});
    }
    return lines;
}

std::string describe_errno(int error) {
    return std::strerror(error);
}

// Closes the descriptor it holds when it goes.
class FileDescriptor {
public:
    explicit FileDescriptor(int descriptor) : descriptor_(descriptor) {}
    FileDescriptor(const FileDescriptor&) = delete;
    FileDescriptor& operator=(const FileDescriptor&) = delete;
    ~FileDescriptor() {
        if (descriptor_ >= 0) ::close(descriptor_);
    }
    int get() const { return descriptor_; }

private:
    int descriptor_;
};

// A configuration or password file, read whole, and the status of the file it was read from.
struct TrustedFile {
    std::string content;
    struct stat status {};
};

// Reads `path` (`what` names it in messages) through one descriptor, refusing with HostError(usage) a file that is
// not regular, or that someone other than root and the running user could change (see check_opened_file_trust):
// such a file could point the run at another user's plugins and server, or be a password that user chose. What is
// checked is the opened file itself (fstat), and what is read is that file, so nothing can be swapped in between.
TrustedFile read_trusted_file(const std::filesystem::path& path, const std::string& what) {
    // O_NONBLOCK: a FIFO would block the open until someone writes to it; it is refused below as not regular.
    const FileDescriptor file(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
    if (file.get() < 0) throw usage(fmt::format("cannot read {}: {}", what, describe_errno(errno)));
    TrustedFile result;
    if (::fstat(file.get(), &result.status) != 0) {
        throw usage(fmt::format("cannot read {}: {}", what, describe_errno(errno)));
    }
    if (!S_ISREG(result.status.st_mode)) throw usage(fmt::format("cannot read {}: not a regular file", what));
    if (const auto problem = check_opened_file_trust(path, result.status)) {
        throw usage(fmt::format("refusing {}, which another user could change: {}", what, *problem));
    }
    char buffer[65536];
    for (;;) {
        const ssize_t count = ::read(file.get(), buffer, sizeof buffer);
        if (count == 0) break;
        if (count < 0) {
            if (errno == EINTR) continue;
            throw usage(fmt::format("cannot read {}: {}", what, describe_errno(errno)));
        }
        result.content.append(buffer, static_cast<std::size_t>(count));
    }
    return result;
}

// What some editors (Windows Notepad) write at the start of a UTF-8 file.
constexpr std::string_view utf8_byte_order_mark = "\xEF\xBB\xBF";

}  // namespace

std::string environment_variable_for(std::string_view option) {
    std::string name = environment_prefix;
    for (const char c : option) name += c == '-' ? '_' : static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
    return name;
}

ConfigFile read_config_file(const std::filesystem::path& path, const ConfigKeys& keys) {
    TrustedFile read = read_trusted_file(path, "configuration file " + path.string());
    std::string text = std::move(read.content);
    // Skipped, not a part of the first key; the line numbers stay as they are.
    if (text.rfind(utf8_byte_order_mark, 0) == 0) text.erase(0, utf8_byte_order_mark.size());
    if (text.find('\0') != std::string::npos) {
        throw usage(fmt::format("{}: holds a NUL byte; not a configuration file", path.string()));
    }
    std::set<std::string> target_names;
    const auto key_lines = scan_key_lines(text, path, target_names);

    po::parsed_options parsed(nullptr);
    try {
        std::istringstream stream(text);
        parsed = po::parse_config_file(stream, po::options_description(), /*allow_unregistered=*/true);
    } catch (const po::error& error) {
        // scan_key_lines refuses every line Boost refuses, with its number; this is Boost's view of anything else.
        throw usage(fmt::format("{}: {}", path.string(), error.what()));
    }
    if (parsed.options.size() != key_lines.size()) {
        throw usage(fmt::format("{}: read {} settings where {} lines hold one", path.string(), parsed.options.size(),
                                key_lines.size()));
    }

    ConfigFile file;
    file.path = path;
    file.private_to_owner = (read.status.st_mode & 077) == 0;
    const auto base_directory = std::filesystem::absolute(path).parent_path();
    for (std::size_t i = 0; i < key_lines.size(); ++i) {
        const KeyLine& where = key_lines[i];
        const auto& option = parsed.options[i];
        const std::string value = option.value.empty() ? std::string() : option.value.front();
        const bool in_target = !where.section.empty();
        const std::string place = fmt::format("{} line {}", path.string(), where.line);
        const bool known = keys.keys.count(where.key) || (!in_target && keys.top_level_only.count(where.key));
        if (!known) {
            throw usage(fmt::format("{}: unknown setting '{}'{}", place, where.key,
                                    in_target && keys.top_level_only.count(where.key)
                                        ? " in a target section (it belongs at the top of the file)"
                                        : ""));
        }
        if (value.empty()) throw usage(fmt::format("{}: {} has no value", place, where.key));
        SourcedValues& section =
            in_target ? file.targets[where.section.substr(target_section_prefix.size())] : file.top_level;
        auto [entry, added] = section.try_emplace(where.key);
        if (!added && !keys.repeatable.count(where.key)) {
            throw usage(fmt::format("{}: {} is set twice in {} (first at {})", place, where.key,
                                    in_target ? "[" + where.section + "]" : "the top level", entry->second.label));
        }
        if (added) {
            entry->second.label = fmt::format("{} in {}", where.key, place);
            entry->second.base_directory = base_directory;
        }
        entry->second.values.push_back(value);
    }
    // An empty [target.NAME] section still names a target.
    for (const auto& name : target_names) file.targets.try_emplace(name);
    return file;
}

SourcedValues read_environment(const std::vector<std::string>& options) {
    po::options_description description;
    std::map<std::string, std::string> option_by_variable;
    for (const auto& option : options) {
        description.add_options()(option.c_str(), po::value<std::string>());
        option_by_variable.emplace(environment_variable_for(option), option);
    }
    // Other MIGRATION_HOST_ variables (the test suite's, the scripts') are not options and are left alone.
    const auto parsed = po::parse_environment(description, [&](const std::string& variable) -> std::string {
        const auto it = option_by_variable.find(variable);
        return it == option_by_variable.end() ? std::string() : it->second;
    });
    SourcedValues values;
    for (const auto& option : parsed.options) {
        if (option.value.empty() || option.value.front().empty()) continue;
        values[option.string_key] =
            SourcedValue{{option.value.front()}, environment_variable_for(option.string_key), {}};
    }
    return values;
}

namespace {

std::string checked_password(std::string password, const std::string& what) {
    if (password.size() >= 2 && password.compare(password.size() - 2, 2, "\r\n") == 0) {
        password.resize(password.size() - 2);
    } else if (!password.empty() && password.back() == '\n') {
        password.pop_back();
    }
    if (password.empty()) throw usage(fmt::format("{} is empty", what));
    if (password.find_first_of(std::string("\0\r\n", 3)) != std::string::npos) {
        throw usage(fmt::format("{} holds a NUL byte or a line end inside the password", what));
    }
    return password;
}

}  // namespace

std::string read_password_file(const std::filesystem::path& file, const std::string& named_by) {
    const std::string what = fmt::format("password file {} (named by {})", file.string(), named_by);
    TrustedFile read = read_trusted_file(file, what);
    if ((read.status.st_mode & 007) != 0) {
        spdlog::warn("{} can be read by every user (mode {:04o}); make it readable by its owner only", what,
                     read.status.st_mode & 07777);
    }
    return checked_password(std::move(read.content), what);
}

std::string read_password_variable(const std::string& variable, const std::string& named_by) {
    const std::string what = fmt::format("password variable {} (named by {})", variable, named_by);
    const char* value = std::getenv(variable.c_str());
    if (value == nullptr) throw usage(fmt::format("{} is not set", what));
    return checked_password(value, what);
}

std::filesystem::path default_plugin_dir() {
    // The build tree and the install tree share this layout.
    return (boost::dll::program_location().parent_path() / ".." / MIGRATION_HOST_PLUGIN_SUBDIR).lexically_normal();
}

std::vector<std::filesystem::path> resolve_plugin_dirs(const std::vector<std::string>& plugin_paths) {
    std::vector<std::filesystem::path> dirs;
    std::set<std::filesystem::path> seen;
    for (const auto& entry : plugin_paths) {
        const std::filesystem::path dir(entry);
        std::error_code error;
        auto identity = std::filesystem::weakly_canonical(dir, error);
        if (error) identity = std::filesystem::absolute(dir).lexically_normal();
        if (seen.insert(identity).second) dirs.push_back(dir);
    }
    return dirs;
}

}  // namespace migration_host
