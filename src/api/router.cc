#include "api/router.h"

#include <charconv>

#include "api/query.h"

namespace corral::api {

namespace {

std::vector<std::string_view> split_segments(std::string_view path) {
    std::vector<std::string_view> segments;
    size_t start = 0;
    while (start <= path.size()) {
        size_t slash = path.find('/', start);
        if (slash == std::string_view::npos)
            slash = path.size();
        if (slash > start)
            segments.push_back(path.substr(start, slash - start));
        start = slash + 1;
    }
    return segments;
}

std::string join_segments(const std::vector<std::string_view>& segments, size_t from, size_t to) {
    std::string joined;
    for (size_t i = from; i < to; ++i) {
        if (i > from)
            joined += '/';
        joined += segments[i];
    }
    return joined;
}

// Matches pattern segments [p...] against path segments [s...]; a "{name*}" segment takes one
// or more path segments, the fewest that let the rest match (so "/images/a/b/json" gives
// name "a/b" for "/images/{name*}/json").
bool match_segments(const std::vector<std::string_view>& pattern, size_t p,
                    const std::vector<std::string_view>& path, size_t s,
                    std::map<std::string, std::string>& params) {
    if (p == pattern.size())
        return s == path.size();
    if (s == path.size())
        return false;
    std::string_view segment = pattern[p];
    bool capture = segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
    if (!capture) {
        if (segment != path[s])
            return false;
        return match_segments(pattern, p + 1, path, s + 1, params);
    }
    std::string_view name = segment.substr(1, segment.size() - 2);
    bool greedy = name.back() == '*';
    if (!greedy) {
        params[std::string(name)] = std::string(path[s]);
        return match_segments(pattern, p + 1, path, s + 1, params);
    }
    name.remove_suffix(1);
    for (size_t end = s + 1; end <= path.size(); ++end) {
        if (match_segments(pattern, p + 1, path, end, params)) {
            params[std::string(name)] = join_segments(path, s, end);
            return true;
        }
    }
    return false;
}

}  // namespace

void Router::add(std::string method, std::string pattern, Handler handler, RouteOptions options) {
    routes_.push_back(
        Route{std::move(method), std::move(pattern), std::move(handler), std::move(options)});
}

Router::Match Router::match(std::string_view method, std::string_view path) const {
    auto segments = split_segments(path);
    Match result;
    const Route* get_route = nullptr;
    std::map<std::string, std::string> get_params;
    for (const auto& route : routes_) {
        std::map<std::string, std::string> params;
        auto pattern = split_segments(route.pattern);
        if (!match_segments(pattern, 0, segments, 0, params))
            continue;
        if (route.method == method) {
            result.route = &route;
            result.params = std::move(params);
            return result;
        }
        if (method == "HEAD" && route.method == "GET" && !get_route) {
            get_route = &route;
            get_params = std::move(params);
        }
        result.other_method = true;
    }
    if (get_route) {
        result.route = get_route;
        result.params = std::move(get_params);
        result.other_method = false;
    }
    return result;
}

std::pair<std::string, std::string> split_version(std::string_view path) {
    // "/v1.41/..." or "/v1.41" alone.
    if (path.size() < 3 || path.substr(0, 2) != "/v")
        return {"", std::string(path)};
    size_t end = path.find('/', 2);
    std::string_view version = path.substr(2, end == std::string_view::npos ? end : end - 2);
    bool looks_like_version = !version.empty() && version.find('.') != std::string_view::npos;
    for (char c : version) {
        if (!(c == '.' || (c >= '0' && c <= '9')))
            looks_like_version = false;
    }
    if (!looks_like_version)
        return {"", std::string(path)};
    std::string rest = end == std::string_view::npos ? "/" : std::string(path.substr(end));
    return {std::string(version), rest};
}

ErrorOr<int> compare_versions(std::string_view a, std::string_view b) {
    auto parts = [](std::string_view text) -> ErrorOr<std::vector<int>> {
        std::vector<int> numbers;
        size_t start = 0;
        while (true) {
            size_t dot = text.find('.', start);
            std::string_view part = text.substr(
                start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
            int value = 0;
            auto [end, error] = std::from_chars(part.data(), part.data() + part.size(), value);
            if (part.empty() || error != std::errc() || end != part.data() + part.size() ||
                numbers.size() > 8)
                return Error::invalid("invalid API version " + std::string(text));
            numbers.push_back(value);
            if (dot == std::string_view::npos)
                break;
            start = dot + 1;
        }
        return numbers;
    };
    auto left = TRY(parts(a));
    auto right = TRY(parts(b));
    size_t count = std::max(left.size(), right.size());
    for (size_t i = 0; i < count; ++i) {
        int x = i < left.size() ? left[i] : 0;
        int y = i < right.size() ? right[i] : 0;
        if (x != y)
            return x < y ? -1 : 1;
    }
    return 0;
}

}  // namespace corral::api
