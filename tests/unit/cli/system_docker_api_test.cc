// DockerApi's connection reuse against a real server on a unix socket.
#include "cli/system_docker_api.h"

#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <thread>

#include "base/fs.h"
#include "base/sys.h"

namespace corral::cli {
namespace {

// Answers every request on every connection with a JSON body naming the request's path; after
// `requests_per_connection` answers it closes the connection (0: never), and with
// `announce_close` it says so in a "Connection: close" header.
class KeepAliveServer {
  public:
    KeepAliveServer(int requests_per_connection, bool announce_close)
        : dir_(fs::TempDir::create("/tmp", "api-test").release_value()),
          path_(fs::join(dir_.path(), "s.sock")),
          listener_(sys::unix_listen(path_, 0600).release_value()) {
        thread_ = std::thread([this, requests_per_connection, announce_close] {
            for (;;) {
                auto client = sys::accept(listener_.get());
                if (!client || stopping_)
                    return;
                ++connections_;
                serve(client->get(), requests_per_connection, announce_close);
            }
        });
    }
    ~KeepAliveServer() {
        stopping_ = true;
        (void)sys::unix_connect(path_);  // wakes the accept
        thread_.join();
    }
    std::string host() const { return "unix://" + path_; }
    int connections() const { return connections_; }
    int requests() const { return requests_; }

  private:
    void serve(int fd, int requests_per_connection, bool announce_close) {
        std::string pending;
        char buffer[4096];
        for (int answered = 0; requests_per_connection == 0 || answered < requests_per_connection;
             ++answered) {
            size_t end;
            while ((end = pending.find("\r\n\r\n")) == std::string::npos) {
                auto n = sys::read(fd, buffer);
                if (!n || *n == 0)
                    return;
                pending.append(buffer, *n);
            }
            std::string head = pending.substr(0, end);
            size_t length = 0;
            if (auto at = head.find("Content-Length: "); at != std::string::npos)
                length = std::stoul(head.substr(at + 16));
            while (pending.size() < end + 4 + length) {
                auto n = sys::read(fd, buffer);
                if (!n || *n == 0)
                    return;
                pending.append(buffer, *n);
            }
            pending.erase(0, end + 4 + length);
            ++requests_;
            std::string target = head.substr(head.find(' ') + 1);
            target = target.substr(0, target.find(' '));
            std::string body = "{\"path\":\"" + target + "\"}";
            std::string response = "HTTP/1.1 200 OK\r\nApi-Version: 1.41\r\n";
            if (announce_close)
                response += "Connection: close\r\n";
            response += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
            if (!sys::write_all(fd, response))
                return;
        }
    }

    fs::TempDir dir_;
    std::string path_;
    UniqueFd listener_;
    std::atomic<int> connections_ = 0;
    std::atomic<int> requests_ = 0;
    std::atomic<bool> stopping_ = false;
    std::thread thread_;
};

TEST(DockerApi, CallsShareTheConnectionOfThePing) {
    KeepAliveServer server(0, false);
    auto api = DockerApi::connect(server.host());
    ASSERT_TRUE(api) << api.error().message();
    EXPECT_EQ(api->api_version(), "1.41");
    auto first = api->call_json("POST", "/containers/create", Json{{"Image", "x"}});
    ASSERT_TRUE(first) << first.error().message();
    EXPECT_EQ((*first)["path"], "/v1.41/containers/create");
    auto second = api->call_json("POST", "/containers/x/start");
    ASSERT_TRUE(second) << second.error().message();
    EXPECT_EQ((*second)["path"], "/v1.41/containers/x/start");
    EXPECT_EQ(server.requests(), 3);
    EXPECT_EQ(server.connections(), 1);
}

TEST(DockerApi, AConnectionTheServerClosedIsReplaced) {
    // The server answers one request per connection and closes it without saying so: each
    // call finds its kept connection closed and goes again on a new one. (A send may still
    // meet the close: system-docker ignores SIGPIPE, as here.)
    auto previous = ::signal(SIGPIPE, SIG_IGN);
    KeepAliveServer server(1, false);
    auto api = DockerApi::connect(server.host());
    ASSERT_TRUE(api) << api.error().message();
    for (const char* path : {"/a", "/b"}) {
        auto answer = api->call_json("GET", path);
        ASSERT_TRUE(answer) << answer.error().message();
        EXPECT_EQ((*answer)["path"], std::string("/v1.41") + path);
    }
    EXPECT_EQ(server.requests(), 3);
    EXPECT_EQ(server.connections(), 3);
    ::signal(SIGPIPE, previous);
}

TEST(DockerApi, ConnectionCloseIsHonoured) {
    KeepAliveServer server(0, true);
    auto api = DockerApi::connect(server.host());
    ASSERT_TRUE(api) << api.error().message();
    ASSERT_TRUE(api->call_json("GET", "/a"));
    ASSERT_TRUE(api->call_json("GET", "/b"));
    EXPECT_EQ(server.requests(), 3);
    EXPECT_EQ(server.connections(), 3);
}

}  // namespace
}  // namespace corral::cli
