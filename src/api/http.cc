#include "api/http.h"

#include <algorithm>
#include <cctype>

namespace corral::api {

namespace {

bool contains_token(std::string_view value, std::string_view token) {
    // Comma-separated tokens, case-insensitive: "keep-alive, Upgrade".
    size_t start = 0;
    while (start <= value.size()) {
        size_t comma = value.find(',', start);
        if (comma == std::string_view::npos)
            comma = value.size();
        std::string_view item = value.substr(start, comma - start);
        while (!item.empty() && (item.front() == ' ' || item.front() == '\t'))
            item.remove_prefix(1);
        while (!item.empty() && (item.back() == ' ' || item.back() == '\t'))
            item.remove_suffix(1);
        if (item.size() == token.size() &&
            std::equal(item.begin(), item.end(), token.begin(), [](char a, char b) {
                return std::tolower(static_cast<unsigned char>(a)) ==
                       std::tolower(static_cast<unsigned char>(b));
            }))
            return true;
        start = comma + 1;
    }
    return false;
}

}  // namespace

std::string Request::header(std::string_view name) const {
    for (const auto& [key, value] : headers) {
        if (key == name)
            return value;
    }
    return {};
}

std::string Request::query_value(const std::string& key) const {
    auto it = query.find(key);
    return it == query.end() ? std::string() : it->second;
}

std::vector<std::string> Request::query_values(std::string_view key) const {
    std::vector<std::string> values;
    for (const auto& [name, value] : query_pairs) {
        if (name == key)
            values.push_back(value);
    }
    return values;
}

bool Request::wants_upgrade() const {
    return contains_token(header("connection"), "upgrade") &&
           contains_token(header("upgrade"), "tcp");
}

std::string upgrade_response_head(bool upgrade, std::string_view content_type) {
    std::string head = upgrade ? "HTTP/1.1 101 UPGRADED\r\n" : "HTTP/1.1 200 OK\r\n";
    head += "Content-Type: ";
    head += content_type;
    head += "\r\n";
    if (upgrade)
        head += "Connection: Upgrade\r\nUpgrade: tcp\r\n";
    head += "\r\n";
    return head;
}

std::string_view reason_phrase(int status) {
    switch (status) {
        case 101:
            return "Switching Protocols";
        case 200:
            return "OK";
        case 201:
            return "Created";
        case 204:
            return "No Content";
        case 304:
            return "Not Modified";
        case 400:
            return "Bad Request";
        case 403:
            return "Forbidden";
        case 404:
            return "Not Found";
        case 405:
            return "Method Not Allowed";
        case 408:
            return "Request Timeout";
        case 409:
            return "Conflict";
        case 413:
            return "Payload Too Large";
        case 431:
            return "Request Header Fields Too Large";
        case 500:
            return "Internal Server Error";
        case 501:
            return "Not Implemented";
        case 503:
            return "Service Unavailable";
        default:
            return "Unknown";
    }
}

}  // namespace corral::api
