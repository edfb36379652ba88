// Docker's --user forms ("name", "uid", "uid:gid", "name:group", ...) resolved against a
// rootfs's /etc/passwd and /etc/group.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace corral::runtime {

struct PasswdEntry {
    std::string name;
    uint32_t uid = 0;
    uint32_t gid = 0;
    std::string home;
    std::string shell;
};

struct GroupEntry {
    std::string name;
    uint32_t gid = 0;
    std::vector<std::string> members;
};

// Parsers for the colon-separated files. Malformed lines (wrong field count, ids that are not
// numbers) are skipped, as libc does; comments ('#') and empty lines too.
std::vector<PasswdEntry> parse_passwd(std::string_view text);
std::vector<GroupEntry> parse_group(std::string_view text);

struct ResolvedUser {
    uint32_t uid = 0;
    uint32_t gid = 0;
    std::vector<uint32_t> additional_gids;  // from /etc/group membership and group_add
    std::string home = "/";                 // for HOME when the environment does not set it
};

// `user` in docker's forms; empty means root. `group_add` entries are group names or ids.
// Errors use docker's words: "unable to find user x: no matching entries in passwd file".
ErrorOr<ResolvedUser> resolve_user(std::string_view user, std::string_view passwd_text,
                                   std::string_view group_text,
                                   const std::vector<std::string>& group_add = {});
// Reads <rootfs>/etc/passwd and <rootfs>/etc/group (absent files are empty); the paths are
// resolved inside the rootfs so a symlink cannot point at the host's files.
ErrorOr<ResolvedUser> resolve_user_in_rootfs(const std::string& rootfs, std::string_view user,
                                             const std::vector<std::string>& group_add = {});

}  // namespace corral::runtime
