// Image references as docker names them: "busybox", "127.0.0.1:5000/x/y:tag",
// "name@sha256:<hex>". Parsed and normalised as docker does (docker.io/library/ for
// single-component names on Docker Hub, tag "latest" when neither tag nor digest is given).
#pragma once

#include <string>
#include <string_view>

#include "base/error.h"

namespace corral::image {

struct Reference {
    std::string domain;  // "docker.io", "127.0.0.1:5000", "localhost"
    std::string path;    // "library/busybox", "x/y"
    std::string tag;     // "latest"; empty when only a digest was given
    std::string digest;  // "sha256:<64 hex>" or empty

    // Parses and normalises. Fails (invalid_argument) with docker's wording, e.g.
    // "invalid reference format: repository name must be lowercase".
    // Adds tag "latest" when neither a tag nor a digest is present.
    static ErrorOr<Reference> parse(std::string_view text);
    // As parse, but does not add a default tag (for `docker images busybox`-style matching
    // and for `docker save name` of all tags).
    static ErrorOr<Reference> parse_name_only(std::string_view text);

    // "docker.io/library/busybox"
    std::string name() const;
    // "busybox", "127.0.0.1:5000/x/y", "user/app" (docker's familiar name).
    std::string familiar_name() const;
    // familiar_name + ":tag" or "@digest" (tag wins when both): "busybox:latest". Used in
    // RepoTags and in "Loaded image: ..." lines.
    std::string familiar() const;
    // familiar_name + "@" + digest: used in RepoDigests.
    std::string familiar_digest() const;
    // name + ":tag" and/or "@digest": "docker.io/library/busybox:latest".
    std::string string() const;

    bool operator==(const Reference&) const = default;
};

// True for "sha256:<64 hex>" (lowercase).
bool is_digest(std::string_view text);
// True for 64 lowercase hex digits.
bool is_hex64(std::string_view text);

}  // namespace corral::image
