// Container ids and names: random 64-hex ids, docker's name rule, generated adjective_noun
// names.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "base/error.h"

namespace corral::engine {

inline constexpr size_t max_name_length = 128;

// 64 lowercase hex digits from the kernel's random source.
std::string generate_id();
bool is_full_id(std::string_view text);
// Docker's rule: [a-zA-Z0-9][a-zA-Z0-9_.-]+ (so at least two characters), here also at most
// max_name_length. A leading "/" is accepted and not part of the name.
ErrorOr<std::string> validate_name(std::string_view name);
// "adjective_noun", with a number appended when `taken` says the plain name is in use.
std::string generate_name(const std::function<bool(const std::string&)>& taken);

}  // namespace corral::engine
