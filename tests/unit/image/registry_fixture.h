// A real registry for the pull tests: Debian's docker-registry on 127.0.0.1:<free port>,
// storage in a temp dir, optionally with token auth; and a tiny token server issuing
// RS256 JWTs signed by a key generated with openssl for the test.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "base/fs.h"
#include "base/process.h"
#include "base/sys.h"

namespace corral::image::testing {

inline int free_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
    socklen_t length = sizeof address;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
    ::close(fd);
    return ntohs(address.sin_port);
}

inline bool port_open(int port) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bool open = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
    ::close(fd);
    return open;
}

inline std::string base64_encode(std::string_view data, bool url) {
    static const char standard[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    static const char url_safe[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const char* table = url ? url_safe : standard;
    std::string out;
    uint32_t buffer = 0;
    int bits = 0;
    for (unsigned char c : data) {
        buffer = (buffer << 8) | c;
        bits += 8;
        while (bits >= 6) {
            out += table[(buffer >> (bits - 6)) & 63];
            bits -= 6;
        }
    }
    if (bits > 0)
        out += table[(buffer << (6 - bits)) & 63];
    if (!url)
        while (out.size() % 4)
            out += '=';
    return out;
}

// docker-registry serving `storage` on 127.0.0.1:port; `extra` is appended to its config.
class LocalRegistry {
  public:
    static std::optional<LocalRegistry> start(const std::string& dir, const std::string& storage,
                                              const std::string& extra = {},
                                              const std::string& tls_certificate = {},
                                              const std::string& tls_key = {}) {
        LocalRegistry registry;
        registry.port_ = free_port();
        std::string config =
            "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n"
            "    rootdirectory: " +
            storage + "\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:" +
            std::to_string(registry.port_) + "\n";
        if (!tls_certificate.empty())
            config +=
                "  tls:\n    certificate: " + tls_certificate + "\n    key: " + tls_key + "\n";
        config += extra;
        std::string config_path =
            fs::join(dir, "registry-" + std::to_string(registry.port_) + ".yml");
        if (!fs::write_file_atomic(config_path, config))
            return std::nullopt;
        auto log = sys::open(fs::join(dir, "registry.log"), O_WRONLY | O_CREAT | O_APPEND, 0600);
        if (!log)
            return std::nullopt;
        SpawnOptions options;
        options.argv = {"docker-registry", "serve", config_path};
        options.fds = {{1, log->get()}, {2, log->get()}};
        auto child = spawn(options);
        if (!child)
            return std::nullopt;
        registry.child_.emplace(std::move(*child));
        for (int i = 0; i < 200 && !port_open(registry.port_); ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        if (!port_open(registry.port_))
            return std::nullopt;
        return registry;
    }
    LocalRegistry(LocalRegistry&& other) noexcept
        : port_(other.port_), child_(std::move(other.child_)) {
        other.child_.reset();
    }
    ~LocalRegistry() { stop(); }
    void stop() {
        if (child_) {
            (void)sys::kill(child_->pid(), SIGTERM);
            (void)child_->wait();
            child_.reset();
        }
    }
    int port() const { return port_; }
    std::string host() const { return "127.0.0.1:" + std::to_string(port_); }

  private:
    LocalRegistry() = default;
    int port_ = 0;
    std::optional<Child> child_;
};

// A scripted HTTP server for registries that misbehave in ways the real one never does:
// `handler(request line, headers)` returns the whole response.
class ScriptedServer {
  public:
    using Handler = std::function<std::string(const std::string& line, const std::string& head)>;
    explicit ScriptedServer(Handler handler) : handler_(std::move(handler)) {
        listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        ::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address);
        socklen_t length = sizeof address;
        ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length);
        port_ = ntohs(address.sin_port);
        ::listen(listener_, 16);
        thread_ = std::thread([this] { serve(); });
    }
    ~ScriptedServer() {
        stop_ = true;
        thread_.join();
        ::close(listener_);
    }
    int port() const { return port_; }
    std::string host() const { return "127.0.0.1:" + std::to_string(port_); }

    static std::string response(int status, const std::string& reason,
                                const std::vector<std::string>& headers, const std::string& body) {
        std::string text = "HTTP/1.1 " + std::to_string(status) + " " + reason + "\r\n";
        for (const auto& header : headers)
            text += header + "\r\n";
        text += "Content-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" +
                body;
        return text;
    }

  private:
    void serve() {
        while (!stop_) {
            pollfd poller{listener_, POLLIN, 0};
            if (::poll(&poller, 1, 100) <= 0)
                continue;
            int client = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
            if (client < 0)
                continue;
            std::string request;
            char buffer[4096];
            while (request.find("\r\n\r\n") == std::string::npos && request.size() < 65536) {
                ssize_t n = ::read(client, buffer, sizeof buffer);
                if (n <= 0)
                    break;
                request.append(buffer, static_cast<size_t>(n));
            }
            std::string line = request.substr(0, request.find("\r\n"));
            std::string reply = handler_(line, request);
            size_t done = 0;
            while (done < reply.size()) {
                ssize_t n = ::write(client, reply.data() + done, reply.size() - done);
                if (n <= 0)
                    break;
                done += static_cast<size_t>(n);
            }
            ::close(client);
        }
    }

    Handler handler_;
    int listener_ = -1;
    int port_ = 0;
    std::atomic<bool> stop_{false};
    std::thread thread_;
};

// Answers GET /token?service=..&scope=.. with {"token": jwt} when the Basic credentials
// match, 401 otherwise; records each request line.
class TokenServer {
  public:
    TokenServer(std::string expected_authorization, std::string token)
        : expected_(std::move(expected_authorization)),
          token_(std::move(token)),
          server_([this](const std::string& line, const std::string& head) {
              return answer(line, head);
          }) {}
    int port() const { return server_.port(); }
    std::vector<std::string> requests() {
        std::lock_guard lock(mutex_);
        return requests_;
    }

  private:
    std::string answer(const std::string& line, const std::string& head) {
        bool authorized = head.find("Authorization: " + expected_ + "\r\n") != std::string::npos;
        {
            std::lock_guard lock(mutex_);
            requests_.push_back(line + (authorized ? " [authorized]" : ""));
        }
        if (!authorized)
            return ScriptedServer::response(401, "Unauthorized", {"Content-Type: application/json"},
                                            R"({"details":"bad credentials"})");
        return ScriptedServer::response(200, "OK", {"Content-Type: application/json"},
                                        nlohmann::json{{"token", token_}}.dump());
    }

    std::string expected_;
    std::string token_;
    std::mutex mutex_;
    std::vector<std::string> requests_;
    ScriptedServer server_;  // last: its thread stops before the members above go
};

// An RS256 JWT for docker-registry's token auth, with the signing certificate in x5c.
inline std::optional<std::string> make_registry_token(const std::string& dir,
                                                      const std::string& issuer,
                                                      const std::string& audience,
                                                      const std::string& repository) {
    std::string key = fs::join(dir, "signer.key");
    std::string cert = fs::join(dir, "signer.pem");
    auto generated = run({"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                          key, "-out", cert, "-days", "1", "-subj", "/CN=corral-token-signer"});
    if (!generated || generated->exit_code != 0)
        return std::nullopt;
    auto der = run({"openssl", "x509", "-in", cert, "-outform", "DER"});
    if (!der || der->exit_code != 0)
        return std::nullopt;
    int64_t now = sys::realtime_ns() / 1000000000;
    nlohmann::json header = {
        {"alg", "RS256"}, {"typ", "JWT"}, {"x5c", {base64_encode(der->out, false)}}};
    nlohmann::json claims = {
        {"iss", issuer},
        {"sub", "corral"},
        {"aud", audience},
        {"exp", now + 3600},
        {"nbf", now - 60},
        {"iat", now - 60},
        {"jti", "corral-test-token"},
        {"access", {{{"type", "repository"}, {"name", repository}, {"actions", {"pull"}}}}}};
    std::string signing_input =
        base64_encode(header.dump(), true) + "." + base64_encode(claims.dump(), true);
    auto signature = run({"openssl", "dgst", "-sha256", "-sign", key}, signing_input);
    if (!signature || signature->exit_code != 0)
        return std::nullopt;
    return signing_input + "." + base64_encode(signature->out, true);
}

}  // namespace corral::image::testing
