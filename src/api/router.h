// The API's routes as a table: (method, path pattern) → handler, with the body policy of each
// route. Patterns are "/"-separated segments; "{id}" captures one segment, "{name*}" captures
// one or more (image names contain "/": "127.0.0.1:5000/team/app:1").
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/http.h"
#include "base/error.h"

namespace corral::api {

using Handler = std::function<ErrorOr<void>(Exchange&)>;

struct RouteOptions {
    // Largest request body the route takes; larger ones get 413 before any byte is read.
    size_t body_limit = 64 << 10;
    // The handler reads the body itself (Exchange::read_body) instead of receiving it whole:
    // image load and import, whose bodies go to the store as they arrive.
    bool streamed_body = false;
};

struct Route {
    std::string method;
    std::string pattern;
    Handler handler;
    RouteOptions options;
};

class Router {
  public:
    void add(std::string method, std::string pattern, Handler handler, RouteOptions options = {});

    struct Match {
        const Route* route = nullptr;
        std::map<std::string, std::string> params;
        // No route matched, but the path is known for another method (405, not 404).
        bool other_method = false;
    };
    // HEAD falls back to the GET route of the path.
    Match match(std::string_view method, std::string_view path) const;
    const std::vector<Route>& routes() const { return routes_; }

  private:
    std::vector<Route> routes_;
};

// Splits an optional "/v1.41" prefix off a path: {"1.41", "/containers/json"}.
std::pair<std::string, std::string> split_version(std::string_view path);

// Compares dotted API versions numerically: -1, 0 or 1. Invalid versions are invalid_argument.
ErrorOr<int> compare_versions(std::string_view a, std::string_view b);

}  // namespace corral::api
