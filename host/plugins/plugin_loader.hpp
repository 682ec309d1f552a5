// Discovers plugin libraries with Boost.DLL and validates what they offer against the C ABI.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <migration_host/plugin.h>

#include <boost/dll/shared_library.hpp>

#include <filesystem>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "plugins/version_ref.hpp"

namespace migration_host {

class LoadedPlugin;

// One migration as the host sees it, copied out of the plugin's descriptor
// after validation. The function pointers stay valid while `plugin` lives.
struct Migration {
    VersionRef ref;  // track@version
    std::string name;
    std::vector<VersionRef> requirements;
    bool irreversible = false;  // no downgrade function, or flagged so
    // MH_MIGRATION_RESTARTABLE: the upgrade may be run again from its start where an earlier attempt stopped partway
    // (a dirty track is then finished by `upgrade`, without repair).
    bool upgrade_restartable = false;
    std::string downgrade_refusal;
    std::string checksum;  // the plugin's own (ABI >= 1.1), or empty
    mh_step_fn upgrade = nullptr;
    mh_step_fn downgrade = nullptr;
    const LoadedPlugin* plugin = nullptr;

    // "cinder@1 (001_cinder_init)"
    std::string label() const { return ref.to_string() + " (" + name + ")"; }
};

// A validated plugin, or why its descriptor cannot be used.
using PluginOrReason = std::variant<std::unique_ptr<LoadedPlugin>, std::string>;

// Limits on what a descriptor may hold, beyond the ABI's own rules. Texts are
// valid UTF-8 without control characters (they reach terminals and the
// history), read up to their limit and no further.
namespace descriptor_limits {
constexpr std::uint32_t max_struct_size = 4096;  // far beyond any ABI 1.x struct: a bigger one is garbage
constexpr std::uint32_t max_migrations = 10000;
constexpr std::uint32_t max_requirements = 1000;
constexpr std::size_t max_name_bytes = 250;          // plugin name, migration name
constexpr std::size_t max_version_bytes = 100;       // migration_host_history.plugin_version
constexpr std::size_t max_checksum_bytes = 100;      // migration_host_history.checksum
constexpr std::size_t max_description_bytes = 1000;  // description, downgrade_refusal
}  // namespace descriptor_limits

// Checks a descriptor as a plugin's entry function returned it, against the
// ABI and the limits above, and copies what it offers. Reads no member beyond
// the struct_size the plugin declared and no text beyond its limit. The
// result does not keep the library loaded: see LoadedPlugin::keep_loaded.
PluginOrReason validate_descriptor(const mh_plugin_descriptor* descriptor, const std::filesystem::path& path);

// A loaded, validated plugin library. Unloads the library on destruction:
// nothing taken from it may outlive this object.
class LoadedPlugin {
public:
    LoadedPlugin(const LoadedPlugin&) = delete;
    LoadedPlugin& operator=(const LoadedPlugin&) = delete;

    const std::filesystem::path& path() const noexcept { return path_; }
    const std::string& id() const noexcept { return id_; }
    const std::string& name() const noexcept { return name_; }
    const std::string& version() const noexcept { return version_; }
    const std::string& description() const noexcept { return description_; }
    std::uint32_t abi_major() const noexcept { return abi_major_; }
    std::uint32_t abi_minor() const noexcept { return abi_minor_; }
    const std::vector<Migration>& migrations() const noexcept { return migrations_; }

    // The migrations' functions and the descriptor live in `library`: it stays
    // loaded until this plugin is destroyed.
    void keep_loaded(boost::dll::shared_library library) { library_ = std::move(library); }

private:
    friend PluginOrReason validate_descriptor(const mh_plugin_descriptor*, const std::filesystem::path&);
    explicit LoadedPlugin(std::filesystem::path path) : path_(std::move(path)) {}

    boost::dll::shared_library library_;  // first member: destroyed last
    std::filesystem::path path_;
    std::string id_, name_, version_, description_;
    std::uint32_t abi_major_ = 0, abi_minor_ = 0;
    std::vector<Migration> migrations_;
};

// A library that was found but cannot be used, and why.
struct PluginProblem {
    std::filesystem::path path;
    std::string reason;
};

struct Discovery {
    std::vector<std::unique_ptr<LoadedPlugin>> plugins;  // in path order, then file name order
    std::vector<PluginProblem> problems;
};

// What to do with a library that others than root and the running user could
// change (see check_plugin_trust): refuse it (a problem), or load it with a warning.
enum class InsecurePlugins { refuse, warn };

// Loads every shared library named *.so directly inside each directory, in
// file-name order. Every such entry that cannot be one (a dangling link, a
// link loop, a directory, a FIFO...) or that fails the trust check is a
// problem; so is a missing directory: a typo in --plugin-path must not look
// like "no migrations".
Discovery discover_plugins(const std::vector<std::filesystem::path>& directories,
                           InsecurePlugins insecure = InsecurePlugins::refuse);

}  // namespace migration_host
