#include <gtest/gtest.h>
#include <sys/socket.h>

#include <thread>

#include "base/fs.h"
#include "base/sys.h"
#include "cli/http_client.h"
#include "cli/http_client_response.h"

namespace corral::cli::http {
namespace {

// Feeds `wire` to a parser in pieces of `step` bytes; returns the decoded body.
ErrorOr<std::string> parse_in_steps(ResponseParser& parser, std::string_view wire, size_t step) {
    std::string body;
    size_t offset = 0;
    while (offset < wire.size() && !parser.message_complete()) {
        size_t consumed = TRY(parser.feed(wire.substr(offset, step), body));
        if (consumed == 0)
            break;
        offset += consumed;
    }
    return body;
}

TEST(HttpResponse, ContentLengthBodyAnyByteSplit) {
    std::string wire =
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n"
        "{\"a\":\"bc\"}\n";
    for (size_t step = 1; step <= wire.size(); ++step) {
        ResponseParser parser;
        auto body = parse_in_steps(parser, wire, step);
        ASSERT_TRUE(body) << body.error().message();
        EXPECT_EQ(*body, "{\"a\":\"bc\"}\n") << "step " << step;
        EXPECT_TRUE(parser.message_complete());
        EXPECT_EQ(parser.head().status, 200);
        EXPECT_EQ(parser.head().reason, "OK");
        EXPECT_EQ(parser.head().headers.get("content-type"), "application/json");
    }
}

TEST(HttpResponse, ChunkedBodyWithExtensionsAndTrailers) {
    std::string wire =
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        "5;name=value\r\nhello\r\n1\r\n \r\n6\r\nworld!\r\n0\r\nX-Trailer: yes\r\n\r\nNEXT";
    for (size_t step = 1; step <= wire.size(); ++step) {
        ResponseParser parser;
        std::string body;
        size_t consumed = 0;
        while (!parser.message_complete() && consumed < wire.size()) {
            auto n = parser.feed(std::string_view(wire).substr(consumed, step), body);
            ASSERT_TRUE(n) << n.error().message();
            consumed += *n;
        }
        EXPECT_EQ(body, "hello world!") << "step " << step;
        // The parser stops at the end of the message: what follows is not consumed.
        EXPECT_EQ(wire.substr(consumed), "NEXT");
    }
}

TEST(HttpResponse, UpgradeLeavesStreamBytes) {
    ResponseParser parser;
    std::string body;
    std::string wire = "HTTP/1.1 101 UPGRADED\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n";
    wire += std::string("\x01\0\0\0", 4);
    auto consumed = parser.feed(wire, body);
    ASSERT_TRUE(consumed);
    EXPECT_TRUE(parser.message_complete());
    EXPECT_EQ(parser.head().status, 101);
    EXPECT_EQ(wire.size() - *consumed, 4u);
}

TEST(HttpResponse, BodyUntilCloseAndCutShort) {
    ResponseParser until_close;
    std::string body;
    ASSERT_TRUE(until_close.feed("HTTP/1.0 200 OK\r\n\r\nabc", body));
    EXPECT_FALSE(until_close.message_complete());
    EXPECT_TRUE(until_close.finish());
    EXPECT_EQ(body, "abc");

    ResponseParser cut;
    body.clear();
    ASSERT_TRUE(cut.feed("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", body));
    EXPECT_FALSE(cut.finish());
}

TEST(HttpResponse, RejectsMalformedInput) {
    const char* bad[] = {
        "HTTP/2 200 OK\r\n\r\n",
        "HTTP/1.1 2x0 OK\r\n\r\n",
        "HTTP/1.1 200 OK\r\nno colon here\r\n\r\n",
        "HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\n",
    };
    for (const char* wire : bad) {
        ResponseParser parser;
        std::string body;
        EXPECT_FALSE(parser.feed(wire, body)) << wire;
    }
}

TEST(HttpResponse, LimitsHeadSize) {
    ParserLimits limits;
    limits.max_head_bytes = 100;
    ResponseParser parser(limits);
    std::string body;
    std::string wire = "HTTP/1.1 200 OK\r\nX-Long: " + std::string(200, 'a') + "\r\n\r\n";
    auto result = parser.feed(wire, body);
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().kind(), ErrorKind::too_large);
}

TEST(HttpClient, SerializesRequestHeads) {
    Request request;
    request.method = "POST";
    request.target = "/v1.41/containers/create?name=x";
    request.body = "{}";
    request.headers.push_back({"Content-Type", "application/json"});
    std::string head = serialize_head(request, "docker");
    EXPECT_TRUE(
        head.starts_with("POST /v1.41/containers/create?name=x HTTP/1.1\r\nHost: docker\r\n"));
    EXPECT_NE(head.find("Content-Length: 2\r\n"), std::string::npos);
    EXPECT_NE(head.find("Content-Type: application/json\r\n"), std::string::npos);
    EXPECT_TRUE(head.ends_with("\r\n\r\n"));

    Request upgrade;
    upgrade.method = "POST";
    upgrade.upgrade = true;
    upgrade.body_fd = 0;
    head = serialize_head(upgrade, "docker");
    EXPECT_NE(head.find("Connection: Upgrade\r\nUpgrade: tcp\r\n"), std::string::npos);
    EXPECT_NE(head.find("Transfer-Encoding: chunked\r\n"), std::string::npos);
}

TEST(HttpClient, ParsesEndpoints) {
    auto unix_endpoint = parse_endpoint("unix:///run/x.sock");
    ASSERT_TRUE(unix_endpoint);
    EXPECT_EQ(unix_endpoint->path, "/run/x.sock");
    auto tcp = parse_endpoint("tcp://127.0.0.1:2375");
    ASSERT_TRUE(tcp);
    EXPECT_EQ(tcp->kind, Endpoint::Kind::tcp);
    EXPECT_EQ(tcp->port, 2375);
    EXPECT_FALSE(parse_endpoint("unix://relative"));
    EXPECT_FALSE(parse_endpoint("ssh://host"));
    EXPECT_FALSE(parse_endpoint("tcp://127.0.0.1:99999"));
}

// A real server on a unix socket: reads one request head, answers with `response` written in
// small pieces, then (for upgrades) echoes what it receives until the client half-closes.
class OneShotServer {
  public:
    OneShotServer(std::string response, bool echo)
        : dir_(fs::TempDir::create("/tmp", "http-test").release_value()),
          path_(fs::join(dir_.path(), "s.sock")),
          listener_(sys::unix_listen(path_, 0600).release_value()) {
        thread_ = std::thread([this, response = std::move(response), echo] {
            auto client = sys::accept(listener_.get());
            if (!client)
                return;
            std::string request;
            char buffer[4096];
            while (request.find("\r\n\r\n") == std::string::npos) {
                auto n = sys::read(client->get(), buffer);
                if (!n || *n == 0)
                    return;
                request.append(buffer, *n);
            }
            received_ = request;
            for (size_t i = 0; i < response.size(); i += 7)
                (void)sys::write_all(client->get(), std::string_view(response).substr(i, 7));
            if (!echo)
                return;
            std::string rest = request.substr(request.find("\r\n\r\n") + 4);
            (void)sys::write_all(client->get(), rest);
            for (;;) {
                auto n = sys::read(client->get(), buffer);
                if (!n || *n == 0)
                    break;
                (void)sys::write_all(client->get(), std::string_view(buffer, *n));
            }
        });
    }
    ~OneShotServer() { thread_.join(); }
    Endpoint endpoint() const { return parse_endpoint("unix://" + path_).release_value(); }
    const std::string& received() const { return received_; }

  private:
    fs::TempDir dir_;
    std::string path_;
    UniqueFd listener_;
    std::string received_;
    std::thread thread_;
};

TEST(HttpClient, ReadsChunkedResponseOverUnixSocket) {
    std::string response =
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        "4\r\nWiki\r\n5\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\n\r\n";
    std::string body;
    {
        OneShotServer server(response, false);
        auto connection = Connection::open(server.endpoint());
        ASSERT_TRUE(connection);
        Request request;
        request.target = "/v1.41/info";
        ASSERT_TRUE(connection->send(request));
        auto head = connection->read_head();
        ASSERT_TRUE(head);
        EXPECT_EQ((*head)->status, 200);
        auto read = connection->read_body();
        ASSERT_TRUE(read) << read.error().message();
        body = *read;
    }
    EXPECT_EQ(body, "Wikipedia in\r\n\r\nchunks.");
}

TEST(HttpClient, UpgradedConnectionCarriesRawBytes) {
    OneShotServer server("HTTP/1.1 101 UPGRADED\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n",
                         true);
    auto connection = Connection::open(server.endpoint());
    ASSERT_TRUE(connection);
    Request request;
    request.method = "POST";
    request.target = "/attach";
    request.upgrade = true;
    ASSERT_TRUE(connection->send(request));
    auto head = connection->read_head();
    ASSERT_TRUE(head);
    EXPECT_EQ((*head)->status, 101);
    ASSERT_TRUE(sys::write_all(connection->fd(), "ping"));
    ::shutdown(connection->fd(), SHUT_WR);
    std::string echoed = connection->take_leftover();
    char buffer[64];
    for (;;) {
        auto n = sys::read(connection->fd(), buffer);
        ASSERT_TRUE(n);
        if (*n == 0)
            break;
        echoed.append(buffer, *n);
    }
    EXPECT_EQ(echoed, "ping");
    EXPECT_NE(server.received().find("Upgrade: tcp"), std::string::npos);
}

}  // namespace
}  // namespace corral::cli::http
