// Decides if a plugin or settings file may be used: nobody but root and the running user can change it or its path.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <set>
#include <string>

namespace migration_host {

// Who can change what a path leads to: the owners of the file and of every
// directory on its path, the groups that may write to them, or everyone. A
// sticky directory (such as /tmp) lets only its own owner and each entry's
// owner replace that entry, whatever its write permissions.
struct Changers {
    std::set<uid_t> users;
    std::set<gid_t> groups;
    bool everyone = false;
};

struct TrustVerdict {
    std::filesystem::path resolved;      // the file the path leads to, symbolic links resolved; empty if unresolved
    std::optional<std::string> problem;  // who else could change it, naming the file or directory; nullopt if nobody
};

// A plugin runs with the host's rights against the database, so it must be no
// easier to change than the host itself. Checks the file and every directory
// on its path up to / (made absolute from the current directory when
// relative), following each symbolic link: the directories holding the link
// and the whole chain of its target. Refuses an entry owned by someone other
// than root and `user`, or writable by its group or by others, unless the
// host executable can already be changed by the same people (a build tree
// owned by another account, say): refusing then would protect nothing.
TrustVerdict check_plugin_trust(const std::filesystem::path& library, uid_t user,
                                const std::filesystem::path& host_executable);

// The same for the running host: its effective user and its own executable.
TrustVerdict check_plugin_trust(const std::filesystem::path& library);

// The same rules for a file the host reads its settings or a password from, which steer the run as much as a
// plugin does. `opened` is the fstat of the descriptor the file is read through, so that the file checked is the
// file read, whatever happens to the path meanwhile; the directories and links on `path` are checked as a
// library's, and must still lead to that very file. Who could change what a path leads to, naming the file or
// directory, or nullopt if nobody else can.
std::optional<std::string> check_opened_file_trust(const std::filesystem::path& path, const struct stat& opened);

// Everyone who can change `path` (see Changers), or nullopt when it cannot be resolved.
std::optional<Changers> changers_of(const std::filesystem::path& path);

}  // namespace migration_host
