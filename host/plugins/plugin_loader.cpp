// Discovers plugin libraries with Boost.DLL and validates what they offer against the C ABI.
#include "plugins/plugin_loader.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <set>
#include <stdexcept>
#include <variant>

namespace migration_host {
namespace {

using PluginOrReason = std::variant<std::unique_ptr<LoadedPlugin>, std::string>;

// Validation failures while reading a descriptor; turned into a PluginProblem
// by load_plugin, which is the only place that catches it.
class InvalidDescriptor : public std::runtime_error {
    using std::runtime_error::runtime_error;
};

std::string required_text(const char* text, std::string_view what) {
    if (text == nullptr || *text == '\0') throw InvalidDescriptor(fmt::format("{} is missing", what));
    return text;
}

Migration read_migration(const mh_migration* raw, std::uint32_t index, const LoadedPlugin* plugin) {
    if (raw == nullptr) throw InvalidDescriptor(fmt::format("migration #{} is NULL", index));
    if (!MH_STRUCT_HAS(raw, mh_migration, downgrade_refusal)) {
        throw InvalidDescriptor(fmt::format("migration #{} is too small ({} bytes) for ABI {}.0", index,
                                            raw->struct_size, MH_ABI_VERSION_MAJOR));
    }
    Migration migration;
    const std::string track = required_text(raw->track, fmt::format("migration #{} track", index));
    if (!is_valid_track_name(track)) throw InvalidDescriptor(fmt::format("invalid track name '{}'", track));
    if (raw->reserved0 != 0) {
        // Checked so that a later ABI version can give the field a meaning.
        throw InvalidDescriptor(fmt::format("migration #{} of track {} has reserved0 != 0", index, track));
    }
    if (raw->version <= 0) {
        throw InvalidDescriptor(fmt::format("migration of track {} has version {} (must be > 0)", track, raw->version));
    }
    migration.ref = VersionRef{track, raw->version};
    migration.name = required_text(raw->name, migration.ref.to_string() + " name");
    if (raw->upgrade == nullptr) throw InvalidDescriptor(migration.ref.to_string() + " has no upgrade function");
    if (raw->requirement_count > 0 && raw->requirements == nullptr) {
        throw InvalidDescriptor(migration.ref.to_string() + " has requirement_count > 0 but no requirements");
    }
    for (std::uint32_t i = 0; i < raw->requirement_count; ++i) {
        const char* text = raw->requirements[i];
        auto requirement = text ? parse_version_ref(text, 1) : std::nullopt;
        if (!requirement) {
            throw InvalidDescriptor(fmt::format("{} has a malformed requirement '{}' (expected track@version)",
                                                migration.ref.to_string(), text ? text : "(null)"));
        }
        migration.requirements.push_back(std::move(*requirement));
    }
    migration.upgrade = raw->upgrade;
    migration.downgrade = raw->downgrade;
    migration.irreversible = raw->downgrade == nullptr || (raw->flags & MH_MIGRATION_IRREVERSIBLE) != 0;
    if (raw->downgrade_refusal != nullptr) migration.downgrade_refusal = raw->downgrade_refusal;
    if (MH_STRUCT_HAS(raw, mh_migration, checksum) && raw->checksum != nullptr) migration.checksum = raw->checksum;
    migration.plugin = plugin;
    return migration;
}

PluginOrReason load_plugin(const std::filesystem::path& path) {
    boost::dll::shared_library library;
    try {
        // RTLD_LOCAL keeps one plugin's symbols from satisfying another's.
        library.load(path, boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local);
    } catch (const boost::dll::fs::system_error& error) {
        return fmt::format("cannot load: {}", error.what());
    }
    if (!library.has(MH_PLUGIN_ENTRY_SYMBOL)) {
        return fmt::format("not a migration-host plugin: no exported symbol {}", MH_PLUGIN_ENTRY_SYMBOL);
    }
    auto& entry = library.get<std::remove_pointer_t<mh_plugin_entry_fn>>(MH_PLUGIN_ENTRY_SYMBOL);
    const mh_plugin_descriptor* descriptor = entry(MH_ABI_VERSION_MAJOR, MH_ABI_VERSION_MINOR);
    if (descriptor == nullptr) {
        return fmt::format("the plugin refused this host's ABI {}.{}", MH_ABI_VERSION_MAJOR, MH_ABI_VERSION_MINOR);
    }
    if (descriptor->struct_size < sizeof(std::uint32_t) * 2 || descriptor->magic != MH_PLUGIN_MAGIC) {
        return "the entry function returned something that is not a plugin descriptor (bad magic)";
    }
    if (descriptor->struct_size < sizeof(std::uint32_t) * 4 || descriptor->abi_major != MH_ABI_VERSION_MAJOR) {
        const auto major = descriptor->struct_size >= sizeof(std::uint32_t) * 4 ? descriptor->abi_major : 0U;
        const auto minor = descriptor->struct_size >= sizeof(std::uint32_t) * 4 ? descriptor->abi_minor : 0U;
        return fmt::format("incompatible ABI: plugin built for {}.{}, this host speaks {}.{}", major, minor,
                           MH_ABI_VERSION_MAJOR, MH_ABI_VERSION_MINOR);
    }
    if (!MH_STRUCT_HAS(descriptor, mh_plugin_descriptor, migration_count)) {
        return fmt::format("descriptor too small ({} bytes) for ABI {}.0", descriptor->struct_size,
                           MH_ABI_VERSION_MAJOR);
    }
    try {
        return std::make_unique<LoadedPlugin>(std::move(library), path, descriptor);
    } catch (const InvalidDescriptor& error) {
        return fmt::format("invalid descriptor: {}", error.what());
    }
}

std::vector<std::filesystem::path> libraries_in(const std::filesystem::path& directory, std::string& problem) {
    std::vector<std::filesystem::path> libraries;
    std::error_code error;
    if (!std::filesystem::is_directory(directory, error)) {
        problem = "plugin directory does not exist";
        return libraries;
    }
    std::filesystem::directory_iterator it(directory, error);
    if (error) {
        problem = "cannot list plugin directory: " + error.message();
        return libraries;
    }
    for (const auto& entry : it) {
        if (entry.path().extension() == ".so" && entry.is_regular_file(error)) libraries.push_back(entry.path());
    }
    std::sort(libraries.begin(), libraries.end());
    return libraries;
}

}  // namespace

LoadedPlugin::LoadedPlugin(boost::dll::shared_library library, std::filesystem::path path,
                           const mh_plugin_descriptor* descriptor)
    : library_(std::move(library)),
      path_(std::move(path)),
      id_(required_text(descriptor->id, "plugin id")),
      name_(required_text(descriptor->name, "plugin name")),
      version_(required_text(descriptor->version, "plugin version")),
      description_(descriptor->description ? descriptor->description : ""),
      abi_major_(descriptor->abi_major),
      abi_minor_(descriptor->abi_minor) {
    if (!is_valid_track_name(id_)) throw InvalidDescriptor(fmt::format("invalid plugin id '{}'", id_));
    if (descriptor->reserved0 != 0) throw InvalidDescriptor("reserved0 != 0");
    if (descriptor->migration_count > 0 && descriptor->migrations == nullptr) {
        throw InvalidDescriptor("migration_count > 0 but no migrations");
    }
    std::set<VersionRef> seen;
    for (std::uint32_t i = 0; i < descriptor->migration_count; ++i) {
        Migration migration = read_migration(descriptor->migrations[i], i, this);
        if (!seen.insert(migration.ref).second) {
            throw InvalidDescriptor(fmt::format("{} is listed twice", migration.ref.to_string()));
        }
        migrations_.push_back(std::move(migration));
    }
}

Discovery discover_plugins(const std::vector<std::filesystem::path>& directories) {
    Discovery discovery;
    std::set<std::filesystem::path> loaded;  // the same library reached twice is loaded once
    for (const auto& directory : directories) {
        std::string problem;
        const auto libraries = libraries_in(directory, problem);
        if (!problem.empty()) discovery.problems.push_back({directory, problem});
        for (const auto& library : libraries) {
            std::error_code error;
            auto canonical = std::filesystem::canonical(library, error);
            if (error) canonical = library;
            if (!loaded.insert(canonical).second) continue;
            auto result = load_plugin(canonical);
            if (auto* reason = std::get_if<std::string>(&result)) {
                discovery.problems.push_back({canonical, std::move(*reason)});
            } else {
                discovery.plugins.push_back(std::move(std::get<std::unique_ptr<LoadedPlugin>>(result)));
            }
        }
    }
    return discovery;
}

}  // namespace migration_host
