#include "image/reference.h"

#include <cctype>

namespace corral::image {

namespace {

constexpr size_t max_name_length = 255;
constexpr size_t max_reference_length = 4096;

Error invalid_format(std::string_view detail = {}) {
    std::string message = "invalid reference format";
    if (!detail.empty())
        message += ": " + std::string(detail);
    return Error::invalid(std::move(message));
}

bool is_lower_alnum(char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

// One path component: [a-z0-9]+ separated by ".", "_", "__" or any run of "-".
bool valid_path_component(std::string_view component) {
    if (component.empty() || !is_lower_alnum(component.front()) ||
        !is_lower_alnum(component.back()))
        return false;
    size_t i = 0;
    while (i < component.size()) {
        if (is_lower_alnum(component[i])) {
            ++i;
            continue;
        }
        size_t start = i;
        while (i < component.size() && !is_lower_alnum(component[i]))
            ++i;
        std::string_view separator = component.substr(start, i - start);
        bool dashes = separator.find_first_not_of('-') == std::string_view::npos;
        if (!(separator == "." || separator == "_" || separator == "__" || dashes))
            return false;
    }
    return true;
}

bool valid_domain_label(std::string_view label) {
    if (label.empty() || !std::isalnum(static_cast<unsigned char>(label.front())) ||
        !std::isalnum(static_cast<unsigned char>(label.back())))
        return false;
    for (char c : label)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-')
            return false;
    return true;
}

bool valid_domain(std::string_view domain) {
    std::string_view host = domain;
    size_t colon = domain.rfind(':');
    if (!domain.empty() && domain.front() == '[') {
        // An IPv6 literal: "[::1]:5000".
        size_t close = domain.find(']');
        if (close == std::string_view::npos || close < 2)
            return false;
        for (char c : domain.substr(1, close - 1))
            if (!std::isxdigit(static_cast<unsigned char>(c)) && c != ':' && c != '.')
                return false;
        std::string_view rest = domain.substr(close + 1);
        if (rest.empty())
            return true;
        if (rest.front() != ':' || rest.size() < 2)
            return false;
        return rest.substr(1).find_first_not_of("0123456789") == std::string_view::npos;
    }
    if (colon != std::string_view::npos) {
        std::string_view port = domain.substr(colon + 1);
        if (port.empty() || port.find_first_not_of("0123456789") != std::string_view::npos)
            return false;
        host = domain.substr(0, colon);
    }
    if (host.empty())
        return false;
    size_t start = 0;
    for (;;) {
        size_t dot = host.find('.', start);
        if (!valid_domain_label(host.substr(start, dot - start)))
            return false;
        if (dot == std::string_view::npos)
            return true;
        start = dot + 1;
    }
}

bool valid_tag(std::string_view tag) {
    if (tag.empty() || tag.size() > 128)
        return false;
    auto word = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
    if (!word(tag.front()))
        return false;
    for (char c : tag)
        if (!word(c) && c != '.' && c != '-')
            return false;
    return true;
}

ErrorOr<Reference> parse_impl(std::string_view text, bool default_tag) {
    if (text.empty())
        return invalid_format();
    if (text.size() > max_reference_length)
        return invalid_format("reference too long");
    if (is_hex64(text))
        return Error::invalid("invalid repository name (" + std::string(text) +
                              "), cannot specify 64-byte hexadecimal strings");
    Reference reference;
    std::string_view name = text;
    size_t at = text.find('@');
    if (at != std::string_view::npos) {
        std::string_view digest = text.substr(at + 1);
        if (!is_digest(digest))
            return invalid_format("invalid digest `" + std::string(digest) + "`");
        reference.digest = std::string(digest);
        name = text.substr(0, at);
    }
    size_t last_slash = name.rfind('/');
    size_t colon = name.rfind(':');
    if (colon != std::string_view::npos &&
        (last_slash == std::string_view::npos || colon > last_slash)) {
        std::string_view tag = name.substr(colon + 1);
        if (!valid_tag(tag))
            return invalid_format();
        reference.tag = std::string(tag);
        name = name.substr(0, colon);
    }
    if (name.empty())
        return invalid_format();
    // The first component is a domain when it looks like one (has "." or ":", is "localhost",
    // or has uppercase letters, which a path component never may).
    std::string_view remainder = name;
    size_t slash = name.find('/');
    if (slash != std::string_view::npos) {
        std::string_view first = name.substr(0, slash);
        bool has_upper = false;
        for (char c : first)
            has_upper |= std::isupper(static_cast<unsigned char>(c)) != 0;
        if (first.find_first_of(".:") != std::string_view::npos || first == "localhost" ||
            has_upper) {
            if (!valid_domain(first))
                return invalid_format();
            reference.domain = std::string(first);
            remainder = name.substr(slash + 1);
        }
    }
    if (reference.domain.empty() || reference.domain == "index.docker.io")
        reference.domain = "docker.io";
    for (char c : remainder)
        if (std::isupper(static_cast<unsigned char>(c)))
            return invalid_format("repository name (" + std::string(remainder) +
                                  ") must be lowercase");
    size_t start = 0;
    for (;;) {
        size_t next = remainder.find('/', start);
        if (!valid_path_component(remainder.substr(start, next - start)))
            return invalid_format();
        if (next == std::string_view::npos)
            break;
        start = next + 1;
    }
    reference.path = std::string(remainder);
    if (reference.domain == "docker.io" && reference.path.find('/') == std::string::npos)
        reference.path = "library/" + reference.path;
    if (reference.domain.size() + 1 + reference.path.size() > max_name_length)
        return invalid_format("repository name must not be more than 255 characters");
    if (default_tag && reference.tag.empty() && reference.digest.empty())
        reference.tag = "latest";
    return reference;
}

}  // namespace

bool is_hex64(std::string_view text) {
    if (text.size() != 64)
        return false;
    for (char c : text)
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return false;
    return true;
}

bool is_digest(std::string_view text) {
    return text.starts_with("sha256:") && is_hex64(text.substr(7));
}

ErrorOr<Reference> Reference::parse(std::string_view text) {
    return parse_impl(text, true);
}

ErrorOr<Reference> Reference::parse_name_only(std::string_view text) {
    return parse_impl(text, false);
}

std::string Reference::name() const {
    return domain + "/" + path;
}

std::string Reference::familiar_name() const {
    if (domain == "docker.io") {
        std::string_view rest = path;
        if (rest.starts_with("library/") && rest.find('/', 8) == std::string_view::npos)
            return std::string(rest.substr(8));
        return path;
    }
    return name();
}

std::string Reference::familiar() const {
    if (!tag.empty())
        return familiar_name() + ":" + tag;
    if (!digest.empty())
        return familiar_name() + "@" + digest;
    return familiar_name();
}

std::string Reference::familiar_digest() const {
    return familiar_name() + "@" + digest;
}

std::string Reference::string() const {
    std::string text = name();
    if (!tag.empty())
        text += ":" + tag;
    if (!digest.empty())
        text += "@" + digest;
    return text;
}

}  // namespace corral::image
