// How a create request and its image's defaults become the container's configuration, with
// docker's rules for Cmd/Entrypoint, Env, WorkingDir, User, labels and volumes.
#pragma once

#include <string>
#include <vector>

#include "base/error.h"
#include "engine/types.h"
#include "image/store.h"

namespace corral::engine {

// Entries of `overrides` replace the entries of `defaults` with the same key in place, new
// keys are appended; an override without "=" removes the key (as docker does with `-e KEY`
// for a variable the client does not have).
std::vector<std::string> merge_env(const std::vector<std::string>& defaults,
                                   const std::vector<std::string>& overrides);

// Merges the image's defaults into `config` (docker's rules):
//  - no user Entrypoint: the image's; no user Cmd (absent or empty): the image's, unless the
//    user set an Entrypoint (then the image's Cmd is not used);
//  - Env: the image's, overridden by the user's; Labels: the same;
//  - WorkingDir, User, StopSignal: the user's, else the image's.
// Fails (invalid_argument) when there is nothing to run or the working dir is relative.
ErrorOr<ContainerConfig> merge_config(const ContainerConfig& user, const image::ImageConfig& image);

// Entrypoint + Cmd → the program and its arguments (docker's Path and Args).
struct Command {
    std::string path;
    std::vector<std::string> args;
};
ErrorOr<Command> command_of(const ContainerConfig& merged);

// Checks the host config's mounts as docker does: absolute targets, no duplicates, bind sources
// absolute and present (unless create_source), known propagation modes.
ErrorOr<void> validate_mounts(const std::vector<MountSpec>& mounts);

// Splits "name[:ro|:rw]" of volumes_from.
struct VolumesFrom {
    std::string container;
    std::optional<bool> read_only;  // unset: as the source container has it
};
ErrorOr<VolumesFrom> parse_volumes_from(const std::string& text);

// Lexically cleans an absolute path: "//a/./b/../c/" → "/a/c".
std::string clean_path(std::string_view path);

}  // namespace corral::engine
