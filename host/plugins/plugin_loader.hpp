// Discovers plugin libraries with Boost.DLL and validates what they offer against the C ABI.
#pragma once

#include <migration_host/plugin.h>

#include <boost/dll/shared_library.hpp>

#include <filesystem>
#include <memory>
#include <string>
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
    std::string downgrade_refusal;
    std::string checksum;  // the plugin's own (ABI >= 1.1), or empty
    mh_step_fn upgrade = nullptr;
    mh_step_fn downgrade = nullptr;
    const LoadedPlugin* plugin = nullptr;

    // "cinder@1 (001_cinder_init)"
    std::string label() const { return ref.to_string() + " (" + name + ")"; }
};

// A loaded, validated plugin library. Unloads the library on destruction:
// nothing taken from it may outlive this object.
class LoadedPlugin {
public:
    LoadedPlugin(boost::dll::shared_library library, std::filesystem::path path,
                 const mh_plugin_descriptor* descriptor);
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

private:
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

// Loads every shared library (regular files and links to them, named *.so)
// directly inside each directory, in file-name order. A missing directory is
// a problem too: a typo in --plugin-path must not look like "no migrations".
Discovery discover_plugins(const std::vector<std::filesystem::path>& directories);

}  // namespace migration_host
