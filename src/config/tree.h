// Operations on configuration trees: the layered merge and access by dotted key.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "config/value.h"

namespace corral::config {

// Deep merge as RancherOS did it: maps merge key by key, recursively; anything else on the
// right (scalars, lists, null) replaces what is on the left. Lists are never concatenated.
Value merge(const Value& left, const Value& right);

// Splits "rancher.network.dns" on dots.
std::vector<std::string> split_key(std::string_view key);

// The node at a dotted key, or null. Keys that themselves contain dots (`eth1.100`,
// `fs.file-max`) are found too: at each level the longest run of segments naming an existing
// key wins.
const Value* lookup(const Value& root, std::string_view key);

// Sets the node at a dotted key, creating maps on the way; a scalar in the way is an error.
// `literal_tail` is how many trailing segments form one key when that key does not exist yet
// (the schema knows that `rancher.sysctl` takes free-form keys such as `net.ipv4.ip_forward`).
ErrorOr<void> assign(Value& root, std::string_view key, Value value);

// Removes the node at a dotted key; returns whether it existed.
bool remove(Value& root, std::string_view key);

// Parses a value as the command line and `ros config set` give it: YAML-typed (`true`, `42`,
// `[a,b]`, `{k: v}`), with colons and question marks kept inside plain words
// (`url:http://x/y` stays one string) and anything YAML rejects taken as a plain string.
Value parse_value_text(std::string_view text);

}  // namespace corral::config
