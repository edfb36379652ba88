// The HTTP server over a real unix socket, in-process, with a router of test handlers.
#include "api/http_server.h"

#include <gtest/gtest.h>
#include <sys/socket.h>

#include <stdexcept>
#include <thread>

#include "api/body_pipe.h"
#include "api/daemon.h"
#include "api/errors.h"
#include "api/json_fields.h"
#include "base/fs.h"
#include "base/sys.h"
#include "http_client.h"

namespace corral::api {
namespace {

using testing::ResponseReader;
using testing::send_text;

class HttpServerTest : public ::testing::Test {
  protected:
    void SetUp() override {
        ::signal(SIGPIPE, SIG_IGN);
        directory_.emplace(fs::TempDir::create("/tmp", "api-http").value());
        socket_path_ = directory_->path() + "/api.sock";
        router_.add("GET", "/_ping",
                    [](Exchange& e) { return e.respond(200, "text/plain", "OK"); });
        router_.add(
            "POST", "/echo",
            [](Exchange& e) { return e.respond(200, "text/plain", e.request().body); },
            RouteOptions{16});
        router_.add("POST", "/json", [](Exchange& e) -> ErrorOr<void> {
            auto document = TRY(parse_json_body(e.request().body));
            return e.respond(200, "application/json", document.dump());
        });
        router_.add("GET", "/query", [](Exchange& e) {
            std::string text = e.request().api_version + "|" + e.request().path + "|" +
                               e.request().query_value("a") + "|" +
                               std::to_string(e.request().query_values("n").size());
            return e.respond(200, "text/plain", text);
        });
        router_.add("GET", "/items/{id}", [](Exchange& e) {
            return e.respond(200, "text/plain", e.request().params.at("id"));
        });
        router_.add("GET", "/stream", [](Exchange& e) -> ErrorOr<void> {
            TRY(e.begin_stream(200, "application/json"));
            for (const char* part : {"one\n", "two\n", "three\n"})
                TRY(e.write(part));
            return e.end_stream();
        });
        router_.add(
            "POST", "/upload",
            [](Exchange& e) -> ErrorOr<void> {
                size_t total = 0;
                char buffer[1000];
                while (size_t n = TRY(e.read_body(buffer)))
                    total += n;
                return e.respond(200, "text/plain", std::to_string(total));
            },
            RouteOptions{1 << 20, true});
        router_.add("POST", "/hijack", [](Exchange& e) -> ErrorOr<void> {
            bool upgrade = e.request().wants_upgrade();
            auto connection = TRY(e.hijack());
            TRY(sys::write_all(
                connection.fd.get(),
                upgrade_response_head(upgrade, "application/vnd.docker.raw-stream")));
            // Echo what the client sends, starting with what the server had buffered.
            TRY(sys::write_all(connection.fd.get(), connection.buffered_input));
            char buffer[256];
            while (true) {
                auto n = sys::read(connection.fd.get(), buffer);
                if (n.is_error() || n.value() == 0)
                    break;
                TRY(sys::write_all(connection.fd.get(), std::string_view(buffer, n.value())));
            }
            return {};
        });
        router_.add("GET", "/throw",
                    [](Exchange&) -> ErrorOr<void> { throw std::runtime_error("boom"); });
        router_.add("GET", "/missing", [](Exchange&) -> ErrorOr<void> {
            return Error::not_found("No such container: x");
        });
        router_.add("POST", "/conflict",
                    [](Exchange&) -> ErrorOr<void> { return Error::conflict("name in use"); });
        router_.add("POST", "/unchanged", [](Exchange&) -> ErrorOr<void> {
            return Error{ErrorKind::not_modified, "already started"};
        });
        router_.add(
            "POST", "/pipe",
            [](Exchange& e) -> ErrorOr<void> {
                size_t total = 0;
                TRY(consume_body_through_pipe(e, [&](int fd) -> ErrorOr<void> {
                    char buffer[4096];
                    while (size_t n = TRY(sys::read(fd, buffer)))
                        total += n;
                    return {};
                }));
                return e.respond(200, "text/plain", std::to_string(total));
            },
            RouteOptions{1 << 20, true});
        router_.add(
            "POST", "/pipe-fail",
            [](Exchange& e) -> ErrorOr<void> {
                return consume_body_through_pipe(e, [&](int fd) -> ErrorOr<void> {
                    char buffer[10];
                    TRY(sys::read(fd, buffer));
                    return Error::invalid("bad archive");
                });
            },
            RouteOptions{64 << 20, true});
        options_.header_timeout_ms = 500;
        options_.header_limit = 4096;
        options_.common_headers = {{"Api-Version", "1.41"}};
    }

    void start() {
        server_ = std::make_unique<HttpServer>(router_, options_);
        listener_ = sys::unix_listen(socket_path_, 0660).value();
        thread_ = std::thread([this] { (void)server_->serve(listener_.get()); });
    }

    void TearDown() override {
        if (server_) {
            server_->stop();
            thread_.join();
            server_.reset();
        }
    }

    UniqueFd connect() { return sys::unix_connect(socket_path_).value(); }

    testing::Response exchange(const std::string& raw, bool head_only = false) {
        auto fd = connect();
        EXPECT_TRUE(send_text(fd.get(), raw));
        ResponseReader reader(fd.get());
        return reader.read(head_only);
    }

    std::optional<fs::TempDir> directory_;
    std::string socket_path_;
    Router router_;
    ServerOptions options_;
    std::unique_ptr<HttpServer> server_;
    UniqueFd listener_;
    std::thread thread_;
};

TEST_F(HttpServerTest, Ping) {
    start();
    auto response = exchange("GET /_ping HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(response.body, "OK");
    EXPECT_EQ(response.headers["api-version"], "1.41");
    auto stat = sys::stat(socket_path_).value();
    EXPECT_EQ(stat.st_mode & 0777, 0660u);
}

TEST_F(HttpServerTest, HeadHasNoBody) {
    start();
    auto fd = connect();
    send_text(fd.get(),
              "HEAD /_ping HTTP/1.1\r\nHost: x\r\n\r\nGET /_ping HTTP/1.1\r\nHost: x\r\n\r\n");
    ResponseReader reader(fd.get());
    auto head = reader.read(true);
    EXPECT_EQ(head.status, 200);
    EXPECT_EQ(head.headers["content-length"], "2");
    // The next response starts right after the head: no body bytes in between.
    auto get = reader.read();
    EXPECT_EQ(get.status, 200);
    EXPECT_EQ(get.body, "OK");
}

TEST_F(HttpServerTest, VersionPrefixAndQuery) {
    start();
    auto response = exchange("GET /v1.41/query?a=x%20y&n=1&n=2 HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(response.body, "1.41|/query|x y|2");
    auto old = exchange("GET /v1.24/query HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(old.status, 200);
}

TEST_F(HttpServerTest, TooNewVersionIsRefused) {
    options_.max_api_version = "1.41";
    start();
    auto response = exchange("GET /v1.47/_ping HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(response.status, 400);
    EXPECT_NE(response.body.find("client version 1.47 is too new"), std::string::npos);
}

TEST_F(HttpServerTest, UnknownPathIs404AndWrongMethod405) {
    start();
    auto missing = exchange("GET /nope HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(missing.status, 404);
    EXPECT_EQ(missing.body, "{\"message\":\"page not found\"}\n");
    auto method = exchange("DELETE /_ping HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(method.status, 405);
}

TEST_F(HttpServerTest, PathCaptures) {
    start();
    auto response = exchange("GET /items/abc%2Fdef HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(response.body, "abc/def");
}

TEST_F(HttpServerTest, MalformedJsonIs400) {
    start();
    std::string body = "{\"Image\": [";
    auto response = exchange(
        "POST /json HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        "Content-Length: " +
        std::to_string(body.size()) + "\r\n\r\n" + body);
    EXPECT_EQ(response.status, 400);
    EXPECT_EQ(response.headers["content-type"], "application/json");
    EXPECT_NE(response.body.find("malformed JSON"), std::string::npos);
}

TEST_F(HttpServerTest, ErrorKindsMapToStatuses) {
    start();
    auto missing = exchange("GET /missing HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(missing.status, 404);
    EXPECT_EQ(missing.body, "{\"message\":\"No such container: x\"}\n");
    auto conflict = exchange("POST /conflict HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
    EXPECT_EQ(conflict.status, 409);
    auto unchanged = exchange("POST /unchanged HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
    EXPECT_EQ(unchanged.status, 304);
}

TEST_F(HttpServerTest, ExceptionBecomes500AndServerSurvives) {
    start();
    auto response = exchange("GET /throw HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(response.status, 500);
    EXPECT_NE(response.body.find("boom"), std::string::npos);
    EXPECT_EQ(exchange("GET /_ping HTTP/1.1\r\nHost: x\r\n\r\n").status, 200);
}

TEST_F(HttpServerTest, OversizedBodyIs413) {
    start();
    auto declared = exchange("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 17\r\n\r\n" +
                             std::string(17, 'x'));
    EXPECT_EQ(declared.status, 413);
    // Chunked bodies are counted as they arrive.
    auto chunked = exchange(
        "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        "a\r\n0123456789\r\na\r\n0123456789\r\n0\r\n\r\n");
    EXPECT_EQ(chunked.status, 413);
    auto fits = exchange("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello");
    EXPECT_EQ(fits.status, 200);
    EXPECT_EQ(fits.body, "hello");
}

TEST_F(HttpServerTest, KeepAliveServesSeveralRequests) {
    start();
    auto fd = connect();
    ResponseReader reader(fd.get());
    for (int i = 0; i < 3; ++i) {
        send_text(fd.get(), "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\n" +
                                std::to_string(i));
        auto response = reader.read();
        EXPECT_EQ(response.status, 200);
        EXPECT_EQ(response.body, std::to_string(i));
    }
    // Pipelined: two requests in one write.
    send_text(fd.get(),
              "GET /_ping HTTP/1.1\r\nHost: x\r\n\r\nGET /items/7 HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(reader.read().body, "OK");
    EXPECT_EQ(reader.read().body, "7");
    send_text(fd.get(), "GET /_ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    auto last = reader.read();
    EXPECT_EQ(last.headers["connection"], "close");
    EXPECT_TRUE(reader.closed());
}

TEST_F(HttpServerTest, ChunkedStream) {
    start();
    auto response = exchange("GET /stream HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(response.headers["transfer-encoding"], "chunked");
    EXPECT_EQ(response.body, "one\ntwo\nthree\n");
}

TEST_F(HttpServerTest, StreamedUploadReadsChunkedBody) {
    start();
    std::string request = "POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
    for (int i = 0; i < 50; ++i)
        request += "7d0\r\n" + std::string(2000, 'a' + (i % 26)) + "\r\n";
    request += "0\r\n\r\n";
    auto response = exchange(request);
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(response.body, "100000");
}

TEST_F(HttpServerTest, HijackUpgradesAndHandsOverBufferedBytes) {
    start();
    auto fd = connect();
    // The first stdin bytes ride in the same write as the request.
    send_text(fd.get(),
              "POST /hijack HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n"
              "Content-Length: 0\r\n\r\nearly ");
    ResponseReader reader(fd.get());
    auto head = reader.read(true);
    EXPECT_EQ(head.status, 101);
    EXPECT_EQ(head.headers["upgrade"], "tcp");
    EXPECT_EQ(head.headers["content-type"], "application/vnd.docker.raw-stream");
    EXPECT_EQ(reader.read_raw(6), "early ");
    send_text(fd.get(), "ping");
    EXPECT_EQ(reader.read_raw(4), "ping");
    ::shutdown(fd.get(), SHUT_WR);
    EXPECT_TRUE(reader.closed());
}

TEST_F(HttpServerTest, HijackWithoutUpgradeAnswers200) {
    start();
    auto fd = connect();
    send_text(fd.get(), "POST /hijack HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
    ResponseReader reader(fd.get());
    auto head = reader.read(true);
    EXPECT_EQ(head.status, 200);
    send_text(fd.get(), "data");
    EXPECT_EQ(reader.read_raw(4), "data");
}

TEST_F(HttpServerTest, MalformedRequestIs400) {
    start();
    auto response = exchange("GARBAGE\r\n\r\n");
    EXPECT_EQ(response.status, 400);
    auto target = exchange("GET nope HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(target.status, 400);
    auto escape = exchange("GET /query?a=%zz HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(escape.status, 400);
}

TEST_F(HttpServerTest, HugeHeaderIs431) {
    start();
    auto response =
        exchange("GET /_ping HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(8000, 'a') + "\r\n\r\n");
    EXPECT_EQ(response.status, 431);
}

TEST_F(HttpServerTest, SlowHeaderIsCutOff) {
    start();
    auto fd = connect();
    send_text(fd.get(), "GET /_ping HTTP/1.1\r\n");
    ResponseReader reader(fd.get(), 3000);
    auto start_ns = sys::monotonic_ns();
    // The head never completes: the server closes after header_timeout_ms (500 ms).
    EXPECT_TRUE(reader.closed());
    EXPECT_LT(sys::monotonic_ns() - start_ns, int64_t{2'500'000'000});
    EXPECT_EQ(exchange("GET /_ping HTTP/1.1\r\nHost: x\r\n\r\n").status, 200);
}

TEST_F(HttpServerTest, ConnectionLimit) {
    options_.max_connections = 2;
    start();
    auto first = connect();
    auto second = connect();
    // Both are being served (idle, waiting for a request) once the server sees them.
    for (int i = 0; i < 100 && server_->active_connections() < 2; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    // The server may answer and close before the request is written: ignore the send.
    auto third_fd = connect();
    (void)send_text(third_fd.get(), "GET /_ping HTTP/1.1\r\nHost: x\r\n\r\n");
    auto third = ResponseReader(third_fd.get()).read();
    EXPECT_EQ(third.status, 503);
    first.reset();
    for (int i = 0; i < 100 && server_->active_connections() > 1; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    EXPECT_EQ(exchange("GET /_ping HTTP/1.1\r\nHost: x\r\n\r\n").status, 200);
}

TEST_F(HttpServerTest, StopClosesIdleConnections) {
    start();
    auto fd = connect();
    for (int i = 0; i < 100 && server_->active_connections() < 1; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    server_->stop();
    thread_.join();
    ResponseReader reader(fd.get());
    EXPECT_TRUE(reader.closed());
    EXPECT_EQ(server_->active_connections(), 0u);
    server_.reset();
}

TEST_F(HttpServerTest, BodyThroughPipe) {
    start();
    std::string request = "POST /pipe HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
    for (int i = 0; i < 100; ++i)
        request += "3e8\r\n" + std::string(1000, 'z') + "\r\n";
    request += "0\r\n\r\n";
    auto response = exchange(request);
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(response.body, "100000");
    // The connection stays usable: the body was read to its end.
}

TEST_F(HttpServerTest, ConsumerFailureAnswersWhileClientStillSends) {
    start();
    auto fd = connect();
    std::string head = "POST /pipe-fail HTTP/1.1\r\nHost: x\r\nContent-Length: 50000000\r\n\r\n";
    send_text(fd.get(), head + std::string(100000, 'q'));
    ResponseReader reader(fd.get());
    auto response = reader.read();
    EXPECT_EQ(response.status, 400);
    EXPECT_EQ(response.body, "{\"message\":\"bad archive\"}\n");
}

TEST(HostAddress, UnixOnly) {
    EXPECT_EQ(parse_host_address("unix:///var/run/x.sock").value(), "/var/run/x.sock");
    EXPECT_EQ(parse_host_address("/tmp/y.sock").value(), "/tmp/y.sock");
    EXPECT_TRUE(parse_host_address("tcp://0.0.0.0:2375").is_error());
    EXPECT_TRUE(parse_host_address("unix://relative").is_error());
    EXPECT_TRUE(parse_host_address("").is_error());
}

TEST(ErrorMapping, StatusPerKind) {
    EXPECT_EQ(http_status(ErrorKind::invalid_argument), 400);
    EXPECT_EQ(http_status(ErrorKind::not_found), 404);
    EXPECT_EQ(http_status(ErrorKind::conflict), 409);
    EXPECT_EQ(http_status(ErrorKind::too_large), 413);
    EXPECT_EQ(http_status(ErrorKind::not_modified), 304);
    EXPECT_EQ(http_status(ErrorKind::internal), 500);
    EXPECT_EQ(error_body("a \"quoted\" thing"), "{\"message\":\"a \\\"quoted\\\" thing\"}\n");
    // Invalid UTF-8 from a client never throws.
    EXPECT_EQ(error_body("bad \xff byte"), "{\"message\":\"bad \xef\xbf\xbd byte\"}\n");
}

}  // namespace
}  // namespace corral::api
