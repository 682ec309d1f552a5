// Decides if a plugin or settings file may be used: nobody but root and the running user can change it or its path.
// SPDX-License-Identifier: Apache-2.0
#include "plugins/plugin_trust.hpp"

#include <fmt/format.h>
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/dll/runtime_symbol_info.hpp>

#include <cerrno>
#include <cstring>
#include <deque>
#include <vector>

namespace migration_host {
namespace {

namespace fs = std::filesystem;

// Links followed before giving up, as the kernel does (MAXSYMLINKS).
constexpr int max_symbolic_links = 40;

// One file, directory or symbolic link that resolving a path went through.
struct Visited {
    fs::path path;
    struct stat status {};
    bool in_sticky_directory = false;
};

struct Resolution {
    std::vector<Visited> visited;  // in the order resolution reached them, "/" first
    fs::path resolved;
    std::string error;  // empty when resolved
};

Resolution failed(Resolution resolution, std::string error) {
    resolution.error = std::move(error);
    return resolution;
}

std::string errno_text(const fs::path& path) {
    return fmt::format("cannot check {}: {}", path.string(), std::strerror(errno));
}

// Resolves `input` one component at a time, as realpath does, recording
// every directory and link on the way with its owner and mode.
Resolution resolve(const fs::path& input) {
    Resolution resolution;
    fs::path path = input;
    if (path.is_relative()) {
        std::error_code error;
        path = fs::current_path(error) / path;
        if (error) return failed(std::move(resolution), "cannot find the current directory: " + error.message());
    }
    std::deque<std::string> pending;
    for (const auto& part : path.relative_path()) pending.push_back(part.string());
    fs::path current = "/";
    struct stat current_status {};
    if (::lstat("/", &current_status) != 0) return failed(std::move(resolution), errno_text("/"));
    resolution.visited.push_back({current, current_status, false});
    int links_followed = 0;
    while (!pending.empty()) {
        const std::string name = pending.front();
        pending.pop_front();
        if (name.empty() || name == ".") continue;
        if (name == "..") {
            current = current.parent_path();
            if (::lstat(current.c_str(), &current_status) != 0)
                return failed(std::move(resolution), errno_text(current));
            continue;
        }
        const fs::path next = current / name;
        struct stat status {};
        if (::lstat(next.c_str(), &status) != 0) return failed(std::move(resolution), errno_text(next));
        resolution.visited.push_back({next, status, (current_status.st_mode & S_ISVTX) != 0});
        if (S_ISLNK(status.st_mode)) {
            if (++links_followed > max_symbolic_links) {
                return failed(std::move(resolution),
                              fmt::format("cannot check {}: too many levels of symbolic links", input.string()));
            }
            std::error_code error;
            const fs::path target = fs::read_symlink(next, error);
            if (error)
                return failed(std::move(resolution),
                              fmt::format("cannot check {}: {}", next.string(), error.message()));
            if (target.is_absolute()) {
                current = "/";
                if (::lstat("/", &current_status) != 0) return failed(std::move(resolution), errno_text("/"));
            }
            std::vector<std::string> parts;
            for (const auto& part : target.relative_path()) parts.push_back(part.string());
            pending.insert(pending.begin(), parts.begin(), parts.end());
            continue;
        }
        if (!pending.empty() && !S_ISDIR(status.st_mode)) {
            return failed(std::move(resolution), fmt::format("cannot check {}: not a directory", next.string()));
        }
        current = next;
        current_status = status;
    }
    resolution.resolved = current;
    return resolution;
}

bool is_sticky_directory(const struct stat& status) {
    return S_ISDIR(status.st_mode) && (status.st_mode & S_ISVTX) != 0;
}

// Who can change what this one entry is: its owner (for a link, only where a
// sticky directory lets the owner replace it; elsewhere a link cannot be
// changed, only replaced through its directory), and, but for a sticky
// directory, its group and everyone as its write bits allow.
Changers changers_of(const Visited& entry) {
    Changers changers;
    const bool link = S_ISLNK(entry.status.st_mode);
    if (!link || entry.in_sticky_directory) changers.users.insert(entry.status.st_uid);
    if (link || is_sticky_directory(entry.status)) return changers;
    if ((entry.status.st_mode & S_IWGRP) != 0) changers.groups.insert(entry.status.st_gid);
    if ((entry.status.st_mode & S_IWOTH) != 0) changers.everyone = true;
    return changers;
}

std::string describe_user(uid_t uid) {
    struct passwd entry {};
    struct passwd* found = nullptr;
    char buffer[4096];
    if (getpwuid_r(uid, &entry, buffer, sizeof buffer, &found) == 0 && found != nullptr) {
        return fmt::format("uid {} ({})", uid, found->pw_name);
    }
    return fmt::format("uid {}", uid);
}

std::string describe_group(gid_t gid) {
    struct group entry {};
    struct group* found = nullptr;
    char buffer[4096];
    if (getgrgid_r(gid, &entry, buffer, sizeof buffer, &found) == 0 && found != nullptr) {
        return fmt::format("group {} ({})", gid, found->gr_name);
    }
    return fmt::format("group {}", gid);
}

std::string kind_of(const struct stat& status) {
    if (S_ISLNK(status.st_mode)) return "symbolic link";
    if (S_ISDIR(status.st_mode)) return "directory";
    return "file";
}

// Why someone other than root, `user` and those who can change the host
// anyway could change this entry; nullopt when nobody else can.
std::optional<std::string> untrusted(const Visited& entry, uid_t user, const Changers& host) {
    if (host.everyone) return std::nullopt;
    const Changers changers = changers_of(entry);
    const auto mode = static_cast<unsigned>(entry.status.st_mode & 07777);
    for (const uid_t owner : changers.users) {
        if (owner == 0 || owner == user || host.users.count(owner)) continue;
        return fmt::format("{} {} is owned by {}, neither root nor the user running the host ({})",
                           kind_of(entry.status), entry.path.string(), describe_user(owner), describe_user(user));
    }
    if (changers.everyone) {
        return fmt::format("{} {} is writable by everyone (mode {:04o})", kind_of(entry.status), entry.path.string(),
                           mode);
    }
    for (const gid_t group : changers.groups) {
        if (host.groups.count(group)) continue;
        return fmt::format("{} {} is writable by {} (mode {:04o})", kind_of(entry.status), entry.path.string(),
                           describe_group(group), mode);
    }
    return std::nullopt;
}

}  // namespace

std::optional<Changers> changers_of(const fs::path& path) {
    const Resolution resolution = resolve(path);
    if (!resolution.error.empty()) return std::nullopt;
    Changers all;
    for (const auto& entry : resolution.visited) {
        const Changers changers = changers_of(entry);
        all.users.insert(changers.users.begin(), changers.users.end());
        all.groups.insert(changers.groups.begin(), changers.groups.end());
        all.everyone = all.everyone || changers.everyone;
    }
    return all;
}

namespace {

// Why someone other than root, `user` and those who can change the host could change what `resolution` reached.
std::optional<std::string> first_untrusted(const Resolution& resolution, uid_t user, const Changers& host) {
    // From the file up: the nearest culprit is the one to name.
    for (auto entry = resolution.visited.rbegin(); entry != resolution.visited.rend(); ++entry) {
        if (auto problem = untrusted(*entry, user, host)) return problem;
    }
    return std::nullopt;
}

TrustVerdict check_against(const fs::path& library, uid_t user, const Changers& host) {
    const Resolution resolution = resolve(library);
    if (!resolution.error.empty()) return {{}, resolution.error};
    return {resolution.resolved, first_untrusted(resolution, user, host)};
}

// Who can change the host executable. When it cannot be resolved, nobody else counts as able to change the host.
Changers host_changers(const fs::path& host_executable) {
    return host_executable.empty() ? Changers{} : migration_host::changers_of(host_executable).value_or(Changers{});
}

// Who can change the running host's executable: found once, not walked up to / again per file checked.
const Changers& running_host_changers() {
    static const Changers this_host = [] {
        boost::dll::fs::error_code error;
        const fs::path host = boost::dll::program_location(error);
        return host_changers(error ? fs::path() : host);
    }();
    return this_host;
}

}  // namespace

TrustVerdict check_plugin_trust(const fs::path& library, uid_t user, const fs::path& host_executable) {
    return check_against(library, user, host_changers(host_executable));
}

TrustVerdict check_plugin_trust(const fs::path& library) {
    return check_against(library, ::geteuid(), running_host_changers());
}

std::optional<std::string> check_opened_file_trust(const fs::path& path, const struct stat& opened) {
    Resolution resolution = resolve(path);
    if (!resolution.error.empty()) return resolution.error;
    // The path's last entry is the file it leads to now; its owner and mode are taken from the opened file.
    Visited& file = resolution.visited.back();
    if (file.status.st_dev != opened.st_dev || file.status.st_ino != opened.st_ino) {
        return fmt::format("{} was replaced while it was being read", path.string());
    }
    file.status = opened;
    return first_untrusted(resolution, ::geteuid(), running_host_changers());
}

}  // namespace migration_host
