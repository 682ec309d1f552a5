// The bash and zsh completion scripts, rendered from the command table and the options --help describes.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>

namespace migration_host {

// Each completes the listed commands, their options and those options' values (the words the parser checks, files,
// directories), each command's arguments as its usage names them, and asks `migration-host __complete` for what only
// the configuration file and the plugins know: target names, tracks, TRACK@VERSION. The bash one needs no
// bash-completion package; the zsh one is an autoloadable #compdef file that can also be sourced after compinit.
std::string bash_completion_script();
std::string zsh_completion_script();

}  // namespace migration_host
