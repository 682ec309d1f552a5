// Plugin discovery with real libraries: the real plugin loads; non-plugins, wrong ABIs, bad files and insecure paths
// SPDX-License-Identifier: Apache-2.0
// are refused by name.
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "command_line/config.hpp"
#include "engine/planner.hpp"
#include "exit_codes.hpp"
#include "host_process.hpp"
#include "plugins/plugin_loader.hpp"
#include "plugins/plugin_trust.hpp"
#include "test_database.hpp"

#ifndef TEST_PLUGIN_ROOT
#error "TEST_PLUGIN_ROOT must be defined by the build"
#endif

using namespace migration_host;
namespace fs = std::filesystem;

TEST_CASE("the cinder_initial library is discovered with its migration", "[loader]") {
    const auto discovery = discover_plugins({CINDER_PLUGIN_DIR});
    CHECK(discovery.problems.empty());
    REQUIRE(discovery.plugins.size() == 1);
    const auto& plugin = *discovery.plugins.front();
    CHECK(plugin.id() == "cinder_initial");
    CHECK(plugin.path() == fs::canonical(CINDER_PLUGIN_FILE));
    REQUIRE(plugin.migrations().size() == 1);
    CHECK(plugin.migrations().front().ref == VersionRef{"cinder", 1});
    CHECK(plugin.migrations().front().irreversible);
    const auto catalog = Catalog::build(discovery.plugins);
    CHECK(catalog.latest("cinder") == 1);
}

TEST_CASE("a library without the entry symbol is reported with its path and not used", "[loader]") {
    const auto discovery = discover_plugins({fs::path(TEST_PLUGIN_ROOT) / "not_a_plugin"});
    CHECK(discovery.plugins.empty());
    REQUIRE(discovery.problems.size() == 1);
    CHECK(discovery.problems.front().path.filename() == "not_a_plugin.so");
    CHECK(discovery.problems.front().reason.find("no exported symbol migration_host_plugin_entry") !=
          std::string::npos);
}

TEST_CASE("a plugin built for another ABI major version is refused", "[loader]") {
    const auto discovery = discover_plugins({fs::path(TEST_PLUGIN_ROOT) / "wrong_abi"});
    CHECK(discovery.plugins.empty());
    REQUIRE(discovery.problems.size() == 1);
    CHECK(discovery.problems.front().reason.find("incompatible ABI: plugin built for 2.0") != std::string::npos);
}

TEST_CASE("a file that is not a shared library, and a missing directory, are problems", "[loader]") {
    const fs::path dir = test_support::make_temp_dir("mh-loader");
    std::ofstream(dir / "garbage.so") << "this is not ELF";
    const auto discovery = discover_plugins({dir, dir / "missing"});
    fs::remove_all(dir);
    CHECK(discovery.plugins.empty());
    REQUIRE(discovery.problems.size() == 2);
    CHECK(discovery.problems[0].reason.find("cannot load") != std::string::npos);
    CHECK(discovery.problems[1].reason == "plugin directory does not exist");
}

TEST_CASE("two libraries with the same plugin id make the catalog fail with both paths", "[loader]") {
    const fs::path first = test_support::make_temp_dir("mh-dup");
    const fs::path second = test_support::make_temp_dir("mh-dup");
    fs::copy_file(CINDER_PLUGIN_FILE, first / "cinder_initial.so");
    fs::copy_file(CINDER_PLUGIN_FILE, second / "cinder_copy.so");
    {
        const auto discovery = discover_plugins({first, second});
        REQUIRE(discovery.plugins.size() == 2);
        try {
            Catalog::build(discovery.plugins);
            FAIL("duplicate plugin ids were accepted");
        } catch (const HostError& error) {
            CHECK(error.code() == ExitCode::plugin_error);
            CHECK(std::string(error.what()).find("cinder_copy.so") != std::string::npos);
        }
    }
    fs::remove_all(first);
    fs::remove_all(second);
}

namespace {

// What the host says when an entry function returns NULL: it names the host's own ABI version.
std::string host_abi_refusal() {
    return "the plugin refused this host's ABI " + std::to_string(MH_ABI_VERSION_MAJOR) + "." +
           std::to_string(MH_ABI_VERSION_MINOR);
}

const uid_t nobody = 65534;

// A fresh directory under the temporary directory (mode 0700, ours), removed at the end.
struct ScratchDir {
    fs::path root = test_support::make_temp_dir("mh-plugins");
    ScratchDir() = default;
    ScratchDir(const ScratchDir&) = delete;
    ScratchDir& operator=(const ScratchDir&) = delete;
    ~ScratchDir() {
        std::error_code ignored;
        fs::remove_all(root, ignored);
    }
    // A copy of cinder_initial.so in `dir` (created 0755 as needed).
    fs::path plugin_in(const fs::path& dir) const {
        fs::create_directories(dir);
        fs::permissions(dir, fs::perms(0755));
        fs::copy_file(CINDER_PLUGIN_FILE, dir / "cinder_initial.so");
        fs::permissions(dir / "cinder_initial.so", fs::perms(0755));
        return dir / "cinder_initial.so";
    }
};

void set_mode(const fs::path& path, unsigned mode) {
    REQUIRE(::chmod(path.c_str(), mode) == 0);
}

// Changing an owner needs root, as the suite runs in CI.
bool give_to(const fs::path& path, uid_t user) {
    if (::lchown(path.c_str(), user, static_cast<gid_t>(-1)) == 0) return true;
    WARN("cannot chown " << path << " to uid " << user << " (not root?): case not checked");
    return false;
}

std::string problem_of(const fs::path& library, uid_t user = ::geteuid(), const fs::path& host = {}) {
    const TrustVerdict verdict = check_plugin_trust(library, user, host);
    return verdict.problem.value_or("");
}

}  // namespace

TEST_CASE("entries named *.so that cannot be libraries are listed with their reason", "[loader]") {
    const ScratchDir scratch;
    const fs::path dir = scratch.root / "plugins";
    scratch.plugin_in(dir);
    fs::create_symlink(dir / "missing.so", dir / "dangling.so");
    fs::create_symlink(dir / "loop_b.so", dir / "loop_a.so");
    fs::create_symlink(dir / "loop_a.so", dir / "loop_b.so");
    fs::create_directory(dir / "directory.so");
    REQUIRE(::mkfifo((dir / "fifo.so").c_str(), 0644) == 0);  // opening it to load it would block for ever
    fs::create_symlink(dir / "cinder_initial.so", dir / "link_to_library.so");  // usable, loaded once

    const auto discovery = discover_plugins({dir});
    REQUIRE(discovery.plugins.size() == 1);
    CHECK(discovery.plugins.front()->id() == "cinder_initial");
    std::map<std::string, std::string> reasons;
    for (const auto& problem : discovery.problems) reasons[problem.path.filename().string()] = problem.reason;
    CHECK(reasons.size() == 5);
    CHECK(reasons["dangling.so"] ==
          "dangling symbolic link (to " + (dir / "missing.so").string() + ", which does not exist)");
    CHECK(reasons["loop_a.so"] == "symbolic link loop (too many levels of links)");
    CHECK(reasons["loop_b.so"] == "symbolic link loop (too many levels of links)");
    CHECK(reasons["directory.so"] == "a directory, not a library");
    CHECK(reasons["fifo.so"] == "a FIFO, not a library");
}

TEST_CASE("a plugin path holding only a dangling link is an unusable library and not 'no plugins'", "[loader][cli]") {
    const ScratchDir scratch;
    fs::create_directory(scratch.root / "plugins");
    fs::create_symlink(scratch.root / "gone.so", scratch.root / "plugins" / "gone.so");
    const auto listing = test_support::run_host(
        {"--no-default-plugins", "--plugin-path", (scratch.root / "plugins").string(), "plugins"});
    INFO(listing.all());
    CHECK(listing.exit_code == 4);
    CHECK(listing.out.find("unusable: " + (scratch.root / "plugins" / "gone.so").string() +
                           ": dangling symbolic link") != std::string::npos);
    const auto skipped =
        test_support::run_host({"--no-default-plugins", "--plugin-path", (scratch.root / "plugins").string(),
                                "--skip-broken-plugins", "plugins"});
    INFO(skipped.all());
    CHECK(skipped.exit_code == 0);
}

TEST_CASE("a library the running user cannot read is listed as such", "[loader][cli]") {
    if (::geteuid() != 0) {
        WARN("needs root to run the host as another user: not checked");
        return;
    }
    // Everything the other user runs is copied where it can reach it, whatever the checkout's permissions.
    const ScratchDir scratch;
    set_mode(scratch.root, 0755);
    fs::create_directories(scratch.root / "bin");
    fs::copy_file(MIGRATION_HOST_EXECUTABLE, scratch.root / "bin" / "migration-host");
    const fs::path library = scratch.plugin_in(scratch.root / "plugins");
    fs::copy_file(library, scratch.root / "plugins" / "unreadable.so");
    set_mode(scratch.root / "plugins" / "unreadable.so", 0000);
    const auto listing = test_support::run_process(
        {"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
         (scratch.root / "bin" / "migration-host").string(), "--no-default-plugins", "--plugin-path",
         (scratch.root / "plugins").string(), "plugins"},
        // The sanitizers' suppression files may lie where that user cannot read them.
        {{"MIGRATION_HOST_PLUGIN_PATH", ""}, {"ASAN_OPTIONS", "detect_leaks=0"}, {"LSAN_OPTIONS", ""}});
    INFO(listing.all());
    CHECK(listing.exit_code == 4);
    CHECK(listing.out.find("cinder_initial 1.0.0") != std::string::npos);  // root's library is trusted by others
    CHECK(listing.out.find("unreadable.so: not readable by the user running the host (Permission denied)") !=
          std::string::npos);
}

TEST_CASE("plugin files and directories others can change are refused and the culprit named", "[loader][trust]") {
    const ScratchDir scratch;
    const fs::path library = scratch.plugin_in(scratch.root / "a" / "b");
    CHECK(problem_of(library).empty());

    set_mode(library, 0666);
    CHECK(problem_of(library) == "file " + library.string() + " is writable by everyone (mode 0666)");
    set_mode(library, 0775);
    CHECK(problem_of(library) == "file " + library.string() + " is writable by group 0 (root) (mode 0775)");
    set_mode(library, 0755);

    set_mode(scratch.root / "a", 0777);  // two levels up: nearer ones are fine
    CHECK(problem_of(library) == "directory " + (scratch.root / "a").string() + " is writable by everyone (mode 0777)");
    set_mode(scratch.root / "a", 0755);
    set_mode(scratch.root / "a" / "b", 0770);
    CHECK(problem_of(library) ==
          "directory " + (scratch.root / "a" / "b").string() + " is writable by group 0 (root) (mode 0770)");
    set_mode(scratch.root / "a" / "b", 0755);

    if (give_to(library, nobody)) {
        CHECK(problem_of(library) == "file " + library.string() +
                                         " is owned by uid 65534 (nobody), neither root nor the user running the "
                                         "host (uid 0 (root))");
        // Another user running the host may load its own files; root's are trusted by everyone.
        CHECK(problem_of(library, nobody).empty());
        give_to(library, 0);
        CHECK(problem_of(library, nobody).empty());
    }
    if (give_to(scratch.root / "a", nobody)) {
        CHECK(problem_of(library).find("directory " + (scratch.root / "a").string() + " is owned by uid 65534") == 0);
    }
}

TEST_CASE("a sticky directory such as /tmp is safe for entries owned by root or the user", "[loader][trust]") {
    const ScratchDir scratch;
    const fs::path shared = scratch.root / "shared";
    const fs::path library = scratch.plugin_in(shared);
    set_mode(shared, 01777);
    CHECK(problem_of(library).empty());
    if (give_to(library, nobody)) {
        CHECK(problem_of(library).find("file " + library.string() + " is owned by uid 65534 (nobody)") == 0);
        give_to(library, 0);
    }
    // A link in a sticky directory can be replaced by its owner.
    fs::create_symlink(library, shared / "link.so");
    CHECK(problem_of(shared / "link.so").empty());
    if (give_to(shared / "link.so", nobody)) {
        CHECK(problem_of(shared / "link.so")
                  .find("symbolic link " + (shared / "link.so").string() + " is owned by uid 65534") == 0);
    }
}

TEST_CASE("through a symbolic link, both the link's directories and the target's are checked", "[loader][trust]") {
    const ScratchDir scratch;
    const fs::path library = scratch.plugin_in(scratch.root / "real");
    fs::create_directory(scratch.root / "links");
    fs::create_symlink(library, scratch.root / "links" / "cinder.so");
    // A relative link, through a directory link, as packaging tends to do.
    fs::create_symlink("real", scratch.root / "alias");
    fs::create_symlink("../alias/cinder_initial.so", scratch.root / "links" / "relative.so");

    TrustVerdict verdict = check_plugin_trust(scratch.root / "links" / "cinder.so", ::geteuid(), {});
    CHECK_FALSE(verdict.problem);
    CHECK(verdict.resolved == library);
    verdict = check_plugin_trust(scratch.root / "links" / "relative.so", ::geteuid(), {});
    CHECK_FALSE(verdict.problem);
    CHECK(verdict.resolved == library);

    set_mode(scratch.root / "real", 0777);
    CHECK(problem_of(scratch.root / "links" / "cinder.so") ==
          "directory " + (scratch.root / "real").string() + " is writable by everyone (mode 0777)");
    CHECK(problem_of(scratch.root / "links" / "relative.so") ==
          "directory " + (scratch.root / "real").string() + " is writable by everyone (mode 0777)");
    set_mode(scratch.root / "real", 0755);
    set_mode(scratch.root / "links", 0777);
    CHECK(problem_of(scratch.root / "links" / "cinder.so") ==
          "directory " + (scratch.root / "links").string() + " is writable by everyone (mode 0777)");
}

TEST_CASE("a plugin no easier to change than the host executable itself is accepted", "[loader][trust]") {
    // A build tree owned by another account, say: refusing its plugins would protect nothing.
    const ScratchDir scratch;
    const fs::path tree = scratch.root / "tree";
    const fs::path library = scratch.plugin_in(tree / "plugins");
    fs::create_directories(tree / "bin");
    std::ofstream(tree / "bin" / "migration-host") << "stand-in";
    fs::create_directories(scratch.root / "elsewhere");
    std::ofstream(scratch.root / "elsewhere" / "migration-host") << "stand-in";
    const fs::path host_in_tree = tree / "bin" / "migration-host";
    const fs::path host_elsewhere = scratch.root / "elsewhere" / "migration-host";
    set_mode(tree, 0775);
    CHECK(problem_of(library, ::geteuid(), host_in_tree).empty());
    CHECK(problem_of(library, ::geteuid(), host_elsewhere) ==
          "directory " + tree.string() + " is writable by group 0 (root) (mode 0775)");
    if (give_to(tree, nobody)) {
        CHECK(problem_of(library, ::geteuid(), host_in_tree).empty());
        CHECK(problem_of(library, ::geteuid(), host_elsewhere).find("is owned by uid 65534") != std::string::npos);
    }
}

TEST_CASE("the host refuses an insecure plugin with exit 4 unless told to allow it", "[loader][trust][cli][sqlite]") {
    const ScratchDir scratch;
    const fs::path dir = scratch.root / "open";
    scratch.plugin_in(dir);
    set_mode(dir, 0777);
    const auto db = test_support::TestDatabase::create(test_support::Backend::sqlite);
    const std::vector<std::string> common{"--dsn", db->connection_string(), "--no-default-plugins", "--plugin-path",
                                          dir.string()};

    auto arguments = common;
    arguments.push_back("upgrade");
    const auto refused = test_support::run_host(arguments);
    INFO(refused.all());
    CHECK(refused.exit_code == 4);
    CHECK(refused.err == "migration-host: error: unusable plugin library: " + (dir / "cinder_initial.so").string() +
                             ": refused as insecure: directory " + dir.string() +
                             " is writable by everyone (mode 0777) (--allow-insecure-plugins loads it anyway)\n");
    CHECK_FALSE(db->version_of("cinder").has_value());

    arguments.insert(arguments.end() - 1, "--allow-insecure-plugins");
    const auto allowed = test_support::run_host(arguments);
    INFO(allowed.all());
    CHECK(allowed.exit_code == 0);
    CHECK(allowed.err.find("warning loading " + (dir / "cinder_initial.so").string() +
                           " although it is insecure: directory " + dir.string() + " is writable by everyone") !=
          std::string::npos);
    CHECK(db->version_of("cinder") == 1);
}

TEST_CASE("a relative plugin path is checked from the current directory up", "[loader][trust][cli]") {
    const ScratchDir scratch;
    scratch.plugin_in(scratch.root / "plugins");
    test_support::HostRun run;
    run.arguments = {"--no-default-plugins", "--plugin-path", "plugins", "plugins"};
    run.working_directory = scratch.root.string();
    const auto listed = test_support::run_host(run);
    INFO(listed.all());
    CHECK(listed.exit_code == 0);
    CHECK(listed.out.find("cinder_initial 1.0.0") != std::string::npos);
    set_mode(scratch.root, 0777);
    const auto refused = test_support::run_host(run);
    INFO(refused.all());
    CHECK(refused.exit_code == 4);
    CHECK(refused.out.find("refused as insecure: directory " + scratch.root.string() + " is writable by everyone") !=
          std::string::npos);
}

TEST_CASE("plugins are never loaded from the current directory unless a path says so", "[loader][cli]") {
    CHECK(default_plugin_dir().is_absolute());
    const ScratchDir scratch;
    scratch.plugin_in(scratch.root);
    fs::rename(scratch.root / "cinder_initial.so", scratch.root / "here.so");
    test_support::HostRun run;
    run.arguments = {"plugins"};
    run.working_directory = scratch.root.string();
    // Empty entries in a search path mean the current directory to a shell; not here.
    for (const std::string path : {"", ":", "::"}) {
        INFO("MIGRATION_HOST_PLUGIN_PATH='" << path << "'");
        run.environment["MIGRATION_HOST_PLUGIN_PATH"] = path;
        const auto listed = test_support::run_host(run);
        INFO(listed.all());
        CHECK(listed.exit_code == 0);
        CHECK(listed.all().find("here.so") == std::string::npos);
        CHECK(listed.out.find("library: " + fs::canonical(DEFAULT_PLUGIN_DIR "/cinder_initial.so").string()) !=
              std::string::npos);
    }
}

namespace {

int32_t noop_step(const mh_host_api*, mh_host_context*) {
    return MH_OK;
}

// An in-memory plugin, as a fuzzer would build one: one migration mem@1.
struct MemoryPlugin {
    mh_migration migration{
        sizeof(mh_migration), 0, "mem", 1, "001_mem", nullptr, 0, 0, noop_step, nullptr, nullptr, nullptr};
    const mh_migration* migrations[1] = {&migration};
    mh_plugin_descriptor descriptor{sizeof(mh_plugin_descriptor),
                                    MH_PLUGIN_MAGIC,
                                    MH_ABI_VERSION_MAJOR,
                                    MH_ABI_VERSION_MINOR,
                                    "mem",
                                    "In memory",
                                    "1.0.0",
                                    nullptr,
                                    migrations,
                                    1,
                                    0};
    MemoryPlugin() = default;
    MemoryPlugin(const MemoryPlugin&) = delete;
    MemoryPlugin& operator=(const MemoryPlugin&) = delete;

    std::string reason() const {
        const auto result = validate_descriptor(&descriptor, "/nowhere/mem.so");
        const auto* text = std::get_if<std::string>(&result);
        return text ? *text : "";
    }
};

}  // namespace

TEST_CASE("validate_descriptor checks a descriptor in memory without loading anything", "[loader][descriptor]") {
    MemoryPlugin memory;
    const auto valid = validate_descriptor(&memory.descriptor, "/nowhere/mem.so");
    REQUIRE(std::holds_alternative<std::unique_ptr<LoadedPlugin>>(valid));
    const auto& plugin = *std::get<std::unique_ptr<LoadedPlugin>>(valid);
    CHECK(plugin.id() == "mem");
    CHECK(plugin.path() == "/nowhere/mem.so");
    REQUIRE(plugin.migrations().size() == 1);
    CHECK(plugin.migrations().front().label() == "mem@1 (001_mem)");
    CHECK(plugin.migrations().front().plugin == &plugin);
    CHECK(plugin.migrations().front().irreversible);

    CHECK(validate_descriptor(nullptr, "/nowhere/mem.so") == PluginOrReason(host_abi_refusal()));
}

TEST_CASE("validate_descriptor reads nothing beyond what the plugin declared", "[loader][descriptor]") {
    SECTION("a text without its NUL is read up to its limit only") {
        MemoryPlugin memory;
        const std::vector<char> unterminated(descriptor_limits::max_name_bytes + 1, 'a');
        memory.descriptor.name = unterminated.data();
        CHECK(memory.reason() == "invalid descriptor: plugin name is longer than 250 bytes");
        const std::vector<char> long_track(300, 'a');
        memory.descriptor.name = "In memory";
        memory.migration.track = long_track.data();
        CHECK(memory.reason().find("invalid migration #0 track 'aaaa") != std::string::npos);
    }
    SECTION("an ABI 1.0 migration's checksum slot is not read") {
        MemoryPlugin memory;
        memory.migration.struct_size = offsetof(mh_migration, checksum);
        memory.migration.checksum = reinterpret_cast<const char*>(1);  // would crash if read
        const auto result = validate_descriptor(&memory.descriptor, "/nowhere/mem.so");
        REQUIRE(std::holds_alternative<std::unique_ptr<LoadedPlugin>>(result));
        CHECK(std::get<std::unique_ptr<LoadedPlugin>>(result)->migrations().front().checksum.empty());
    }
    SECTION("a descriptor too small for its magic number is not read further") {
        MemoryPlugin memory;
        memory.descriptor.struct_size = 4;
        memory.descriptor.id = reinterpret_cast<const char*>(1);
        CHECK(memory.reason() == "the descriptor is too small (4 bytes) to be one");
    }
}

TEST_CASE("validate_descriptor refuses counts, requirements and texts out of bounds", "[loader][descriptor]") {
    MemoryPlugin memory;
    memory.descriptor.migration_count = descriptor_limits::max_migrations + 1;
    CHECK(memory.reason() == "invalid descriptor: 10001 migrations (at most 10000)");
    memory.descriptor.migration_count = 1;

    const char* const requirements[] = {"cinder@1", "cinder@0"};
    memory.migration.requirements = requirements;
    memory.migration.requirement_count = 1;
    CHECK(memory.reason().empty());
    memory.migration.requirement_count = 2;
    CHECK(memory.reason() ==
          "invalid descriptor: mem@1 has a malformed requirement 'cinder@0' (expected track@version)");
    const char* const overflowing[] = {"cinder@99999999999999999999"};
    memory.migration.requirements = overflowing;
    memory.migration.requirement_count = 1;
    CHECK(memory.reason().find("malformed requirement 'cinder@99999999999999999999'") != std::string::npos);
    memory.migration.requirement_count = descriptor_limits::max_requirements + 1;
    CHECK(memory.reason() == "invalid descriptor: mem@1 has 1001 requirements (at most 1000)");
    memory.migration.requirement_count = 0;

    // Valid UTF-8 is fine; overlong forms, surrogates and C1 controls are not.
    memory.descriptor.description = "Déjà vu, 移行, 🚀";
    CHECK(memory.reason().empty());
    for (const char* bad : {"\xc0\xaf", "\xed\xa0\x80", "\xc2\x9b", "tab\there", "\xf4\x90\x80\x80", "cut \xe2\x82"}) {
        INFO(bad);
        memory.descriptor.description = bad;
        CHECK(memory.reason().find("plugin description '") != std::string::npos);
    }
}
