// The subset of Go's text/template that `inspect -f` is used with: field paths (.State.Status),
// functions json, index, join, len, lower, upper, split, title, println, and if/else/range/with
// blocks. Values are JSON documents as the daemon sent them.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/error.h"

namespace corral::cli {

using Json = nlohmann::ordered_json;

class Template {
  public:
    static ErrorOr<Template> parse(std::string_view text);
    ErrorOr<std::string> execute(const Json& data) const;

    struct Node;

  private:
    explicit Template(std::shared_ptr<const std::vector<Node>> nodes) : nodes_(std::move(nodes)) {}
    std::shared_ptr<const std::vector<Node>> nodes_;
};

// How Go prints a decoded JSON value with %v: strings bare, numbers shortest, maps as
// map[k:v] with sorted keys, arrays as [a b].
std::string format_value(const Json& value);

}  // namespace corral::cli
