// A registry v2 client on libcurl: manifests and blobs, with bearer-token and basic auth.
// Plain HTTP for localhost, 127.0.0.0/8 and ::1, unless the registry has a CA file
// (<certs_dir>/<host:port>/ca.crt), which means HTTPS verified by it. A configured insecure
// registry (dockerd's --insecure-registry) is spoken to over HTTPS without verifying its
// certificate, or over plain HTTP when HTTPS fails below HTTP. HTTPS verified by the system CAs
// otherwise.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "image/store.h"

namespace corral::image {

struct RegistryOptions {
    std::string certs_dir;
    // host:port as in a reference ("registry.lan:5000"), or CIDR ranges (is_insecure_registry).
    std::vector<std::string> insecure_registries;
    long connect_timeout_seconds = 30;
    // A transfer slower than 1 byte/s for this long is abandoned.
    long stall_timeout_seconds = 60;
};

struct FetchedManifest {
    std::string body;
    std::string content_type;
    std::string digest;  // sha256 of the body (checked against Docker-Content-Digest)
};

class RegistryClient {
  public:
    // `domain` as in a Reference ("docker.io" means registry-1.docker.io).
    static ErrorOr<std::unique_ptr<RegistryClient>> create(const std::string& domain,
                                                           const RegistryAuth& auth,
                                                           const RegistryOptions& options);
    ~RegistryClient();
    RegistryClient(const RegistryClient&) = delete;
    RegistryClient& operator=(const RegistryClient&) = delete;

    // "http://127.0.0.1:5000" or "https://registry-1.docker.io". For an insecure registry,
    // "https://..." until the first request has chosen the scheme.
    const std::string& base_url() const;

    // GET /v2/<repository>/manifests/<tag or digest>, accepting docker schema 2, manifest
    // lists, OCI manifests and OCI indexes. A digest reference is verified against the body.
    ErrorOr<FetchedManifest> get_manifest(const std::string& repository,
                                          const std::string& reference);
    // GET /v2/<repository>/blobs/<digest> into memory (up to `limit` bytes), verified.
    ErrorOr<std::string> get_blob(const std::string& repository, const std::string& digest,
                                  size_t limit);
    // GET /v2/<repository>/blobs/<digest> into the file `path`, verified. More than
    // `expected_size` bytes (when > 0, the descriptor's size) is an error, so a registry
    // cannot fill the disk. `progress(current, total)` is called as bytes arrive.
    ErrorOr<void> download_blob(const std::string& repository, const std::string& digest,
                                const std::string& path, int64_t expected_size,
                                const std::function<void(int64_t, int64_t)>& progress);

    struct Impl;

  private:
    explicit RegistryClient(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

// The host of a registry domain as references spell it: "host:port", "[v6]:port", "host".
std::string registry_host(std::string_view domain);

// Whether `entry` is a valid insecure-registry setting: HOST[:PORT] as image names spell it, or
// a CIDR range of IP addresses ("10.0.0.0/8").
ErrorOr<void> check_insecure_registry(std::string_view entry);
// The addresses `host` resolves to (getaddrinfo), as text; none when it does not resolve.
std::vector<std::string> resolve_host_addresses(const std::string& host);
using HostResolver = std::function<std::vector<std::string>(const std::string& host)>;

// Whether the registry `domain` ("host:port" of a reference) is one of `entries`, or its host is
// inside one of their CIDR ranges: an IP address, or a name with an address there (`resolve`,
// asked only when there is a range to match, as dockerd resolves the name; a name that does not
// resolve matches no range).
bool is_insecure_registry(std::string_view domain, const std::vector<std::string>& entries,
                          const HostResolver& resolve = resolve_host_addresses);

// Insecure-registry entries sorted as docker reports them (GET /info's RegistryConfig): the
// CIDR ranges, each written from its network address ("10.20.3.4/16" → "10.20.0.0/16"), and
// the registries named by HOST[:PORT], each once, in the order given.
struct InsecureRegistryList {
    std::vector<std::string> ranges;
    std::vector<std::string> names;
};
InsecureRegistryList list_insecure_registries(const std::vector<std::string>& entries);

// Parses `Bearer realm="...",service="...",scope="..."` (or `Basic realm="..."`): the scheme
// in lowercase under "" and each parameter by its lowercase name.
std::map<std::string, std::string> parse_www_authenticate(std::string_view header);

}  // namespace corral::image
