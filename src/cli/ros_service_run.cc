// `ros service up|create|start|stop|restart|rm|kill|logs|ps|pull`: the configured services
// acted on through their engines (system scope: the system engine, user scope: the user
// engine). up/create go through compose::up_service, the rules init follows at boot.
#include <algorithm>
#include <cstdio>
#include <mutex>
#include <thread>

#include "cli/ros_services.h"
#include "cli/system_docker_io.h"
#include "cli/system_docker_stream.h"
#include "compose/container.h"

namespace corral::cli::ros {

namespace {

const char* scope_name(compose::Scope scope) {
    return scope == compose::Scope::system ? "system" : "user";
}

std::string join(const std::vector<std::string>& words, const char* separator) {
    std::string out;
    for (const auto& word : words)
        out += (out.empty() ? "" : separator) + word;
    return out;
}

// Runs `action` for each selected service; an error is printed and the others still run.
// Returns the exit code: 1 when any failed.
template <typename Action>
int for_each_service(Session& session, const std::vector<const compose::Service*>& services,
                     Action action) {
    int status = 0;
    for (const compose::Service* service : services) {
        auto engine = session.engine_of(*service);
        ErrorOr<void> done = engine ? action(**engine, *service) : ErrorOr<void>(engine.error());
        if (!done) {
            std::fprintf(stderr, "ros: service %s: %s\n", service->name.c_str(),
                         done.error().message().c_str());
            status = 1;
        }
    }
    return status;
}

// Opens the session and selects the named services (all when none is named), of
// context.scope alone when it is set: a named service of the other scope is an error.
ErrorOr<std::vector<const compose::Service*>> open(const Context& context,
                                                   std::optional<Session>& session) {
    session.emplace(TRY(Session::open(context)));
    auto selected = TRY(session->select(context.names));
    if (context.scope.empty())
        return selected;
    std::vector<const compose::Service*> kept;
    for (const compose::Service* service : selected) {
        if (scope_name(service->scope) == context.scope)
            kept.push_back(service);
        else if (!context.names.empty())
            return Error::invalid("service " + service->name + " is of " +
                                  scope_name(service->scope) + " scope, not " + context.scope +
                                  " (--scope)");
    }
    return kept;
}

int up(const Context& context, bool start) {
    std::optional<Session> session;
    auto selected = open(context, session);
    if (!selected)
        return fail("service " + std::string(start ? "up" : "create") + ": " +
                    selected.error().message());
    std::vector<std::string> names;
    for (const auto* service : *selected)
        names.push_back(service->name);
    // What the named services need comes up first; each in start order.
    auto ordered = compose::with_dependencies(session->services(), names);
    if (!ordered)
        return fail("service up: " + ordered.error().message());
    return for_each_service(
        *session, *ordered,
        [&](ApiEngine& engine, const compose::Service& service) -> ErrorOr<void> {
            bool named = std::find(names.begin(), names.end(), service.name) != names.end();
            compose::UpOptions options;
            options.start = start;
            options.force_recreate = named && context.force_recreate;
            options.dependency = !named;
            auto result = TRY(compose::up_service(engine, service, options));
            for (const auto& warning : service.warnings)
                std::fprintf(stderr, "ros: warning: service %s: %s\n", service.name.c_str(),
                             warning.c_str());
            std::printf("%s: %s\n", service.name.c_str(),
                        result.actions.empty() ? "unchanged" : join(result.actions, ", ").c_str());
            std::fflush(stdout);
            return {};
        });
}

// The container of a service, which must exist.
ErrorOr<compose::ContainerStatus> existing(ApiEngine& engine, const compose::Service& service) {
    auto status = TRY(engine.inspect(service.request.name));
    if (!status)
        return Error::not_found("no container " + service.request.name + " in the " +
                                engine.what() + " (ros service up " + service.name +
                                " creates it)");
    return *status;
}

std::optional<int> timeout_of(const Context& context) {
    return context.timeout >= 0 ? std::optional(context.timeout) : std::nullopt;
}

using Step = ErrorOr<void> (*)(const Context&, ApiEngine&, const compose::Service&);

int each(const Context& context, const char* what, Step step) {
    std::optional<Session> session;
    auto selected = open(context, session);
    if (!selected)
        return fail(std::string("service ") + what + ": " + selected.error().message());
    return for_each_service(*session, *selected,
                            [&](ApiEngine& engine, const compose::Service& service) {
                                return step(context, engine, service);
                            });
}

ErrorOr<void> start_step(const Context&, ApiEngine& engine, const compose::Service& service) {
    TRY(existing(engine, service));
    if (service.createonly) {
        std::printf("%s: not started (io.rancher.os.createonly)\n", service.name.c_str());
        return {};
    }
    TRY(engine.start(service.request.name));
    if (!service.detach) {
        int code = TRY(engine.wait(service.request.name));
        if (code != 0)
            return Error::internal("exited with " + std::to_string(code));
    }
    std::printf("%s: started\n", service.name.c_str());
    return {};
}

ErrorOr<void> stop_step(const Context& context, ApiEngine& engine,
                        const compose::Service& service) {
    TRY(existing(engine, service));
    TRY(engine.stop(service.request.name, timeout_of(context)));
    std::printf("%s: stopped\n", service.name.c_str());
    return {};
}

ErrorOr<void> restart_step(const Context& context, ApiEngine& engine,
                           const compose::Service& service) {
    TRY(existing(engine, service));
    TRY(engine.restart(service.request.name, timeout_of(context)));
    std::printf("%s: restarted\n", service.name.c_str());
    return {};
}

ErrorOr<void> kill_step(const Context& context, ApiEngine& engine,
                        const compose::Service& service) {
    auto status = TRY(existing(engine, service));
    if (!status.running())
        return Error::conflict("container " + service.request.name + " is not running");
    TRY(engine.kill(service.request.name, context.signal));
    std::printf("%s: killed (%s)\n", service.name.c_str(), context.signal.c_str());
    return {};
}

ErrorOr<void> rm_step(const Context& context, ApiEngine& engine, const compose::Service& service) {
    auto status = TRY(existing(engine, service));
    if (status.running() && !context.force)
        return Error::conflict("container " + service.request.name +
                               " is running: stop it first, or rm -f");
    TRY(engine.remove(service.request.name, context.force));
    std::printf("%s: removed\n", service.name.c_str());
    return {};
}

ErrorOr<void> pull_step(const Context&, ApiEngine& engine, const compose::Service& service) {
    const std::string& image = service.request.config.image;
    std::printf("%s: pulling %s\n", service.name.c_str(), image.c_str());
    std::fflush(stdout);
    TRY(engine.pull(image));
    std::printf("%s: pulled %s\n", service.name.c_str(), image.c_str());
    return {};
}

int ps(const Context& context) {
    std::optional<Session> session;
    auto selected = open(context, session);
    if (!selected)
        return fail("service ps: " + selected.error().message());
    std::vector<std::vector<std::string>> rows{{"NAME", "SCOPE", "IMAGE", "STATE"}};
    int status = 0;
    for (const compose::Service* service : *selected) {
        std::string state;
        auto engine = session->engine_of(*service);
        if (!engine) {
            state = "unknown (engine unreachable)";
            status = 1;
        } else if (auto found = (*engine)->inspect(service->request.name); !found) {
            state = "unknown (" + found.error().message() + ")";
            status = 1;
        } else if (!*found) {
            state = service->createonly ? "not created (create-only)" : "not created";
        } else {
            state = (*found)->state;
            if (state == "exited")
                state += " (" + std::to_string((*found)->exit_code) + ")";
            if (service->createonly && state == "created")
                state += " (create-only)";
        }
        rows.push_back(
            {service->name, scope_name(service->scope), service->request.config.image, state});
    }
    // Unreachable engines, once each.
    for (auto scope : {compose::Scope::system, compose::Scope::user}) {
        bool used = std::any_of(selected->begin(), selected->end(),
                                [&](const compose::Service* s) { return s->scope == scope; });
        if (!used)
            continue;
        if (auto engine = session->engine(scope); !engine)
            std::fprintf(stderr, "ros: %s\n", engine.error().message().c_str());
    }
    std::vector<size_t> widths(4, 0);
    for (const auto& row : rows) {
        for (size_t i = 0; i < row.size(); ++i)
            widths[i] = std::max(widths[i], row[i].size());
    }
    for (const auto& row : rows) {
        std::string line;
        for (size_t i = 0; i < row.size(); ++i) {
            line += row[i];
            if (i + 1 < row.size())
                line += std::string(widths[i] - row[i].size() + 3, ' ');
        }
        std::printf("%s\n", line.c_str());
    }
    return status;
}

// Writes demultiplexed log lines as "PREFIX | line", whole lines under a shared lock.
class PrefixedOutput {
  public:
    PrefixedOutput(std::string prefix, std::mutex& lock)
        : prefix_(std::move(prefix)), lock_(lock) {}
    void write(StreamId stream, std::string_view data) {
        std::string& pending = stream == StreamId::stderr_stream ? err_ : out_;
        pending.append(data);
        size_t newline;
        while ((newline = pending.find('\n')) != std::string::npos) {
            emit(stream, pending.substr(0, newline + 1));
            pending.erase(0, newline + 1);
        }
    }
    void finish() {
        if (!out_.empty())
            emit(StreamId::stdout_stream, out_ + "\n");
        if (!err_.empty())
            emit(StreamId::stderr_stream, err_ + "\n");
        out_.clear();
        err_.clear();
    }

  private:
    void emit(StreamId stream, const std::string& line) {
        std::lock_guard guard(lock_);
        FILE* file = stream == StreamId::stderr_stream ? stderr : stdout;
        std::fprintf(file, "%s | %s", prefix_.c_str(), line.c_str());
        std::fflush(file);
    }
    std::string prefix_;
    std::mutex& lock_;
    std::string out_;
    std::string err_;
};

ErrorOr<void> stream_logs(const Context& context, ApiEngine& engine,
                          const compose::Service& service, const std::string& prefix,
                          std::mutex& lock) {
    TRY(existing(engine, service));
    Json container = TRY(engine.inspect_json(service.request.name));
    bool tty = container.contains("Config") && container["Config"].is_object() &&
               container["Config"].value("Tty", false);
    std::string query = "?stdout=1&stderr=1";
    if (context.follow)
        query += "&follow=1";
    if (context.lines >= 0)
        query += "&tail=" + std::to_string(context.lines);
    DockerApi& api = engine.api();
    auto connection = TRY(api.open_stream(
        api.request("GET", "/containers/" + url_encode(service.request.name) + "/logs" + query)));
    if (prefix.empty())
        return copy_body_to_output(connection, tty);
    PrefixedOutput output(prefix, lock);
    StreamDemultiplexer demultiplexer([&](StreamId stream, std::string_view data) -> ErrorOr<void> {
        output.write(stream, data);
        return {};
    });
    for (;;) {
        auto piece = TRY(connection.read_body_some());
        if (!piece)
            break;
        if (tty)
            output.write(StreamId::stdout_stream, *piece);
        else
            TRY(demultiplexer.feed(*piece));
    }
    output.finish();
    return {};
}

int logs(const Context& context) {
    std::optional<Session> session;
    auto selected = open(context, session);
    if (!selected)
        return fail("service logs: " + selected.error().message());
    // Connect every engine needed before the threads start (Session is not thread-safe).
    std::vector<std::pair<ApiEngine*, const compose::Service*>> targets;
    int status = 0;
    for (const compose::Service* service : *selected) {
        auto engine = session->engine_of(*service);
        if (!engine) {
            std::fprintf(stderr, "ros: service %s: %s\n", service->name.c_str(),
                         engine.error().message().c_str());
            status = 1;
            continue;
        }
        targets.emplace_back(*engine, service);
    }
    size_t width = 0;
    for (const auto& target : targets)
        width = std::max(width, target.second->name.size());
    std::mutex lock;
    std::vector<std::optional<Error>> errors(targets.size());
    auto run = [&](size_t i) {
        const auto& [engine, service] = targets[i];
        std::string prefix;
        if (targets.size() > 1)
            prefix = service->name + std::string(width - service->name.size(), ' ');
        auto done = stream_logs(context, *engine, *service, prefix, lock);
        if (!done)
            errors[i] = done.release_error();
    };
    if (context.follow && targets.size() > 1) {
        std::vector<std::thread> threads;
        for (size_t i = 0; i < targets.size(); ++i)
            threads.emplace_back(run, i);
        for (auto& thread : threads)
            thread.join();
    } else {
        for (size_t i = 0; i < targets.size(); ++i)
            run(i);
    }
    for (size_t i = 0; i < targets.size(); ++i) {
        if (errors[i]) {
            std::fprintf(stderr, "ros: service %s: %s\n", targets[i].second->name.c_str(),
                         errors[i]->message().c_str());
            status = 1;
        }
    }
    return status;
}

CLI::App* names_command(CLI::App& parent, Context& context, const char* name,
                        const char* description, bool required) {
    CLI::App* command = parent.add_subcommand(name, description);
    auto* option = command->add_option("NAME", context.names,
                                       required ? "Services" : "Services (default: all)");
    if (required)
        option->required();
    return command;
}

// --scope for the commands that default to every service: the user engine's service brings
// up the user-scope ones with `ros service up --scope user` once it answers.
void add_scope_option(CLI::App* command, Context& context) {
    command
        ->add_option("--scope", context.scope,
                     "Only services of this scope (io.rancher.os.scope): system or user")
        ->check(CLI::IsMember({"system", "user"}));
}

}  // namespace

void add_service_run_commands(CLI::App& service, Context& context) {
    CLI::App* up_command = names_command(
        service, context, "up",
        "Create (or recreate when changed) and start services and what they depend on", false);
    up_command->add_flag("--force-recreate", context.force_recreate,
                         "Recreate the named services' containers even when unchanged");
    add_scope_option(up_command, context);
    up_command->callback([&context] { context.action = [&context] { return up(context, true); }; });

    CLI::App* create = names_command(
        service, context, "create",
        "Create (or recreate when changed) services' containers without starting them", false);
    create->add_flag("--force-recreate", context.force_recreate,
                     "Recreate the named services' containers even when unchanged");
    add_scope_option(create, context);
    create->callback([&context] { context.action = [&context] { return up(context, false); }; });

    names_command(service, context, "start", "Start services' existing containers", true)
        ->callback([&context] {
            context.action = [&context] { return each(context, "start", start_step); };
        });
    CLI::App* stop = names_command(service, context, "stop", "Stop services", true);
    stop->add_option("-t,--timeout", context.timeout,
                     "Seconds to wait before killing (default: the container's)");
    stop->callback(
        [&context] { context.action = [&context] { return each(context, "stop", stop_step); }; });
    CLI::App* restart = names_command(service, context, "restart", "Restart services", true);
    restart->add_option("-t,--timeout", context.timeout,
                        "Seconds to wait before killing (default: the container's)");
    restart->callback([&context] {
        context.action = [&context] { return each(context, "restart", restart_step); };
    });
    CLI::App* remove =
        names_command(service, context, "rm", "Remove services' stopped containers", true);
    remove->add_flag("-f,--force", context.force, "Also remove running containers");
    remove->callback(
        [&context] { context.action = [&context] { return each(context, "rm", rm_step); }; });
    CLI::App* kill = names_command(service, context, "kill", "Send a signal to services", true);
    kill->add_option("-s,--signal", context.signal, "Signal to send (default SIGKILL)");
    kill->callback(
        [&context] { context.action = [&context] { return each(context, "kill", kill_step); }; });
    CLI::App* logs_command = names_command(service, context, "logs", "Print services' logs", true);
    logs_command->add_flag("-f,--follow", context.follow, "Follow the output");
    logs_command->add_option("--lines,-n,--tail", context.lines,
                             "Lines from the end of each log (default: all)");
    logs_command->callback([&context] { context.action = [&context] { return logs(context); }; });
    CLI::App* ps_command =
        names_command(service, context, "ps", "List services' containers and their state", false);
    add_scope_option(ps_command, context);
    ps_command->callback([&context] { context.action = [&context] { return ps(context); }; });
    names_command(service, context, "pull", "Pull services' images into their engines", false)
        ->callback([&context] {
            context.action = [&context] { return each(context, "pull", pull_step); };
        });
}

}  // namespace corral::cli::ros
