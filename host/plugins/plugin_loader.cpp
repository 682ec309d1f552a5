// Discovers plugin libraries with Boost.DLL and validates what they offer against the C ABI.
// SPDX-License-Identifier: Apache-2.0
#include "plugins/plugin_loader.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <set>
#include <stdexcept>

#include "plugins/plugin_call.hpp"
#include "plugins/plugin_trust.hpp"

namespace migration_host {
namespace {

namespace fs = std::filesystem;
namespace limits = descriptor_limits;

// Validation failures while reading a descriptor; turned into a reason by
// validate_descriptor, which is the only place that catches it.
class InvalidDescriptor : public std::runtime_error {
    using std::runtime_error::runtime_error;
};

// Valid UTF-8 (no overlong forms, surrogates or code points past U+10FFFF)
// without control characters (C0, DEL, C1): a plugin's text reaches terminals
// and the history, and an escape sequence in a name must not.
bool is_clean_text(std::string_view text) {
    std::size_t i = 0;
    while (i < text.size()) {
        const auto lead = static_cast<unsigned char>(text[i]);
        if (lead < 0x80) {
            if (lead < 0x20 || lead == 0x7f) return false;
            ++i;
            continue;
        }
        std::size_t length = 0;
        char32_t code = 0, smallest = 0;
        if ((lead & 0xe0) == 0xc0) {
            length = 2, code = lead & 0x1f, smallest = 0x80;
        } else if ((lead & 0xf0) == 0xe0) {
            length = 3, code = lead & 0x0f, smallest = 0x800;
        } else if ((lead & 0xf8) == 0xf0) {
            length = 4, code = lead & 0x07, smallest = 0x10000;
        } else {
            return false;
        }
        if (text.size() - i < length) return false;
        for (std::size_t k = 1; k < length; ++k) {
            const auto next = static_cast<unsigned char>(text[i + k]);
            if ((next & 0xc0) != 0x80) return false;
            code = (code << 6) | (next & 0x3f);
        }
        if (code < smallest || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff) ||
            (code >= 0x80 && code <= 0x9f)) {
            return false;
        }
        i += length;
    }
    return true;
}

// A plugin's text quoted in an error message: at most 64 bytes, anything but
// printable ASCII as \xNN.
std::string shown(std::string_view text) {
    std::string out = "'";
    for (const char c : text.substr(0, 64)) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte >= 0x20 && byte < 0x7f && c != '\\') {
            out += c;
        } else {
            out += fmt::format("\\x{:02x}", byte);
        }
    }
    return out + (text.size() > 64 ? "...'" : "'");
}

// Reads at most max_bytes + 1 bytes: a text without its NUL stops there.
std::optional<std::string> optional_text(const char* text, std::string_view what, std::size_t max_bytes) {
    if (text == nullptr) return std::nullopt;
    const std::size_t length = strnlen(text, max_bytes + 1);
    if (length > max_bytes) throw InvalidDescriptor(fmt::format("{} is longer than {} bytes", what, max_bytes));
    std::string value(text, length);
    if (!is_clean_text(value)) {
        throw InvalidDescriptor(
            fmt::format("{} {} is not valid UTF-8 text without control characters", what, shown(value)));
    }
    return value;
}

std::string required_text(const char* text, std::string_view what, std::size_t max_bytes) {
    auto value = optional_text(text, what, max_bytes);
    if (!value || value->empty()) throw InvalidDescriptor(fmt::format("{} is missing", what));
    return std::move(*value);
}

// A track or plugin id: lower-case letters, digits, '_', '-', '.'.
std::string identifier(const char* text, std::string_view what) {
    if (text == nullptr) throw InvalidDescriptor(fmt::format("{} is missing", what));
    const std::string value(text, strnlen(text, 251));
    if (value.empty()) throw InvalidDescriptor(fmt::format("{} is missing", what));
    if (!is_valid_track_name(value)) {
        throw InvalidDescriptor(
            fmt::format("invalid {} {} (1 to 250 of a-z, 0-9, '_', '-', '.', starting with a "
                        "letter or digit)",
                        what, shown(value)));
    }
    return value;
}

Migration read_migration(const mh_migration* raw, std::uint32_t index, const LoadedPlugin* plugin) {
    if (raw == nullptr) throw InvalidDescriptor(fmt::format("migration #{} is NULL", index));
    if (!MH_STRUCT_HAS(raw, mh_migration, downgrade_refusal)) {
        throw InvalidDescriptor(fmt::format("migration #{} is too small ({} bytes) for ABI {}.0", index,
                                            raw->struct_size, MH_ABI_VERSION_MAJOR));
    }
    if (raw->struct_size > limits::max_struct_size) {
        throw InvalidDescriptor(fmt::format("migration #{} claims an absurd size ({} bytes, at most {})", index,
                                            raw->struct_size, limits::max_struct_size));
    }
    Migration migration;
    const std::string track = identifier(raw->track, fmt::format("migration #{} track", index));
    if (raw->reserved0 != 0) {
        // Checked so that a later ABI version can give the field a meaning.
        throw InvalidDescriptor(fmt::format("migration #{} of track {} has reserved0 != 0", index, track));
    }
    if (raw->version <= 0) {
        throw InvalidDescriptor(fmt::format("migration of track {} has version {} (must be > 0)", track, raw->version));
    }
    migration.ref = VersionRef{track, raw->version};
    migration.name = required_text(raw->name, migration.ref.to_string() + " name", limits::max_name_bytes);
    if (raw->upgrade == nullptr) throw InvalidDescriptor(migration.ref.to_string() + " has no upgrade function");
    if (raw->requirement_count > limits::max_requirements) {
        throw InvalidDescriptor(fmt::format("{} has {} requirements (at most {})", migration.ref.to_string(),
                                            raw->requirement_count, limits::max_requirements));
    }
    if (raw->requirement_count > 0 && raw->requirements == nullptr) {
        throw InvalidDescriptor(migration.ref.to_string() + " has requirement_count > 0 but no requirements");
    }
    for (std::uint32_t i = 0; i < raw->requirement_count; ++i) {
        const char* text = raw->requirements[i];
        // track (250) + '@' + version (18 digits) at most.
        const std::string_view bounded = text ? std::string_view(text, strnlen(text, 270)) : std::string_view();
        auto requirement = text ? parse_version_ref(bounded, 1) : std::nullopt;
        if (!requirement) {
            throw InvalidDescriptor(fmt::format("{} has a malformed requirement {} (expected track@version)",
                                                migration.ref.to_string(), text ? shown(bounded) : "(null)"));
        }
        migration.requirements.push_back(std::move(*requirement));
    }
    migration.upgrade = raw->upgrade;
    migration.downgrade = raw->downgrade;
    migration.irreversible = raw->downgrade == nullptr || (raw->flags & MH_MIGRATION_IRREVERSIBLE) != 0;
    migration.upgrade_restartable = (raw->flags & MH_MIGRATION_RESTARTABLE) != 0;
    migration.downgrade_refusal =
        optional_text(raw->downgrade_refusal, migration.ref.to_string() + " downgrade_refusal",
                      limits::max_description_bytes)
            .value_or("");
    if (MH_STRUCT_HAS(raw, mh_migration, checksum)) {
        migration.checksum =
            optional_text(raw->checksum, migration.ref.to_string() + " checksum", limits::max_checksum_bytes)
                .value_or("");
    }
    migration.plugin = plugin;
    return migration;
}

// The header fields, in the order that tells a wrong pointer from an old or
// new plugin: big enough to hold a magic number, the magic, a believable size,
// the ABI major version, then big enough for this ABI's members.
std::optional<std::string> header_problem(const mh_plugin_descriptor* descriptor) {
    constexpr auto magic_end = offsetof(mh_plugin_descriptor, magic) + sizeof(descriptor->magic);
    constexpr auto abi_end = offsetof(mh_plugin_descriptor, abi_minor) + sizeof(descriptor->abi_minor);
    if (descriptor->struct_size < magic_end) {
        return fmt::format("the descriptor is too small ({} bytes) to be one", descriptor->struct_size);
    }
    if (descriptor->magic != MH_PLUGIN_MAGIC) {
        return "the entry function returned something that is not a plugin descriptor (bad magic)";
    }
    if (descriptor->struct_size > limits::max_struct_size) {
        return fmt::format("the descriptor claims an absurd size ({} bytes, at most {})", descriptor->struct_size,
                           limits::max_struct_size);
    }
    if (descriptor->struct_size < abi_end || descriptor->abi_major != MH_ABI_VERSION_MAJOR) {
        const auto major = descriptor->struct_size >= abi_end ? descriptor->abi_major : 0U;
        const auto minor = descriptor->struct_size >= abi_end ? descriptor->abi_minor : 0U;
        return fmt::format("incompatible ABI: plugin built for {}.{}, this host speaks {}.{}", major, minor,
                           MH_ABI_VERSION_MAJOR, MH_ABI_VERSION_MINOR);
    }
    if (!MH_STRUCT_HAS(descriptor, mh_plugin_descriptor, reserved0)) {
        return fmt::format("descriptor too small ({} bytes) for ABI {}.0", descriptor->struct_size,
                           MH_ABI_VERSION_MAJOR);
    }
    return std::nullopt;
}

// Nothing touches the database before every plugin is loaded.
const std::string before_the_database = "the run stops before touching the database";

PluginOrReason load_plugin(const fs::path& path) {
    boost::dll::shared_library library;
    const auto open_library = [&]() -> std::optional<std::string> {
        try {
            // RTLD_LOCAL keeps one plugin's symbols from satisfying another's.
            library.load(path, boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local);
            return std::nullopt;
        } catch (const boost::dll::fs::system_error& error) {
            return fmt::format("cannot load: {}", error.what());
        }
    };
    // Loading runs the library's initialisers: plugin code already.
    const auto loaded = call_plugin("loading plugin library " + path.string(), ExitCode::plugin_error,
                                    before_the_database, open_library);
    if (const auto* escaped = std::get_if<1>(&loaded)) return "its initialisers " + *escaped;
    if (const auto& error = std::get<0>(loaded)) return *error;
    if (!library.has(MH_PLUGIN_ENTRY_SYMBOL)) {
        return fmt::format("not a migration-host plugin: no exported symbol {}", MH_PLUGIN_ENTRY_SYMBOL);
    }
    auto& entry = library.get<std::remove_pointer_t<mh_plugin_entry_fn>>(MH_PLUGIN_ENTRY_SYMBOL);
    const auto returned =
        call_plugin("the entry function of " + path.string(), ExitCode::plugin_error, before_the_database,
                    [&] { return entry(MH_ABI_VERSION_MAJOR, MH_ABI_VERSION_MINOR); });
    if (const auto* escaped = std::get_if<1>(&returned)) return "the entry function " + *escaped;
    auto validated = validate_descriptor(std::get<0>(returned), path);
    if (auto* plugin = std::get_if<std::unique_ptr<LoadedPlugin>>(&validated)) {
        (*plugin)->keep_loaded(std::move(library));
    }
    return validated;
}

// Why a directory entry named *.so cannot be a library; nullopt for a
// regular file or a link that leads to one.
std::optional<std::string> not_a_library(const fs::path& path) {
    std::error_code error;
    const fs::file_status link = fs::symlink_status(path, error);
    if (error) return "cannot read: " + error.message();
    const fs::file_status target = fs::status(path, error);
    if (error) {
        if (!fs::is_symlink(link)) return "cannot read: " + error.message();
        if (error == std::errc::too_many_symbolic_link_levels) return "symbolic link loop (too many levels of links)";
        std::error_code unreadable;
        const fs::path points_to = fs::read_symlink(path, unreadable);
        if (error == std::errc::no_such_file_or_directory) {
            return fmt::format("dangling symbolic link (to {}, which does not exist)", points_to.string());
        }
        return fmt::format("symbolic link to {} that cannot be followed: {}", points_to.string(), error.message());
    }
    switch (target.type()) {
        case fs::file_type::regular:
            // With the effective user's rights, as the loader will open it.
            if (faccessat(AT_FDCWD, path.c_str(), R_OK, AT_EACCESS) != 0) {
                return fmt::format("not readable by the user running the host ({})", std::strerror(errno));
            }
            return std::nullopt;
        case fs::file_type::directory:
            return "a directory, not a library";
        case fs::file_type::fifo:
            return "a FIFO, not a library";
        case fs::file_type::socket:
            return "a socket, not a library";
        case fs::file_type::block:
        case fs::file_type::character:
            return "a device, not a library";
        default:
            return "not a regular file";
    }
}

// Every entry named *.so, whatever it is, in file-name order.
std::vector<fs::path> candidates_in(const fs::path& directory, std::string& problem) {
    std::vector<fs::path> candidates;
    std::error_code error;
    if (!fs::is_directory(directory, error)) {
        problem = "plugin directory does not exist";
        return candidates;
    }
    fs::directory_iterator it(directory, error);
    for (; !error && it != fs::directory_iterator(); it.increment(error)) {
        if (it->path().extension() == ".so") candidates.push_back(it->path());
    }
    if (error) problem = "cannot list plugin directory: " + error.message();
    std::sort(candidates.begin(), candidates.end());
    return candidates;
}

}  // namespace

PluginOrReason validate_descriptor(const mh_plugin_descriptor* descriptor, const fs::path& path) {
    if (descriptor == nullptr) {
        return fmt::format("the plugin refused this host's ABI {}.{}", MH_ABI_VERSION_MAJOR, MH_ABI_VERSION_MINOR);
    }
    if (auto problem = header_problem(descriptor)) return std::move(*problem);
    std::unique_ptr<LoadedPlugin> plugin(new LoadedPlugin(path));
    try {
        plugin->id_ = identifier(descriptor->id, "plugin id");
        plugin->name_ = required_text(descriptor->name, "plugin name", limits::max_name_bytes);
        plugin->version_ = required_text(descriptor->version, "plugin version", limits::max_version_bytes);
        plugin->description_ =
            optional_text(descriptor->description, "plugin description", limits::max_description_bytes).value_or("");
        plugin->abi_major_ = descriptor->abi_major;
        plugin->abi_minor_ = descriptor->abi_minor;
        if (descriptor->reserved0 != 0) throw InvalidDescriptor("reserved0 != 0");
        if (descriptor->migration_count > limits::max_migrations) {
            throw InvalidDescriptor(
                fmt::format("{} migrations (at most {})", descriptor->migration_count, limits::max_migrations));
        }
        if (descriptor->migration_count > 0 && descriptor->migrations == nullptr) {
            throw InvalidDescriptor("migration_count > 0 but no migrations");
        }
        std::set<VersionRef> seen;
        for (std::uint32_t i = 0; i < descriptor->migration_count; ++i) {
            Migration migration = read_migration(descriptor->migrations[i], i, plugin.get());
            if (!seen.insert(migration.ref).second) {
                throw InvalidDescriptor(fmt::format("{} is listed twice", migration.ref.to_string()));
            }
            plugin->migrations_.push_back(std::move(migration));
        }
    } catch (const InvalidDescriptor& error) {
        return fmt::format("invalid descriptor: {}", error.what());
    }
    return plugin;
}

Discovery discover_plugins(const std::vector<fs::path>& directories, InsecurePlugins insecure) {
    Discovery discovery;
    std::set<fs::path> loaded;  // the same library reached twice is loaded once
    for (const auto& directory : directories) {
        std::string problem;
        const auto candidates = candidates_in(directory, problem);
        if (!problem.empty()) discovery.problems.push_back({directory, problem});
        for (const auto& candidate : candidates) {
            if (auto reason = not_a_library(candidate)) {
                discovery.problems.push_back({candidate, std::move(*reason)});
                continue;
            }
            // Checked before loading: loading runs the library's code.
            const TrustVerdict trust = check_plugin_trust(candidate);
            if (trust.resolved.empty()) {
                discovery.problems.push_back({candidate, trust.problem.value_or("cannot resolve its path")});
                continue;
            }
            const fs::path& library = trust.resolved;
            if (!loaded.insert(library).second) continue;
            if (trust.problem) {
                if (insecure == InsecurePlugins::refuse) {
                    discovery.problems.push_back(
                        {candidate, fmt::format("refused as insecure: {} (--allow-insecure-plugins loads it anyway)",
                                                *trust.problem)});
                    continue;
                }
                spdlog::warn("loading {} although it is insecure: {}", candidate.string(), *trust.problem);
            }
            auto result = load_plugin(library);
            if (auto* reason = std::get_if<std::string>(&result)) {
                discovery.problems.push_back({library, std::move(*reason)});
            } else {
                discovery.plugins.push_back(std::move(std::get<std::unique_ptr<LoadedPlugin>>(result)));
            }
        }
    }
    return discovery;
}

}  // namespace migration_host
