// Routes that stream or take over the connection: logs, wait, attach and exec start.
#include <fcntl.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <optional>
#include <thread>

#include "api/api.h"
#include "api/create_body.h"
#include "api/errors.h"
#include "api/json_out.h"
#include "api/multiplex.h"
#include "api/query.h"
#include "base/sys.h"

namespace corral::api {

namespace {

using nlohmann::json;

constexpr std::string_view raw_stream = "application/vnd.docker.raw-stream";
constexpr std::string_view multiplexed_stream = "application/vnd.docker.multiplexed-stream";

// API 1.42 introduced the multiplexed media type; older clients expect raw-stream for both.
std::string_view stream_content_type(const Request& request, bool tty) {
    if (tty || request.api_version.empty())
        return raw_stream;
    auto newer = compare_versions(request.api_version, "1.42");
    return !newer.is_error() && newer.value() >= 0 ? multiplexed_stream : raw_stream;
}

engine::Cancellation hangup_of(const Exchange& exchange) {
    return engine::Cancellation{-1, exchange.socket_fd()};
}

ErrorOr<void> logs(Exchange& exchange, ApiContext& context) {
    const auto& request = exchange.request();
    const std::string& ref = request.params.at("id");
    auto container = TRY(context.engine.inspect(ref));
    if (container.host_config.log_config.type == "none")
        return Error{ErrorKind::unsupported, "configured logging driver does not support reading"};
    engine::LogOptions options;
    options.follow = parse_bool(request.query_value("follow"));
    options.stdout_stream = parse_bool(request.query_value("stdout"));
    options.stderr_stream = parse_bool(request.query_value("stderr"));
    if (!options.stdout_stream && !options.stderr_stream)
        return Error::invalid("Bad parameters: you must choose at least one stream");
    options.timestamps = parse_bool(request.query_value("timestamps"));
    options.since_ns = TRY(parse_timestamp(request.query_value("since"), "since"));
    options.until_ns = TRY(parse_timestamp(request.query_value("until"), "until"));
    std::string tail = request.query_value("tail");
    if (!tail.empty() && tail != "all")
        options.tail = TRY(parse_int(tail, "tail", 0, INT64_MAX));
    bool tty = container.config.tty;
    TRY(exchange.begin_stream(200, stream_content_type(request, tty)));
    auto sink = [&](engine::LogStream stream, std::string_view data) -> ErrorOr<void> {
        if (tty)
            return exchange.write(data);
        return exchange.write(frame(static_cast<StreamId>(stream), data));
    };
    auto result = context.engine.logs(container.id, options, sink, hangup_of(exchange));
    if (result.is_error() && result.error().kind() == ErrorKind::unavailable)
        return {};  // the client went away
    TRY(result);
    return exchange.end_stream();
}

ErrorOr<void> write_wait_result(Exchange& exchange, const ErrorOr<engine::WaitResult>& result) {
    if (result.is_error()) {
        json body = {{"StatusCode", -1}, {"Error", {{"Message", result.error().message()}}}};
        TRY(exchange.write(dump(body) + "\n"));
        return exchange.end_stream();
    }
    json error = result->error.empty() ? json(nullptr) : json{{"Message", result->error}};
    TRY(exchange.write(dump({{"Error", error}, {"StatusCode", result->exit_code}}) + "\n"));
    return exchange.end_stream();
}

void signal_eventfd(int fd) {
    uint64_t one = 1;
    (void)!::write(fd, &one, sizeof(one));
}

ErrorOr<void> wait(Exchange& exchange, ApiContext& context) {
    const auto& request = exchange.request();
    auto condition = TRY(engine::parse_wait_condition(request.query_value("condition")));
    // Resolve first: an unknown container is a 404, not a stream.
    std::string id = TRY(context.engine.resolve(request.params.at("id")));
    // The CLI starts the container as soon as it has the response head. For next-exit and
    // removed, an exit between the head and the engine registering this waiter would be
    // missed; an event subscription taken before the head catches it, and a watcher thread
    // turns it into a cancellation of the engine wait.
    std::unique_ptr<engine::EventSubscription> subscription;
    if (condition != engine::WaitCondition::not_running) {
        engine::EventFilters filters;
        filters.types = {"container"};
        filters.containers = {id};
        filters.actions = {"die", "destroy"};
        auto subscribed = context.engine.subscribe(0, 0, std::move(filters));
        if (!subscribed.is_error())  // too many subscribers: the plain wait still works
            subscription = subscribed.release_value();
    }
    TRY(exchange.begin_stream(200, "application/json"));
    if (!subscription) {
        auto result = context.engine.wait(id, condition, hangup_of(exchange));
        if (result.is_error() && result.error().kind() == ErrorKind::unavailable)
            return {};
        return write_wait_result(exchange, result);
    }
    UniqueFd observed_event(::eventfd(0, EFD_CLOEXEC));
    UniqueFd stop_watching(::eventfd(0, EFD_CLOEXEC));
    if (!observed_event || !stop_watching)
        return Error::from_errno("eventfd", errno);
    std::optional<engine::WaitResult> observed;
    std::thread watcher([&] {
        std::optional<int> exit_code;
        while (true) {
            auto next = subscription->next(engine::Cancellation{stop_watching.get(), -1});
            if (next.is_error() || !next.value())
                return;
            const auto& event = *next.value();
            if (event.action == "die") {
                auto code = event.attributes.find("exitCode");
                exit_code = code == event.attributes.end() ? 0 : std::atoi(code->second.c_str());
                if (condition == engine::WaitCondition::next_exit)
                    break;
            } else if (event.action == "destroy") {
                break;
            }
        }
        observed = engine::WaitResult{exit_code.value_or(0), ""};
        signal_eventfd(observed_event.get());
    });
    auto result = context.engine.wait(
        id, condition, engine::Cancellation{observed_event.get(), exchange.socket_fd()});
    signal_eventfd(stop_watching.get());
    watcher.join();
    if (result.is_error() && result.error().kind() == ErrorKind::unavailable) {
        if (!observed)
            return {};  // the client went away
        return write_wait_result(exchange, *observed);
    }
    return write_wait_result(exchange, result);
}

// Hands the connection to `run` (engine attach or exec start). Errors the engine reports
// before it sent the response head still become an HTTP error on the connection.
template <typename Run>
ErrorOr<void> hijack_and_run(Exchange& exchange, std::string_view content_type, Run run) {
    bool upgrade = exchange.request().wants_upgrade();
    auto connection = TRY(exchange.hijack());
    UniqueFd spare(::fcntl(connection.fd.get(), F_DUPFD_CLOEXEC, 0));
    bool head_sent = false;
    engine::Hijack hijack;
    hijack.connection = std::move(connection.fd);
    hijack.buffered_input = std::move(connection.buffered_input);
    std::string head = upgrade_response_head(upgrade, content_type);
    hijack.send_response = [&head_sent, head](int fd) -> ErrorOr<void> {
        head_sent = true;
        return sys::write_all(fd, head);
    };
    auto result = run(std::move(hijack));
    if (result.is_error() && !head_sent && spare) {
        const Error& error = result.error();
        int status = http_status(error.kind());
        std::string body = error_body(error.message());
        std::string response =
            "HTTP/1.1 " + std::to_string(status) + " " + std::string(reason_phrase(status)) +
            "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
            "\r\nConnection: close\r\n\r\n" + body;
        (void)sys::write_all(spare.get(), response);
    }
    return {};
}

ErrorOr<void> attach(Exchange& exchange, ApiContext& context) {
    const auto& request = exchange.request();
    auto container = TRY(context.engine.inspect(request.params.at("id")));
    engine::AttachOptions options;
    options.stdin_stream = parse_bool(request.query_value("stdin"));
    options.stdout_stream = parse_bool(request.query_value("stdout"));
    options.stderr_stream = parse_bool(request.query_value("stderr"));
    options.logs = parse_bool(request.query_value("logs"));
    options.stream = parse_bool(request.query_value("stream"));
    options.detach_keys = request.query_value("detachKeys");
    auto content_type = stream_content_type(request, container.config.tty);
    return hijack_and_run(exchange, content_type, [&](engine::Hijack hijack) {
        return context.engine.attach(container.id, options, std::move(hijack));
    });
}

ErrorOr<void> exec_start(Exchange& exchange, ApiContext& context) {
    const auto& request = exchange.request();
    const std::string& id = request.params.at("id");
    auto options = TRY(parse_exec_start_body(request.body));
    auto info = TRY(context.engine.exec_inspect(id));
    if (options.detach) {
        TRY(context.engine.exec_start(id, options, engine::Hijack{}));
        return exchange.respond(200, "application/json", "");
    }
    bool tty = options.tty || info.config.tty;
    return hijack_and_run(exchange, stream_content_type(request, tty), [&](engine::Hijack hijack) {
        return context.engine.exec_start(id, options, std::move(hijack));
    });
}

}  // namespace

void add_stream_routes(Router& router, ApiContext& context) {
    auto bind = [&context](ErrorOr<void> (*handler)(Exchange&, ApiContext&)) {
        return [&context, handler](Exchange& exchange) { return handler(exchange, context); };
    };
    router.add("GET", "/containers/{id}/logs", bind(logs));
    router.add("POST", "/containers/{id}/wait", bind(wait));
    router.add("POST", "/containers/{id}/attach", bind(attach));
    router.add("POST", "/exec/{id}/start", bind(exec_start));
}

}  // namespace corral::api
