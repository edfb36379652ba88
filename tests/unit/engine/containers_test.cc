// The engine with real containers: crun through the runtime's shim, a busybox image from the
// image store, in the test's private mount namespace.
#include <signal.h>
#include <sys/stat.h>

#include "engine_fixture.h"

namespace corral::engine::testing {
namespace {

using Strings = std::vector<std::string>;
// Subscriptions in these tests end after this long, so a missing event fails instead of hanging.
constexpr int64_t second_ns = 1'000'000'000;

std::vector<Event> drain_events(Engine& engine, int64_t since_ns, const EventFilters& filters) {
    std::vector<Event> events;
    auto subscription = engine.subscribe(since_ns, sys::realtime_ns(), filters);
    EXPECT_FALSE(subscription.is_error());
    if (subscription.is_error())
        return events;
    for (;;) {
        auto next = (*subscription)->next({});
        if (next.is_error() || !next->has_value())
            break;
        events.push_back(**next);
    }
    return events;
}

Strings actions_of(const std::vector<Event>& events) {
    Strings actions;
    for (const auto& event : events)
        actions.push_back(event.action);
    return actions;
}

TEST_F(EngineTest, RunToCompletionWithLogsAndEvents) {
    int64_t begin = sys::realtime_ns();
    std::string id =
        create_and_start({"sh", "-c", "echo out; echo err >&2; echo $FROM_IMAGE; exit 3"}, "job");
    ASSERT_FALSE(id.empty());
    EXPECT_EQ(wait_exit(id), 3);
    auto container = engine_->inspect("job");
    ASSERT_FALSE(container.is_error());
    EXPECT_EQ(container->id, id);
    EXPECT_EQ(container->state.status, Status::exited);
    EXPECT_EQ(container->state.exit_code, 3);
    EXPECT_GT(container->state.finished_at_ns, container->state.started_at_ns);
    EXPECT_EQ(container->path, "sh");
    EXPECT_EQ(container->config.hostname, id.substr(0, 12));
    EXPECT_EQ(all_logs(id, true, false), "out\nyes\n");
    EXPECT_EQ(all_logs(id, false, true), "err\n");

    auto events = drain_events(*engine_, begin, {.containers = {"job"}});
    EXPECT_EQ(actions_of(events), (Strings{"create", "start", "die"}));
    ASSERT_EQ(events.size(), 3u);
    EXPECT_EQ(events[2].attributes.at("exitCode"), "3");
    EXPECT_EQ(events[2].attributes.at("name"), "job");
    EXPECT_EQ(events[2].attributes.at("image"), "busybox:test");

    // Started again, it runs again: logs accumulate, state follows.
    ASSERT_FALSE(engine_->start("job").is_error());
    EXPECT_EQ(wait_exit(id), 3);
    EXPECT_EQ(all_logs(id, true, false), "out\nyes\nout\nyes\n");
}

TEST_F(EngineTest, NamesResolveRenameAndConflicts) {
    auto first = engine_->create_container(request({"true"}, "web"));
    ASSERT_FALSE(first.is_error());
    auto duplicate = engine_->create_container(request({"true"}, "web"));
    ASSERT_TRUE(duplicate.is_error());
    EXPECT_EQ(duplicate.error().kind(), ErrorKind::conflict);
    EXPECT_EQ(duplicate.error().message(),
              "Conflict. The container name \"/web\" is already in use by container \"" +
                  first->id +
                  "\". You have to remove (or rename) that container to be able to reuse that "
                  "name.");
    EXPECT_TRUE(engine_->create_container(request({"true"}, "bad name")).is_error());
    auto generated = engine_->create_container(request({"true"}));
    ASSERT_FALSE(generated.is_error());
    auto inspected = engine_->inspect(generated->id);
    ASSERT_FALSE(inspected.is_error());
    EXPECT_NE(inspected->name.find('_'), std::string::npos);

    EXPECT_EQ(*engine_->resolve("/web"), first->id);
    EXPECT_EQ(*engine_->resolve(first->id.substr(0, 12)), first->id);
    auto missing = engine_->resolve("nothing-here");
    ASSERT_TRUE(missing.is_error());
    EXPECT_EQ(missing.error().kind(), ErrorKind::not_found);
    EXPECT_EQ(missing.error().message(), "No such container: nothing-here");

    auto no_image = engine_->create_container([&] {
        auto r = request({"true"});
        r.config.image = "absent:image";
        return r;
    }());
    ASSERT_TRUE(no_image.is_error());
    EXPECT_EQ(no_image.error().kind(), ErrorKind::not_found);

    ASSERT_FALSE(engine_->rename("web", "web2").is_error());
    EXPECT_EQ(*engine_->resolve("web2"), first->id);
    EXPECT_TRUE(engine_->resolve("web").is_error());
    EXPECT_EQ(engine_->rename("web2", inspected->name).error().kind(), ErrorKind::conflict);

    auto listed = engine_->list({.all = true});
    ASSERT_FALSE(listed.is_error());
    EXPECT_EQ(listed->size(), 2u);
    EXPECT_EQ(engine_->list({})->size(), 0u);
    auto user = engine_->image_in_use(image_id_);
    ASSERT_TRUE(user.has_value());
    EXPECT_TRUE(*user == first->id || *user == generated->id);
    auto image_user = engine_->image_user(image_id_);
    ASSERT_TRUE(image_user.has_value());
    EXPECT_FALSE(image_user->running);
}

TEST_F(EngineTest, StopEscalatesToKillAfterTimeout) {
    int64_t begin = sys::realtime_ns();
    // The shell is PID 1 of its container: SIGTERM has no default action there.
    std::string id =
        create_and_start({"sh", "-c", "echo ready; while true; do sleep 1; done"}, "stubborn");
    ASSERT_FALSE(id.empty());
    auto stop_started = std::chrono::steady_clock::now();
    auto stopped = engine_->stop(id, 1, {});
    auto took = std::chrono::steady_clock::now() - stop_started;
    ASSERT_FALSE(stopped.is_error()) << stopped.error().message();
    EXPECT_GE(took, std::chrono::milliseconds(900));
    EXPECT_LT(took, std::chrono::seconds(8));
    auto container = engine_->inspect(id);
    EXPECT_EQ(container->state.status, Status::exited);
    EXPECT_EQ(container->state.exit_code, 137);
    auto again = engine_->stop(id, 1, {});
    ASSERT_TRUE(again.is_error());
    EXPECT_EQ(again.error().kind(), ErrorKind::not_modified);
    auto events = drain_events(*engine_, begin, {.containers = {id}});
    EXPECT_EQ(actions_of(events), (Strings{"create", "start", "kill", "kill", "die", "stop"}));
    EXPECT_EQ(events.at(2).attributes.at("signal"), std::to_string(SIGTERM));
    EXPECT_EQ(events.at(3).attributes.at("signal"), std::to_string(SIGKILL));
}

TEST_F(EngineTest, StopSignalEndsPromptlyAndKillByName) {
    auto create = request({"sh", "-c", "trap 'exit 42' USR1; while true; do sleep 0.1; done"});
    create.config.stop_signal = "SIGUSR1";
    auto created = engine_->create_container(create);
    ASSERT_FALSE(created.is_error());
    ASSERT_FALSE(engine_->start(created->id).is_error());
    auto began = std::chrono::steady_clock::now();
    ASSERT_FALSE(engine_->stop(created->id, 10, {}).is_error());
    EXPECT_LT(std::chrono::steady_clock::now() - began, std::chrono::seconds(5));
    EXPECT_EQ(engine_->inspect(created->id)->state.exit_code, 42);

    ASSERT_FALSE(engine_->start(created->id).is_error());
    auto killed = engine_->kill(created->id, "KILL");
    ASSERT_FALSE(killed.is_error()) << killed.error().message();
    EXPECT_EQ(wait_exit(created->id), 137);
    auto not_running = engine_->kill(created->id, "9");
    ASSERT_TRUE(not_running.is_error());
    EXPECT_EQ(not_running.error().kind(), ErrorKind::conflict);
    EXPECT_TRUE(engine_->kill(created->id, "SIGNOPE").is_error());
}

TEST_F(EngineTest, RemoveRunningNeedsForce) {
    std::string id = create_and_start({"sh", "-c", "while true; do sleep 1; done"}, "busy");
    auto refused = engine_->remove(id, {});
    ASSERT_TRUE(refused.is_error());
    EXPECT_EQ(refused.error().kind(), ErrorKind::conflict);
    EXPECT_EQ(refused.error().message(),
              "You cannot remove a running container " + id +
                  ". Stop the container before attempting removal or force remove");
    // Begun before the removal (which may be over before a thread gets to wait).
    auto pending = engine_->begin_wait(id, WaitCondition::removed);
    ASSERT_FALSE(pending.is_error());
    ErrorOr<WaitResult> waited = Error::internal("not run");
    std::thread waiter_thread([&] { waited = (*pending)->wait({}); });
    ASSERT_FALSE(engine_->remove(id, {.force = true}).is_error());
    waiter_thread.join();
    ASSERT_FALSE(waited.is_error());
    EXPECT_EQ(waited->exit_code, 137);
    EXPECT_TRUE(engine_->inspect(id).is_error());
    EXPECT_FALSE(fs::exists(options_.data_root + "/containers/" + id).value());
    EXPECT_FALSE(engine_->image_in_use(image_id_).has_value());
}

TEST_F(EngineTest, AutoRemoveAfterExit) {
    auto create = request({"sh", "-c", "exit 0"});
    create.host_config.auto_remove = true;
    auto created = engine_->create_container(create);
    ASSERT_FALSE(created.is_error());
    // The wait begins before the start, as clients do: the removal may be over before a wait
    // begun after the start would find the container.
    auto pending = engine_->begin_wait(created->id, WaitCondition::removed);
    ASSERT_FALSE(pending.is_error());
    ASSERT_FALSE(engine_->start(created->id).is_error());
    auto waited = (*pending)->wait({});
    ASSERT_FALSE(waited.is_error());
    EXPECT_EQ(waited->exit_code, 0);
    EXPECT_EQ(engine_->inspect(created->id).error().kind(), ErrorKind::not_found);
    // Its record's directory left before the waiters were told; its files, and the exec-root
    // dir (once the shim has unmounted the rootfs and gone), go on the worker afterwards.
    EXPECT_FALSE(fs::exists(options_.data_root + "/containers/" + created->id).value());
    auto all_gone = [&] {
        if (fs::exists(options_.exec_root + "/containers/" + created->id).value())
            return false;
        for (const auto& trash : {options_.data_root + "/trash", options_.exec_root + "/trash"}) {
            auto entries = fs::list_dir(trash);
            if (!entries.is_error() && !entries->empty())
                return false;
        }
        return true;
    };
    for (int i = 0; i < 500 && !all_gone(); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    EXPECT_TRUE(all_gone());

    auto conflicting = request({"true"});
    conflicting.host_config.auto_remove = true;
    conflicting.host_config.restart_policy.name = RestartPolicy::Name::always;
    EXPECT_TRUE(engine_->create_container(conflicting).is_error());
}

TEST_F(EngineTest, OnFailureRestartsWithBackoffThenGivesUp) {
    int64_t begin = sys::realtime_ns();
    auto create = request({"sh", "-c", "echo attempt; exit 1"}, "flaky");
    create.host_config.restart_policy = {RestartPolicy::Name::on_failure, 2};
    auto created = engine_->create_container(create);
    ASSERT_FALSE(created.is_error());
    ASSERT_FALSE(engine_->start(created->id).is_error());
    // Three runs (the first and two restarts) give three "die" events.
    auto subscription = engine_->subscribe(begin, sys::realtime_ns() + 30 * second_ns,
                                           {.actions = {"die"}, .containers = {"flaky"}});
    ASSERT_FALSE(subscription.is_error());
    for (int i = 0; i < 3; ++i) {
        auto event = (*subscription)->next({});
        ASSERT_FALSE(event.is_error());
        ASSERT_TRUE(event->has_value());
    }
    auto final_state = engine_->wait(created->id, WaitCondition::not_running, {});
    ASSERT_FALSE(final_state.is_error());
    auto container = engine_->inspect(created->id);
    EXPECT_EQ(container->state.restart_count, 2);
    EXPECT_EQ(container->state.status, Status::exited);
    EXPECT_EQ(all_logs(created->id), "attempt\nattempt\nattempt\n");
    // Backoff: 100 ms then 200 ms between the runs.
    EXPECT_GE(sys::realtime_ns() - begin, 300'000'000);
}

TEST_F(EngineTest, AlwaysRestartsUntilStopped) {
    auto create = request({"sh", "-c", "sleep 0.2; exit 0"}, "looper");
    create.host_config.restart_policy = {RestartPolicy::Name::always, 0};
    auto created = engine_->create_container(create);
    ASSERT_FALSE(created.is_error());
    int64_t begin = sys::realtime_ns();
    ASSERT_FALSE(engine_->start(created->id).is_error());
    auto subscription =
        engine_->subscribe(begin, sys::realtime_ns() + 30 * second_ns, {.actions = {"start"}});
    ASSERT_FALSE(subscription.is_error());
    for (int i = 0; i < 3; ++i) {
        auto event = (*subscription)->next({});
        ASSERT_FALSE(event.is_error());
        ASSERT_TRUE(event->has_value());
    }
    auto stopped = engine_->stop(created->id, 1, {});
    EXPECT_TRUE(!stopped.is_error() || stopped.error().kind() == ErrorKind::not_modified);
    auto container = engine_->inspect(created->id);
    EXPECT_EQ(container->state.status, Status::exited);
    EXPECT_GE(container->state.restart_count, 2);
    EXPECT_TRUE(container->state.stopped_by_user);
    // Stopped by the user: it stays down.
    auto waited = engine_->wait(created->id, WaitCondition::not_running, {});
    ASSERT_FALSE(waited.is_error());
    EXPECT_EQ(engine_->inspect(created->id)->state.status, Status::exited);
}

TEST_F(EngineTest, FollowLogsUntilExit) {
    std::string id = create_and_start(
        {"sh", "-c", "for i in 1 2 3; do echo line$i; sleep 0.2; done; echo done >&2"});
    std::string followed;
    LogOptions options;
    options.follow = true;
    options.timestamps = true;
    auto read = engine_->logs(id, options,
                              [&](LogStream, std::string_view data) -> ErrorOr<void> {
                                  followed.append(data);
                                  return {};
                              },
                              {});
    ASSERT_FALSE(read.is_error()) << read.error().message();
    EXPECT_NE(followed.find("Z line1\n"), std::string::npos) << followed;
    EXPECT_NE(followed.find("Z line3\n"), std::string::npos);
    EXPECT_NE(followed.find("Z done\n"), std::string::npos);
    EXPECT_EQ(engine_->inspect(id)->state.status, Status::exited);
}

TEST_F(EngineTest, AttachBeforeStartSeesAllOutput) {
    auto create = request({"sh", "-c", "echo hello; echo oops >&2; exit 0"});
    auto created = engine_->create_container(create);
    ASSERT_FALSE(created.is_error());
    int sockets[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sockets), 0);
    UniqueFd ours(sockets[0]);
    bool responded = false;
    Hijack hijack;
    hijack.connection = UniqueFd(sockets[1]);
    hijack.send_response = [&](int fd) -> ErrorOr<void> {
        responded = true;
        return sys::write_all(fd, "HEAD\n");
    };
    ErrorOr<void> attached;
    std::thread attacher([&] {
        attached = engine_->attach(created->id,
                                   {.stdout_stream = true, .stderr_stream = true, .stream = true},
                                   std::move(hijack));
        ::shutdown(ours.get(), SHUT_RDWR);
    });
    char head[5];
    ASSERT_EQ(::read(ours.get(), head, 5), 5);  // the response head comes before the start
    ASSERT_FALSE(engine_->start(created->id).is_error());
    auto [out, err] = read_frames(ours.get());
    attacher.join();
    EXPECT_TRUE(responded);
    ASSERT_FALSE(attached.is_error()) << attached.error().message();
    EXPECT_EQ(out, "hello\n");
    EXPECT_EQ(err, "oops\n");

    // A stopped container refuses a streaming attach, before any response is written.
    Hijack late;
    int more[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, more), 0);
    UniqueFd late_ours(more[0]);
    late.connection = UniqueFd(more[1]);
    EXPECT_EQ(wait_exit(created->id), 0);
    auto refused =
        engine_->attach(created->id, {.stdout_stream = true, .stream = true}, std::move(late));
    ASSERT_TRUE(refused.is_error());
    EXPECT_EQ(refused.error().kind(), ErrorKind::conflict);
}

TEST_F(EngineTest, ExecAndTop) {
    std::string id = create_and_start({"sh", "-c", "while true; do sleep 1; done"}, "host");
    ASSERT_FALSE(id.empty());
    ExecConfig config;
    config.cmd = {"sh", "-c", "echo from-exec; echo to-err >&2; exit 4"};
    auto exec_id = engine_->exec_create("host", config);
    ASSERT_FALSE(exec_id.is_error()) << exec_id.error().message();
    int sockets[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sockets), 0);
    UniqueFd ours(sockets[0]);
    Hijack hijack;
    hijack.connection = UniqueFd(sockets[1]);
    ErrorOr<void> started;
    std::thread runner([&] {
        started = engine_->exec_start(*exec_id, {}, std::move(hijack));
        ::shutdown(ours.get(), SHUT_RDWR);
    });
    auto [out, err] = read_frames(ours.get());
    runner.join();
    ASSERT_FALSE(started.is_error()) << started.error().message();
    EXPECT_EQ(out, "from-exec\n");
    EXPECT_EQ(err, "to-err\n");
    auto info = engine_->exec_inspect(*exec_id);
    ASSERT_FALSE(info.is_error());
    EXPECT_FALSE(info->running);
    EXPECT_EQ(info->exit_code, 4);
    EXPECT_EQ(engine_->exec_start(*exec_id, {}, {}).error().kind(), ErrorKind::conflict);
    EXPECT_EQ(engine_->exec_inspect("nope").error().kind(), ErrorKind::not_found);

    // Detached: it runs on its own and its exit is recorded.
    config.cmd = {"sh", "-c", "exit 6"};
    auto detached = engine_->exec_create(id, config);
    ASSERT_FALSE(detached.is_error());
    ASSERT_FALSE(engine_->exec_start(*detached, {.detach = true}, {}).is_error());
    for (int i = 0; i < 100 && engine_->exec_inspect(*detached)->running; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    EXPECT_EQ(engine_->exec_inspect(*detached)->exit_code, 6);

    auto top = engine_->top(id, "");
    ASSERT_FALSE(top.is_error()) << top.error().message();
    EXPECT_NE(std::find(top->titles.begin(), top->titles.end(), "PID"), top->titles.end());
    ASSERT_FALSE(top->processes.empty());
    bool saw_shell = false;
    for (const auto& row : top->processes)
        saw_shell = saw_shell || row.back().find("while true") != std::string::npos;
    EXPECT_TRUE(saw_shell);
}

TEST_F(EngineTest, ReadoptsRunningContainerAfterEngineRestart) {
    std::string id =
        create_and_start({"sh", "-c",
                          "echo before; while [ ! -e /tmp/go ]; do sleep 0.1; done; echo after; "
                          "exit 7"},
                         "survivor");
    ASSERT_FALSE(id.empty());
    int pid = engine_->inspect(id)->state.pid;
    ASSERT_GT(pid, 0);
    // The daemon goes away; the container does not.
    engine_->shutdown();
    engine_.reset();
    ASSERT_EQ(::kill(pid, 0), 0);
    make_engine();
    auto container = engine_->inspect("survivor");
    ASSERT_FALSE(container.is_error());
    EXPECT_EQ(container->state.status, Status::running);
    EXPECT_EQ(container->state.pid, pid);
    // Let it finish through an exec; the new engine sees the exit and its code.
    ExecConfig touch;
    touch.cmd = {"touch", "/tmp/go"};
    auto exec_id = engine_->exec_create(id, touch);
    ASSERT_FALSE(exec_id.is_error()) << exec_id.error().message();
    ASSERT_FALSE(engine_->exec_start(*exec_id, {.detach = true}, {}).is_error());
    EXPECT_EQ(wait_exit(id), 7);
    EXPECT_EQ(all_logs(id), "before\nafter\n");
}

TEST_F(EngineTest, LearnsExitThatHappenedWhileAway) {
    std::string id = create_and_start({"sh", "-c", "sleep 0.5; exit 5"}, "brief");
    ASSERT_FALSE(id.empty());
    engine_->shutdown();
    engine_.reset();
    ASSERT_NO_FATAL_FAILURE(wait_for_shim_to_end(id));
    options_.restore_restart_policies = true;
    make_engine();
    auto container = engine_->inspect(id);
    ASSERT_FALSE(container.is_error());
    EXPECT_EQ(container->state.status, Status::exited);
    EXPECT_EQ(container->state.exit_code, 5);
}

TEST_F(EngineTest, RestartLeavesTheRecordsOfStoppedContainersAsTheyAre) {
    std::string exited = create_and_start({"sh", "-c", "exit 3"}, "exited");
    ASSERT_FALSE(exited.empty());
    EXPECT_EQ(wait_exit(exited), 3);
    auto created = engine_->create_container(request({"true"}, "created"));
    ASSERT_FALSE(created.is_error()) << created.error().message();
    engine_->shutdown();
    engine_.reset();
    // A record written again is a new file renamed over the old one: a new inode.
    auto inode_of = [&](const std::string& id) -> ino_t {
        struct stat status {};
        std::string record = options_.data_root + "/containers/" + id + "/container.json";
        EXPECT_EQ(::stat(record.c_str(), &status), 0) << record;
        return status.st_ino;
    };
    ino_t exited_inode = inode_of(exited);
    ino_t created_inode = inode_of(created->id);
    make_engine();
    auto container = engine_->inspect("exited");
    ASSERT_FALSE(container.is_error());
    EXPECT_EQ(container->state.status, Status::exited);
    EXPECT_EQ(container->state.exit_code, 3);
    EXPECT_EQ(engine_->inspect("created")->state.status, Status::created);
    EXPECT_EQ(inode_of(exited), exited_inode);
    EXPECT_EQ(inode_of(created->id), created_inode);
}

TEST_F(EngineTest, RemovesAutoRemoveContainerThatExitedWhileAway) {
    auto create = request({"sh", "-c", "sleep 0.5; exit 4"}, "gone-away");
    create.host_config.auto_remove = true;
    auto created = engine_->create_container(create);
    ASSERT_FALSE(created.is_error());
    std::string id = created->id;
    ASSERT_FALSE(engine_->start(id).is_error());
    engine_->shutdown();
    engine_.reset();
    ASSERT_NO_FATAL_FAILURE(wait_for_shim_to_end(id));
    make_engine();
    // As dockerd: the new engine removes it (nobody waits for it any more).
    bool gone = false;
    for (int i = 0; i < 200 && !gone; ++i) {
        gone = engine_->inspect(id).is_error();
        if (!gone)
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    EXPECT_TRUE(gone);
    EXPECT_FALSE(fs::exists(options_.data_root + "/containers/" + id).value());
}

TEST_F(EngineTest, AlwaysPolicyStartsOnEngineStart) {
    auto create = request({"sh", "-c", "while true; do sleep 1; done"}, "service");
    create.host_config.restart_policy = {RestartPolicy::Name::always, 0};
    auto created = engine_->create_container(create);
    ASSERT_FALSE(created.is_error());
    ASSERT_FALSE(engine_->start(created->id).is_error());
    ASSERT_FALSE(engine_->stop(created->id, 1, {}).is_error());
    engine_.reset();
    int64_t begin = sys::realtime_ns();
    make_engine();
    auto subscription =
        engine_->subscribe(begin, sys::realtime_ns() + 30 * second_ns, {.actions = {"start"}});
    ASSERT_FALSE(subscription.is_error());
    auto started = (*subscription)->next({});
    ASSERT_FALSE(started.is_error());
    ASSERT_TRUE(started->has_value());
    EXPECT_EQ((*started)->id, created->id);
    EXPECT_EQ(engine_->inspect(created->id)->state.status, Status::running);
}

TEST_F(EngineTest, MountsVolumesAndVolumesFrom) {
    std::string host_dir = dir_->path() + "/shared";
    ASSERT_FALSE(fs::mkdir_p(host_dir).is_error());
    ASSERT_FALSE(fs::write_file_atomic(host_dir + "/greeting", "hi from host\n").is_error());
    auto create = request({"sh", "-c", "cat /data/greeting; echo stored > /vol/file"}, "writer");
    MountSpec bind;
    bind.source = host_dir;
    bind.target = "/data";
    bind.read_only = true;
    MountSpec volume;
    volume.type = MountSpec::Type::volume;
    volume.source = "named";
    volume.target = "/vol";
    create.host_config.mounts = {bind, volume};
    auto created = engine_->create_container(create);
    ASSERT_FALSE(created.is_error()) << created.error().message();
    ASSERT_FALSE(engine_->start(created->id).is_error());
    EXPECT_EQ(wait_exit(created->id), 0);
    EXPECT_EQ(all_logs(created->id), "hi from host\n");
    EXPECT_EQ(*fs::read_file(options_.data_root + "/volumes/named/_data/file"), "stored\n");

    auto reader = request({"sh", "-c", "cat /vol/file; cat /data/greeting"}, "reader");
    reader.host_config.volumes_from = {"writer:ro"};
    auto second = engine_->create_container(reader);
    ASSERT_FALSE(second.is_error()) << second.error().message();
    auto inspected = engine_->inspect(second->id);
    ASSERT_EQ(inspected->mounts.size(), 2u);
    EXPECT_TRUE(inspected->mounts[0].read_only);
    ASSERT_FALSE(engine_->start(second->id).is_error());
    EXPECT_EQ(wait_exit(second->id), 0);
    EXPECT_EQ(all_logs(second->id), "stored\nhi from host\n");

    auto missing = request({"true"});
    MountSpec absent;
    absent.source = "/no/such/dir";
    absent.target = "/x";
    missing.host_config.mounts = {absent};
    auto refused = engine_->create_container(missing);
    ASSERT_TRUE(refused.is_error());
    EXPECT_EQ(refused.error().message(),
              "invalid mount config for type \"bind\": bind source path does not exist: "
              "/no/such/dir");
}

}  // namespace
}  // namespace corral::engine::testing

namespace corral::engine::testing {
namespace {

struct AttachedClient {
    UniqueFd ours;
    std::thread thread;
    ErrorOr<void> result;
};

void attach_in_background(Engine& engine, const std::string& id, AttachOptions options,
                          AttachedClient& client) {
    int sockets[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sockets), 0);
    client.ours.reset(sockets[0]);
    auto hijack = std::make_shared<Hijack>();
    hijack->connection = UniqueFd(sockets[1]);
    int ours = sockets[0];
    client.thread = std::thread([&engine, id, options, hijack, &client, ours] {
        client.result = engine.attach(id, options, std::move(*hijack));
        ::shutdown(ours, SHUT_RDWR);
    });
}

TEST_F(EngineTest, StdinPipedBeforeStartReachesTheContainer) {
    auto create = request({"cat"});
    create.config.open_stdin = true;
    create.config.stdin_once = true;
    create.config.attach_stdin = true;
    create.config.attach_stdout = true;
    auto created = engine_->create_container(create);
    ASSERT_FALSE(created.is_error());
    AttachedClient client;
    attach_in_background(*engine_, created->id,
                         {.stdin_stream = true, .stdout_stream = true, .stream = true}, client);
    // As `echo ... | docker run -i`: all of stdin, then its end, possibly before the start.
    ASSERT_FALSE(sys::write_all(client.ours.get(), "first line\nsecond line\n").is_error());
    ASSERT_EQ(::shutdown(client.ours.get(), SHUT_WR), 0);
    ASSERT_FALSE(engine_->start(created->id).is_error());
    auto [out, err] = read_frames(client.ours.get());
    client.thread.join();
    ASSERT_FALSE(client.result.is_error()) << client.result.error().message();
    EXPECT_EQ(out, "first line\nsecond line\n");
    EXPECT_EQ(wait_exit(created->id), 0);
}

TEST_F(EngineTest, TtyAttachIsRawAndInteractive) {
    auto create = request({"sh", "-c", "read answer; echo got-$answer; exit 9"});
    create.config.tty = true;
    create.config.open_stdin = true;
    auto created = engine_->create_container(create);
    ASSERT_FALSE(created.is_error());
    ASSERT_FALSE(engine_->start(created->id).is_error());
    AttachedClient client;
    attach_in_background(*engine_, created->id,
                         {.stdin_stream = true, .stdout_stream = true, .stream = true}, client);
    ASSERT_FALSE(engine_->resize(created->id, 40, 120).is_error());
    ASSERT_FALSE(sys::write_all(client.ours.get(), "yes\n").is_error());
    std::string raw;
    char buffer[4096];
    for (;;) {
        ssize_t n = ::read(client.ours.get(), buffer, sizeof(buffer));
        if (n <= 0)
            break;
        raw.append(buffer, static_cast<size_t>(n));
    }
    client.thread.join();
    ASSERT_FALSE(client.result.is_error()) << client.result.error().message();
    // No frame headers, and the terminal's line ending.
    EXPECT_NE(raw.find("got-yes\r\n"), std::string::npos) << raw;
    EXPECT_EQ(raw.find(std::string("\x01\0\0\0", 4)), std::string::npos);
    EXPECT_EQ(wait_exit(created->id), 9);
}

TEST_F(EngineTest, DetachKeysEndTheAttachNotTheContainer) {
    auto create = request({"sh", "-c", "while true; do sleep 1; done"});
    create.config.tty = true;
    create.config.open_stdin = true;
    auto created = engine_->create_container(create);
    ASSERT_FALSE(created.is_error());
    ASSERT_FALSE(engine_->start(created->id).is_error());
    AttachedClient client;
    attach_in_background(
        *engine_, created->id,
        {.stdin_stream = true, .stdout_stream = true, .stream = true, .detach_keys = "ctrl-a,x"},
        client);
    ASSERT_FALSE(sys::write_all(client.ours.get(), "\x01x").is_error());
    client.thread.join();
    ASSERT_FALSE(client.result.is_error());
    EXPECT_EQ(engine_->inspect(created->id)->state.status, Status::running);
}

TEST_F(EngineTest, NextExitWaitMadeBeforeStartSeesAQuickExit) {
    auto created = engine_->create_container(request({"true"}));
    ASSERT_FALSE(created.is_error());
    auto pending = engine_->begin_wait(created->id, WaitCondition::next_exit);
    ASSERT_FALSE(pending.is_error());
    ASSERT_FALSE(engine_->start(created->id).is_error());
    // The container may be gone before we block: the wait still sees its exit.
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    auto result = (*pending)->wait({});
    ASSERT_FALSE(result.is_error());
    EXPECT_EQ(result->exit_code, 0);
}

}  // namespace
}  // namespace corral::engine::testing

namespace corral::engine::testing {
namespace {

TEST_F(EngineTest, ContainerNetworkModeJoinsARunningContainer) {
    auto create_base = request({"sh", "-c", "while true; do sleep 1; done"}, "netbase");
    create_base.config.hostname = "base-host";
    auto base = engine_->create_container(create_base);
    ASSERT_FALSE(base.is_error());
    auto joiner = request({"sh", "-c", "readlink /proc/self/ns/net"}, "joiner");
    joiner.host_config.network_mode = "container:netbase";
    auto joined = engine_->create_container(joiner);
    ASSERT_FALSE(joined.is_error()) << joined.error().message();
    // The other container must run at start time.
    auto refused = engine_->start(joined->id);
    ASSERT_TRUE(refused.is_error());
    EXPECT_EQ(refused.error().kind(), ErrorKind::conflict);
    ASSERT_FALSE(engine_->start(base->id).is_error());
    ASSERT_FALSE(engine_->start(joined->id).is_error());
    EXPECT_EQ(wait_exit(joined->id), 0);
    int base_pid = engine_->inspect(base->id)->state.pid;
    auto base_ns = sys::readlink("/proc/" + std::to_string(base_pid) + "/ns/net");
    ASSERT_FALSE(base_ns.is_error());
    EXPECT_EQ(all_logs(joined->id), *base_ns + "\n");

    // Prune takes the stopped ones only.
    auto pruned = engine_->prune({});
    ASSERT_FALSE(pruned.is_error());
    EXPECT_EQ(*pruned, Strings{joined->id});
    EXPECT_EQ(engine_->inspect(base->id)->state.status, Status::running);

    auto unknown = request({"true"});
    unknown.host_config.network_mode = "container:nobody";
    EXPECT_EQ(engine_->create_container(unknown).error().kind(), ErrorKind::not_found);
}

}  // namespace
}  // namespace corral::engine::testing
